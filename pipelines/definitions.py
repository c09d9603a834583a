"""The capscore code location (workspace.yaml loads `pipelines.definitions`)."""

from __future__ import annotations

import dagster as dg

import assets
from pipelines.jobs import as_of_job, daily_job, ingest_job
from pipelines.resources import default_resources

defs = dg.Definitions(
    assets=dg.load_assets_from_package_module(assets),
    asset_checks=dg.load_asset_checks_from_package_module(assets),
    jobs=[daily_job, ingest_job, as_of_job],
    resources=default_resources(),
)
