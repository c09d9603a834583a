"""The landing sensor: a new or changed drop triggers the run that brings it in.

Every tick lists `<root>/landing/<source>/<YYYY-MM-DD>/` for the known sources
and compares each date's files (name, size, mtime) with the cursor, the JSON
record of the files it has already acted on. A date whose file set changed
(a new folder, a new, rewritten or removed file, or a removed folder) needs
its ingest partition rebuilt.

Which as-of dates does a change on landing date D touch? As of E, everything
that landed on or before E is visible, so the outputs of every E >= D may
change, and `pool/cultivation_pool` at E reads its own E-1 (grade
hysteresis): the dates have to be rebuilt in order. So the sensor requests
one run of the whole graph over the contiguous range from the earliest changed
date to the latest of (the changed dates, the as-of dates already built).
Every asset has a single-run backfill policy: the range is one run that loads
its inputs once and walks the dates in order. Dates inside the range that were
never built get built, which the nightly schedule would have done anyway;
ingest partitions in the range whose drop did not change are reloaded
identically (idempotent writes). Dates before D are untouched: they cannot see D.

Guarantees:
- nothing runs twice: the run key is derived from the range and the file
  stamps that triggered it, so a re-evaluation (daemon restart before the
  cursor was saved) finds the key already used and launches nothing;
- nothing is missed: a date is only recorded in the cursor together with the
  run request for it; a date with a file modified less than the settle period
  ago (a copy still in progress) is left for a later tick, and so is a folder
  for a day that is not a partition yet (ahead of the calendar);
- runs do not race: while a run of the job is still queued or running (one
  this sensor launched, the nightly one, or one started from the CLI or the
  UI's job page), the sensor waits (cursor unchanged) and folds everything
  that changed meanwhile into the next run;
- on its very first tick (no cursor) the sensor takes as already seen the
  files `quality.load_audit` recorded loading after they were last modified
  (loaded by the CLI before the daemon started), so it does not redo them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
import polars as pl

from assets.partitions import daily_partitions, range_tags
from assets.resources import CapscoreResource
from capscore.storage import lake
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LOAD_AUDIT, SOURCES
from pipelines.jobs import daily_job
from pipelines.run_plan import built_as_of_dates

SENSOR_NAME = "capscore_landing_sensor"
SETTLE_ENV = "CAPSCORE_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 60.0
MINIMUM_INTERVAL_SECONDS = 60
CURSOR_VERSION = 1


DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Uploads in progress are conventionally hidden or suffixed; they are not part of a drop yet.
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".filepart")

# date (ISO) -> data-root-relative file path -> (size in bytes, mtime in ns)
Stamp = tuple[int, int]
DropFiles = dict[str, Stamp]
LandingState = dict[str, DropFiles]


@dataclass(frozen=True)
class LandingScan:
    settled: LandingState
    """Dates whose every file is older than the settle period."""
    unsettled: frozenset[str]
    """Dates with a file still being written: decided on a later tick."""
    not_partitions: tuple[str, ...]
    """Folders that are not a partition (bad name, before the start, ahead of the calendar)."""


@dataclass(frozen=True)
class LandingPlan:
    changed: tuple[str, ...]
    start: str | None
    end: str | None
    cursor: LandingState

    @property
    def run_key(self) -> str:
        changed_files = {day: self.cursor.get(day, {}) for day in self.changed}
        digest = hashlib.sha256(
            json.dumps(changed_files, sort_keys=True).encode("utf-8")
        ).hexdigest()[:16]
        return f"landing:{self.start}..{self.end}:{digest}"


def is_drop_file(name: str) -> bool:
    return not name.startswith((".", "~")) and not name.endswith(IN_PROGRESS_SUFFIXES)


def scan_landing(
    root: DataRoot, now: float, settle_seconds: float, is_partition: Callable[[str], bool]
) -> LandingScan:
    """Stamp every drop file; `now` is epoch seconds, `is_partition` says if a date is a partition key."""
    settled: LandingState = {}
    unsettled: set[str] = set()
    not_partitions: set[str] = set()
    cutoff_ns = int((now - settle_seconds) * 1e9)
    for source in SOURCES:
        source_dir = root.landing_source(source)
        if not source_dir.is_dir():
            continue
        for day_dir in source_dir.iterdir():
            if not day_dir.is_dir():
                continue
            day = day_dir.name
            if not (DATE_DIR.match(day) and _is_date(day) and is_partition(day)):
                not_partitions.add(root.relative(day_dir))
                continue
            files = settled.setdefault(day, {})
            for path in day_dir.iterdir():
                if not (path.is_file() and is_drop_file(path.name)):
                    continue
                stat = path.stat()
                files[root.relative(path)] = (stat.st_size, stat.st_mtime_ns)
                if stat.st_mtime_ns > cutoff_ns:
                    unsettled.add(day)
    for day in unsettled:
        del settled[day]
    return LandingScan(settled, frozenset(unsettled), tuple(sorted(not_partitions)))


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def changed_dates(previous: Mapping[str, DropFiles], scan: LandingScan) -> list[str]:
    """Dates whose drop differs from the cursor: new, changed or emptied (folder removed)."""
    # An empty folder is an empty drop, like no folder at all: nothing to run.
    changed = {day for day, files in scan.settled.items() if previous.get(day, {}) != files}
    removed = {
        day
        for day, files in previous.items()
        if files and day not in scan.settled and day not in scan.unsettled
    }
    return sorted(changed | removed)


def next_cursor(previous: Mapping[str, DropFiles], scan: LandingScan) -> LandingState:
    """Settled dates as scanned; unsettled dates keep what the cursor had (decided later)."""
    cursor: LandingState = {day: dict(files) for day, files in scan.settled.items() if files}
    for day in scan.unsettled:
        if day in previous:
            cursor[day] = dict(previous[day])
    return cursor


def run_range(changed: Sequence[str], built: Iterable[str]) -> tuple[str, str]:
    """Earliest changed date .. latest of the changed dates and the built dates after it."""
    start = min(changed)
    later_built = [day for day in built if day >= start]
    return start, max([*changed, *later_built])


def plan_landing_run(
    previous: Mapping[str, DropFiles], scan: LandingScan, built: Iterable[str]
) -> LandingPlan:
    changed = changed_dates(previous, scan)
    cursor = next_cursor(previous, scan)
    if not changed:
        return LandingPlan((), None, None, cursor)
    start, end = run_range(changed, built)
    return LandingPlan(tuple(changed), start, end, cursor)


def audited_baseline(root: DataRoot, scan: LandingScan) -> LandingState:
    """Dates whose current files were all loaded (per the load audit) after they were last written."""
    audit = (
        lake.scan(root, LOAD_AUDIT, {"file": pl.Utf8, "loaded_at": pl.Datetime("us", "UTC")})
        .group_by("file")
        .agg(pl.col("loaded_at").max().dt.epoch("ns").alias("loaded_ns"))
        .collect()
    )
    loaded = dict(zip(audit["file"].to_list(), audit["loaded_ns"].to_list(), strict=True))
    baseline: LandingState = {}
    for day, files in scan.settled.items():
        if all(path in loaded and mtime <= loaded[path] for path, (_, mtime) in files.items()):
            baseline[day] = dict(files)
    return baseline


def encode_cursor(state: Mapping[str, DropFiles]) -> str:
    dates = {
        day: {path: list(stamp) for path, stamp in sorted(files.items())}
        for day, files in sorted(state.items())
    }
    return json.dumps({"version": CURSOR_VERSION, "dates": dates}, ensure_ascii=False)


def decode_cursor(cursor: str | None) -> LandingState | None:
    """The state a cursor holds, or None for no (or an unreadable) cursor."""
    if not cursor:
        return None
    try:
        payload = json.loads(cursor)
        if payload.get("version") != CURSOR_VERSION:
            return None
        return {
            day: {path: (int(stamp[0]), int(stamp[1])) for path, stamp in files.items()}
            for day, files in payload["dates"].items()
        }
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def settle_seconds_from_env() -> float:
    raw = os.environ.get(SETTLE_ENV, "").strip()
    if not raw:
        return DEFAULT_SETTLE_SECONDS
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{SETTLE_ENV}={raw!r} is not a number of seconds") from exc
    if value < 0:
        raise ValueError(f"{SETTLE_ENV} must be >= 0, got {value}")
    return value


def partition_checker(now: float) -> Callable[[str], bool]:
    current_time = datetime.fromtimestamp(now, tz=UTC)
    keys = set(daily_partitions.get_partition_keys(current_time=current_time))
    return keys.__contains__


def run_request(plan: LandingPlan) -> dg.RunRequest:
    assert plan.start is not None and plan.end is not None
    shown = ",".join(plan.changed[:5]) + (
        f" +{len(plan.changed) - 5}" if len(plan.changed) > 5 else ""
    )
    tags = {"capscore/trigger": "landing", "capscore/changed_landing_dates": shown}
    if plan.start == plan.end:
        return dg.RunRequest(run_key=plan.run_key, partition_key=plan.start, tags=tags)
    return dg.RunRequest(run_key=plan.run_key, tags={**tags, **range_tags(plan.start, plan.end)})


def _active_run_id(instance: dg.DagsterInstance, job_name: str) -> str | None:
    runs = instance.get_run_records(
        filters=dg.RunsFilter(
            job_name=job_name,
            statuses=[
                dg.DagsterRunStatus.QUEUED,
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ],
        ),
        limit=1,
    )
    return runs[0].dagster_run.run_id if runs else None


def build_landing_sensor(
    job: dg.UnresolvedAssetJobDefinition | dg.JobDefinition,
    settle_seconds: float | None = None,
    clock: Callable[[], float] = time.time,
) -> dg.SensorDefinition:
    """The landing sensor for `job` (the whole graph), RUNNING by default.

    `settle_seconds` defaults to `CAPSCORE_LANDING_SETTLE_SECONDS`, else 60.
    """
    settle = settle_seconds_from_env() if settle_seconds is None else settle_seconds

    @dg.sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "Runs the graph when a landing date folder appears or its files change "
            f"(files must be unchanged for {settle:g}s). A change on day D rebuilds D and "
            "every later as-of date already built, in one ranged run."
        ),
    )
    def capscore_landing_sensor(
        context: dg.SensorEvaluationContext, capscore: CapscoreResource
    ) -> dg.SensorResult:
        root = capscore.root
        now = clock()
        scan = scan_landing(root, now, settle, partition_checker(now))
        if scan.not_partitions:
            context.log.warning(
                "ignoring landing folders that are not partitions yet or at all: "
                + ", ".join(scan.not_partitions[:10])
            )
        previous = decode_cursor(context.cursor)
        if previous is None:
            previous = audited_baseline(root, scan)
        active = _active_run_id(context.instance, job.name)
        if active is not None:
            return dg.SensorResult(skip_reason=f"waiting for run {active} to finish")
        built = [day.isoformat() for day in built_as_of_dates(root)]
        plan = plan_landing_run(previous, scan, built)
        cursor = encode_cursor(plan.cursor)
        if plan.start is None:
            waiting = (
                f"; waiting for {len(scan.unsettled)} date(s) to settle" if scan.unsettled else ""
            )
            return dg.SensorResult(skip_reason=f"no new landing files{waiting}", cursor=cursor)
        context.log.info(
            f"landing dates changed: {', '.join(plan.changed)}; running {plan.start}..{plan.end}"
        )
        return dg.SensorResult(run_requests=[run_request(plan)], cursor=cursor)

    return capscore_landing_sensor


landing_sensor = build_landing_sensor(daily_job)
