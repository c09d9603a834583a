"""capscore's domain stages, one subpackage per stage in data-flow order.

landing -> (data_contracts) -> core -> entity_resolution -> indicators ->
scoring -> pool -> credit -> warehouse -> reports; storage and reference_data
underneath, scoring_models (versioned YAML + loaders) at the bottom, Dagster
`assets` and `pipelines` on top. See docs/architecture.md.
"""
