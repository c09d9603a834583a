"""The landing sensor: a new or changed drop triggers the run that brings it in.

Which files form a drop, when a drop is complete and what counts as a change
are the rules of `capscore.landing.drops`, shared with `capscore run` and the
ingest assets. Every tick lists `<root>/landing/<source>/<YYYY-MM-DD>/` for
the known sources and compares each date's files (names and sha256 of their
content) with the cursor, the JSON record of the files it has already acted on.
A date whose drop changed (a new folder, a new, rewritten or removed file, or a
removed folder) needs its ingest partition rebuilt. A file is hashed again only
when it was touched since its hash was taken, and a `touch` that leaves the
bytes as they were starts nothing.

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
- nothing runs twice: the run key is derived from the range and the content
  hashes of the changed dates, so a re-evaluation (daemon restart before the
  cursor was saved) finds the key already used and launches nothing;
- nothing is missed: a date is only recorded in the cursor together with the
  run request for it; a date with a drop that is not complete (no `_SUCCESS`
  marker and a file modified less than the settle period ago: a copy still in
  progress) is left for a later tick, and so is a folder for a day that is not
  a partition yet (ahead of the calendar);
- nothing is dropped silently: landing entries that are no landing date are
  recorded in `quality.load_audit` (status `rejected`) and logged when they
  appear, and never stop the sensor;
- runs do not race: while a run of the job is still queued or running (one
  this sensor launched, the nightly one, or one started from the CLI or the
  UI's job page), the sensor waits (cursor unchanged) and folds everything
  that changed meanwhile into the next run;
- on its very first tick (no cursor) the sensor takes as already seen the
  dates whose files `quality.load_audit` recorded with the same content
  (loaded by the CLI before the daemon started), so it does not redo them,
  and a loaded date whose folders are gone as a removed folder;
- a run it launched that failed only because another process held the data
  root (a `capscore run` started by hand: the run did nothing) is requested
  again, under a key of its own, once no run is in flight, unless its dates
  were built meanwhile; a run that failed otherwise is not (it would fail
  again every tick: the failure alert and the nightly run take it from there).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg

from assets.freshness import stale_dates
from assets.ingest import FIRST_DAY, record_rejected
from assets.partitions import daily_partitions, range_tags, tagged_range
from assets.resources import CapscoreResource
from capscore.landing.drops import (
    Refused,
    Seen,
    discover,
    fingerprints,
    settle_seconds_from_env,
)
from capscore.storage.paths import DataRoot
from capscore.storage.run_lock import RootBusy, root_lock
from capscore.storage.tables import SOURCES
from pipelines.alerts import innermost
from pipelines.jobs import daily_job
from pipelines.run_plan import (
    DateFiles,
    audited_files,
    built_as_of_dates,
    digests,
    known_content,
    landed_content,
)

SENSOR_NAME = "capscore_landing_sensor"
TRIGGER_TAG = "capscore/trigger"
RETRY_OF_TAG = "capscore/retry_of"
MINIMUM_INTERVAL_SECONDS = 60
CURSOR_VERSION = 2

# date (ISO) -> data-root-relative file path -> its content as last hashed
DropFiles = dict[str, Seen]
LandingState = dict[str, DropFiles]


@dataclass(frozen=True)
class LandingScan:
    settled: LandingState
    """Dates whose every drop is complete (marker, or every file older than the settle period)."""
    unsettled: frozenset[str]
    """Dates with a file still being written: decided on a later tick."""
    rejected: tuple[Refused, ...]
    """Landing entries that are no landing date (bad name, before the calendar, ...)."""
    ahead: tuple[str, ...]
    """Date folders ahead of the calendar: not partitions yet."""


@dataclass(frozen=True)
class LandingPlan:
    changed: tuple[str, ...]
    start: str | None
    end: str | None
    cursor: LandingState

    @property
    def run_key(self) -> str:
        # Content only: the same bytes seen again give the same key.
        changed_files = {day: digests(self.cursor.get(day, {})) for day in self.changed}
        digest = hashlib.sha256(
            json.dumps(changed_files, sort_keys=True).encode("utf-8")
        ).hexdigest()[:16]
        return f"landing:{self.start}..{self.end}:{digest}"


def scan_landing(
    root: DataRoot,
    now: float,
    settle_seconds: float,
    window: tuple[date, date],
    known: Mapping[str, Seen],
) -> LandingScan:
    """Every complete drop with its content; `now` is epoch seconds, `window` the partition
    calendar (first, last), `known` what earlier hashes say (re-hashed only if touched since)."""
    now_ns = int(now * 1e9)
    landing = discover(
        root, now_ns, int(settle_seconds * 1e9), first_day=window[0], last_day=window[1]
    )
    unsettled = landing.incomplete_dates()
    drops = [drop for drop in landing.drops if drop.day not in unsettled]
    content = landed_content(drops, fingerprints(root, drops, known, now_ns))
    settled = {day.isoformat(): files for day, files in content.items()}
    return LandingScan(
        settled,
        frozenset(day.isoformat() for day in unsettled),
        landing.rejected,
        landing.ahead,
    )


def changed_dates(previous: Mapping[str, DropFiles], scan: LandingScan) -> list[str]:
    """Dates whose drop differs from the cursor: new, changed or emptied (folder removed)."""
    # An empty folder is an empty drop, like no folder at all: nothing to run.
    changed = {
        day
        for day, files in scan.settled.items()
        if digests(previous.get(day, {})) != digests(files)
    }
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


def brought_in_elsewhere(
    changed: Iterable[str],
    scan: LandingScan,
    audited: DateFiles,
    built: Iterable[str],
    stale: Iterable[str],
) -> set[str]:
    """Changed dates another run already brought in: the load audit has their files with
    the content they have now, the date is built and no built date from it on is stale.

    A `capscore run` started by hand while the sensor waited (the root was locked)
    loads and builds what landed meanwhile; the cursor still lacks those files, so
    without this the next tick would run the same range a second time.
    """
    built_days, stale_days = set(built), sorted(stale)
    return {
        day
        for day in changed
        if day in scan.settled
        and day in built_days
        and digests(scan.settled[day]) == digests(audited.get(date.fromisoformat(day), {}))
        and not any(s >= day for s in stale_days)
    }


def audited_baseline(audited: DateFiles, scan: LandingScan) -> LandingState:
    """Dates whose files the load audit recorded with the content they have now, and the
    loaded dates whose folders are all gone, as the audit recorded them: a removed folder
    is a change (an empty drop now), on the first tick as on any other."""
    gone = {
        day.isoformat(): dict(files)
        for day, files in audited.items()
        if files and day.isoformat() not in scan.settled and day.isoformat() not in scan.unsettled
    }
    return gone | {
        day: dict(files)
        for day, files in scan.settled.items()
        if digests(files) == digests(audited.get(date.fromisoformat(day), {}))
    }


def encode_cursor(state: Mapping[str, DropFiles]) -> str:
    dates = {
        day: {path: [seen.sha256, seen.at_ns] for path, seen in sorted(files.items())}
        for day, files in sorted(state.items())
    }
    return json.dumps({"version": CURSOR_VERSION, "dates": dates}, ensure_ascii=False)


def decode_cursor(cursor: str | None) -> LandingState | None:
    """The state a cursor holds, or None for no (or an unreadable, or an older) cursor."""
    if not cursor:
        return None
    try:
        payload = json.loads(cursor)
        if payload.get("version") != CURSOR_VERSION:
            return None
        return {
            day: {path: _seen(stamp) for path, stamp in files.items()}
            for day, files in payload["dates"].items()
        }
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _seen(stamp: list[object]) -> Seen:
    sha256, at_ns = stamp
    if sha256 is not None and not isinstance(sha256, str):
        raise TypeError(f"not a sha256: {sha256!r}")
    return Seen(sha256, int(at_ns))  # type: ignore[call-overload]


def partition_window(now: float) -> tuple[date, date]:
    """First and last partition date of the calendar at `now`."""
    current_time = datetime.fromtimestamp(now, tz=UTC)
    keys = daily_partitions.get_partition_keys(current_time=current_time)
    return FIRST_DAY, date.fromisoformat(keys[-1])


def _flatten(state: Mapping[str, DropFiles]) -> dict[str, Seen]:
    return {path: seen for files in state.values() for path, seen in files.items()}


def run_request(plan: LandingPlan) -> dg.RunRequest:
    assert plan.start is not None and plan.end is not None
    shown = ",".join(plan.changed[:5]) + (
        f" +{len(plan.changed) - 5}" if len(plan.changed) > 5 else ""
    )
    tags = {TRIGGER_TAG: "landing", "capscore/changed_landing_dates": shown}
    return _dated_request(plan.run_key, plan.start, plan.end, tags)


def _dated_request(key: str, start: str, end: str, tags: dict[str, str]) -> dg.RunRequest:
    """A run of `start..end`: a one-day run by its partition, a longer one by range tags."""
    if start == end:
        return dg.RunRequest(run_key=key, partition_key=start, tags=tags)
    return dg.RunRequest(run_key=key, tags={**tags, **range_tags(start, end)})


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


def failed_on_a_busy_root(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run failed because another process held the data root (RootBusy:
    raised when its resource starts, before any step)."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE):
        event = entry.dagster_event
        error = getattr(event.event_specific_data, "error", None) if event else None
        if error is not None and innermost(error).cls_name == RootBusy.__name__:
            return True
    return False


def busy_retry(instance: dg.DagsterInstance, root: DataRoot) -> dg.RunRequest | None:
    """The last run this sensor launched, requested again if it failed on a busy data
    root and a date of its range is still unbuilt or stale (module doc)."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(tags={TRIGGER_TAG: "landing"}), limit=1
    )
    if not records:
        return None
    run = records[0].dagster_run
    if run.status != dg.DagsterRunStatus.FAILURE or not failed_on_a_busy_root(instance, run.run_id):
        return None
    dates = tagged_range(run.tags)
    if dates is None:
        return None
    start, end = dates
    days = daily_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))
    built = {day.isoformat() for day in built_as_of_dates(root)}
    stale = {day.isoformat() for day in stale_dates(root)}
    if all(day in built and day not in stale for day in days):
        return None
    key = f"{run.tags.get('dagster/run_key', 'landing')}:after-busy:{run.run_id}"
    tags = {
        **{k: v for k, v in run.tags.items() if k.startswith("capscore/")},
        RETRY_OF_TAG: run.run_id,
    }
    return _dated_request(key, start, end, tags)


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
            "Runs the graph when a landing date folder appears or its files change by "
            f"content (a drop is complete with a _SUCCESS marker or when its files have been "
            f"unchanged for {settle:g}s). A change on day D rebuilds D and every later as-of "
            "date already built, in one ranged run."
        ),
    )
    def capscore_landing_sensor(
        context: dg.SensorEvaluationContext, capscore: CapscoreResource
    ) -> dg.SensorResult:
        root = capscore.root
        previous = decode_cursor(context.cursor)
        active = _active_run_id(context.instance, job.name)
        if active is not None:
            return dg.SensorResult(skip_reason=f"waiting for run {active} to finish")
        try:
            # The sensor records refused landing entries: it writes, so it takes the lock.
            with root_lock(root, "landing sensor"):
                return _evaluate(context, root, previous)
        except RootBusy as busy:
            return dg.SensorResult(skip_reason=str(busy))

    def _evaluate(
        context: dg.SensorEvaluationContext, root: DataRoot, previous: LandingState | None
    ) -> dg.SensorResult:
        retry = busy_retry(context.instance, root)
        if retry is not None:
            # Alone: what landed meanwhile stays out of the cursor for the next tick.
            context.log.info(
                f"run {retry.tags[RETRY_OF_TAG]} found the data root busy: requested again"
            )
            return dg.SensorResult(run_requests=[retry], cursor=context.cursor)
        now = clock()
        audited = audited_files(root) if previous is None else {}
        known = known_content(audited) if previous is None else _flatten(previous)
        scan = scan_landing(root, now, settle, partition_window(now), known)
        for entry in record_rejected(root, scan.rejected, SOURCES, datetime.now(UTC)):
            context.log.warning(f"not loaded: {entry.reason}")
        if scan.ahead:
            context.log.warning(
                "landing folders ahead of the calendar wait until their day: "
                + ", ".join(scan.ahead[:10])
            )
        if previous is None:
            previous = audited_baseline(audited, scan)
        built = [day.isoformat() for day in built_as_of_dates(root)]
        plan = plan_landing_run(previous, scan, built)
        if plan.changed:
            audited = audited or audited_files(root)
            # Read only when a change may be one a CLI run already handled: the audit is
            # cheap, the freshness check (every built date's fingerprint) less so.
            if any(
                day in scan.settled and date.fromisoformat(day) in audited for day in plan.changed
            ):
                stale = [day.isoformat() for day in stale_dates(root)]
                done = brought_in_elsewhere(plan.changed, scan, audited, built, stale)
                if done:
                    context.log.info(
                        "already loaded and built by another run: " + ", ".join(sorted(done))
                    )
                    previous = {**previous, **{day: scan.settled[day] for day in done}}
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
