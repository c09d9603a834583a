"""The one daily calendar every asset is partitioned on.

Ingest assets read it as the landing date (the day a drop arrived); every
downstream asset reads it as the as-of date. The start is a fixed constant:
moving it would orphan existing partitions and break backfills.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import date

import dagster as dg

# Single-run backfill policies and self-dependent partitions are deliberate (see
# below); Dagster flags them as beta on every asset definition.
warnings.filterwarnings("ignore", category=dg.BetaWarning)

START_DATE = "2020-01-01"
TIMEZONE = "Asia/Shanghai"

# end_offset=1 so that today's drop (arriving during the day) has a partition.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=START_DATE, end_offset=1, timezone=TIMEZONE
)

# A 30-day backfill runs as one run per asset step, so each asset loads the lake
# once and loops over the days instead of paying start-up costs 30 times.
single_run_backfill = dg.BackfillPolicy.single_run()


def partition_dates(context: dg.AssetExecutionContext) -> list[date]:
    """The as-of (or landing) dates this run covers: one for a nightly run, many for a backfill."""
    return [date.fromisoformat(key) for key in context.partition_keys]


# Run tag of `capscore run --full` (a UI run may set it too): recompute what an asset
# would otherwise keep from an earlier as-of date.
FULL_TAG = "capscore/full"


def full_run(context: dg.AssetExecutionContext) -> bool:
    """Whether the run recomputes all, keeping nothing an earlier run kept (the run tag
    `capscore/full=true`: `capscore run|backfill --full`)."""
    return context.run.tags.get(FULL_TAG) == "true"


# Dagster's run tags for one partition, and for a range of partitions run as one
# (single-run backfills).
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def range_tags(start: date | str, end: date | str) -> dict[str, str]:
    """Tags that make one run cover the partitions `start..end`."""

    def text(day: date | str) -> str:
        return day.isoformat() if isinstance(day, date) else day

    return {RANGE_START_TAG: text(start), RANGE_END_TAG: text(end)}


def tagged_range(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """The first and last partition a run covers, from its tags (a one-day run's
    partition, or range_tags'); None for a run of no partition."""
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG], tags[PARTITION_TAG]
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return tags[RANGE_START_TAG], tags[RANGE_END_TAG]
    return None
