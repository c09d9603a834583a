"""The capscore code location (workspace.yaml loads `pipelines.definitions`)."""

from __future__ import annotations

import dagster as dg

import assets
from assets.resources import default_resources
from pipelines.alerts import alert_sensors
from pipelines.jobs import as_of_job, daily_job, ingest_job
from pipelines.progress import progress_logger
from pipelines.schedules import nightly_schedule
from pipelines.sensors import landing_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_package_module(assets),
    asset_checks=dg.load_asset_checks_from_package_module(assets),
    jobs=[daily_job, ingest_job, as_of_job],
    schedules=[nightly_schedule],
    sensors=[landing_sensor, *alert_sensors],
    resources=default_resources(),
    # Runs without logger config (the UI's) keep Dagster's console logger; the
    # CLI also turns on its progress lines.
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    # The stages form a chain and each already uses both cores (polars, DuckDB):
    # a process per step would only add start-up time and memory.
    executor=dg.in_process_executor,
)
