"""Jobs: the whole graph for a day (nightly, sensor, CLI) and the ingest-only slice."""

from __future__ import annotations

import dagster as dg

from assets.partitions import daily_partitions

INGEST_GROUP = "ingest"

daily_job = dg.define_asset_job(
    "capscore_daily",
    selection=dg.AssetSelection.all(),
    partitions_def=daily_partitions,
    description="Every stage for one day (or a range in one run): ingest that day's drop, then "
    "rebuild every as-of output for it and publish the warehouse.",
)

ingest_job = dg.define_asset_job(
    "capscore_ingest",
    selection=dg.AssetSelection.groups(INGEST_GROUP),
    partitions_def=daily_partitions,
    description="Load landing drops into the lake (contracts, quarantine, load audit) only.",
)

as_of_job = dg.define_asset_job(
    "capscore_as_of",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(INGEST_GROUP),
    partitions_def=daily_partitions,
    description="Rebuild every as-of output (core, er, scoring, pool, credit, warehouse) for "
    "the selected dates from drops already loaded.",
)
