"""scoring_models stage of capscore: versioned model YAML and the score computation.

- scoring_v1.yaml + versions.lock, versioning (hash lock), config (ScoringModel)
- scores: peer-group percentile scores, dimensions, composite, top reasons
- weights: entropy and CRITIC weights for comparison; summary: UI tables
- wording, explain: text for analysts (`capscore explain`)
- pool_v1.yaml, credit_policy_v1.yaml, policy_config: pool and credit policies
"""
