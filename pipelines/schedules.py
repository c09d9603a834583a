"""The nightly schedule: every stage for the day that just ended, and every earlier
date a late drop or a new model or policy version left out of date.

A drop for day X may arrive any time during X (Asia/Shanghai, the partitions'
calendar), so the run for X starts after X is over: by default at 02:00 on
X+1. The tick computes its partition as "the last calendar day completed
before the tick", in the partitions' timezone whatever timezone the cron is
read in, so moving the cron to another hour or zone never skips or repeats a
day.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from assets.freshness import stale_dates
from assets.partitions import TIMEZONE, range_tags
from capscore.storage.paths import DataRoot
from capscore.storage.run_lock import holder
from pipelines.jobs import daily_job
from pipelines.run_plan import built_as_of_dates, pending_ingest

CRON_ENV = "CAPSCORE_NIGHTLY_CRON"
TIMEZONE_ENV = "CAPSCORE_TIMEZONE"
DEFAULT_CRON = "0 2 * * *"
SCHEDULE_NAME = "capscore_nightly"


def completed_day(tick: datetime) -> date:
    """The partition a tick at `tick` (timezone-aware) runs: the day before, on the partitions' calendar."""
    if tick.tzinfo is None:
        raise ValueError("tick time must be timezone-aware")
    return tick.astimezone(ZoneInfo(TIMEZONE)).date() - timedelta(days=1)


def catch_up_start(root: DataRoot, day: date) -> date:
    """The first date the night of `day` must (re)build: the earliest of `day`, a drop
    not loaded yet, an as-of date built from other inputs or versions (freshness) and
    the first day after the latest built one."""
    behind = [*pending_ingest(root, day), *(d for d in stale_dates(root) if d <= day)]
    # A tick skips while the root is locked (a landing run or a hand-started one at
    # 02:00): its day, if no drop landed on it, is neither pending nor stale and would
    # never be built. The next night builds every day since the latest built one.
    built = built_as_of_dates(root)
    if built and max(built) < day:
        behind.append(max(built) + timedelta(days=1))
    return min([day, *behind])


def nightly_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(cron, timezone) from `CAPSCORE_NIGHTLY_CRON` / `CAPSCORE_TIMEZONE`, else 02:00 Shanghai."""
    env = os.environ if environ is None else environ
    cron = env.get(CRON_ENV, "").strip() or DEFAULT_CRON
    timezone = env.get(TIMEZONE_ENV, "").strip() or TIMEZONE
    return cron, timezone


def build_nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    cron: str | None = None,
    timezone: str | None = None,
) -> dg.ScheduleDefinition:
    """The nightly schedule for `job` (the whole graph), RUNNING by default.

    `cron` / `timezone` default to the environment (`CAPSCORE_NIGHTLY_CRON`,
    `CAPSCORE_TIMEZONE`), else 02:00 Asia/Shanghai.
    """
    env_cron, env_timezone = nightly_settings()
    cron = cron or env_cron
    timezone = timezone or env_timezone
    try:
        return _nightly_schedule(job, cron, timezone)
    except dg.DagsterInvalidDefinitionError as exc:
        # Name the setting to fix: a bad value would otherwise surface as a
        # code-location load error mentioning neither variable.
        raise ValueError(
            f"invalid nightly schedule (cron {cron!r} from {CRON_ENV}, timezone {timezone!r} "
            f"from {TIMEZONE_ENV}): {exc}"
        ) from exc


def _nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition, cron: str, timezone: str
) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=SCHEDULE_NAME,
        job=job,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Every stage for the day that just ended (cron `{cron}`, {timezone}); "
            f"set {CRON_ENV} / {TIMEZONE_ENV} to move it."
        ),
    )
    def capscore_nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        busy = holder(DataRoot.resolve())
        if busy is not None:
            # The next run's freshness check rebuilds the day (capscore status lists it).
            return dg.SkipReason(f"data root busy: {busy} holds it")
        tick = context.scheduled_execution_time
        day = completed_day(tick)
        start = catch_up_start(DataRoot.resolve(), day)
        tags = {"capscore/trigger": "nightly"}
        # The run key makes a re-evaluated tick (daemon restart) launch nothing new.
        if start == day:
            return dg.RunRequest(run_key=f"nightly:{day}", partition_key=day.isoformat(), tags=tags)
        # As `capscore run` does: a drop that landed late for an earlier date, or dates
        # built from older inputs or versions, are brought up to date in the same run.
        return dg.RunRequest(
            run_key=f"nightly:{start}..{day}",
            tags={**tags, **range_tags(start.isoformat(), day.isoformat())},
        )

    return capscore_nightly


nightly_schedule = build_nightly_schedule(daily_job)
