"""Which landing partitions need loading and which as-of dates need rebuilding.

The lake is the system of record: a landing date needs ingest when its drop
(capscore.landing.drops, with a settle of 0: the run was asked for) differs
from what `quality.load_audit` recorded for it, by file names or by content
(sha256); an as-of date needs rebuilding when it is requested, or when it was
built before and a drop that landed on or before it was (re)loaded since
(point-in-time outputs of every date >= the drop's date may change).

Content is hashed only for files touched since the audit recorded their hash
(`drops.still_known`), so planning does not reread the whole landing history.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import polars as pl

from assets.freshness import stale_dates
from assets.ingest import FIRST_DAY, record_rejected
from capscore.landing.drops import Drop, Landing, Refused, Seen, discover, fingerprints
from capscore.storage import lake
from capscore.storage.lake import partitions
from capscore.storage.paths import DataRoot
from capscore.storage.tables import CREDIT_LIMIT, LOAD_AUDIT, SOURCES

# The last as-of stage before publishing: a written partition means the date was built.
BUILT_MARKER = CREDIT_LIMIT
LOG = logging.getLogger(__name__)

# path -> content, per landing date
DateFiles = dict[date, dict[str, Seen]]


@dataclass(frozen=True)
class RunPlan:
    ingest_dates: list[date]
    as_of_ranges: list[tuple[date, date]]
    rejected: tuple[Refused, ...] = ()  # landing entries that are no landing date
    # built as-of dates whose inputs changed or whose build a run left unfinished
    stale: dict[date, list[str]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.ingest_dates and not self.as_of_ranges


def current_landing(root: DataRoot) -> Landing:
    """The landing as a run asked for now sees it (settle 0)."""
    return discover(root, time.time_ns(), first_day=FIRST_DAY)


def landing_files(root: DataRoot) -> dict[date, set[str]]:
    """Files per landing date across all sources, as data-root-relative paths (the files of
    each drop and the entries refused in it: what the load audit will list)."""
    found: dict[date, set[str]] = {}
    for drop in current_landing(root).drops:
        found.setdefault(drop.day, set()).update(drop.paths)
    return found


def audited_files(root: DataRoot) -> DateFiles:
    """What the load audit recorded per landing date: each file's sha256 as of its load."""
    audit = (
        lake.scan(
            root,
            LOAD_AUDIT,
            {
                "partition_date": pl.Date,
                "file": pl.String,
                "loaded_at": pl.Datetime("us", "UTC"),
                "sha256": pl.String,
            },
        )
        .filter(pl.col("partition_date").is_not_null())
        .select("partition_date", "file", "sha256", pl.col("loaded_at").dt.epoch("ns"))
        .collect()
    )
    found: DateFiles = {}
    for day, file, sha256, loaded_ns in audit.sort("loaded_at").iter_rows():
        found.setdefault(day, {})[file] = Seen(sha256, loaded_ns)
    return found


def known_content(by_date: Mapping[date, Mapping[str, Seen]]) -> dict[str, Seen]:
    return {path: seen for files in by_date.values() for path, seen in files.items()}


def landed_content(drops: Iterable[Drop], content: Mapping[str, Seen]) -> DateFiles:
    """`fingerprints(...)` grouped by landing date."""
    found: DateFiles = {}
    for drop in drops:
        found.setdefault(drop.day, {}).update({p: content[p] for p in drop.paths})
    return found


def digests(files: Mapping[str, Seen]) -> dict[str, str | None]:
    return {path: seen.sha256 for path, seen in files.items()}


def dates_to_ingest(landed: DateFiles, audited: DateFiles) -> list[date]:
    """Landing dates whose files (names or content) differ from what the audit recorded,
    a loaded date whose folders were all removed since included: it is an empty drop now
    (sources.md), whose rows must go as a clean load would never have had them (the
    landing sensor takes a removed folder as a change too)."""
    return sorted(
        day
        for day in landed.keys() | audited.keys()
        if digests(landed.get(day, {})) != digests(audited.get(day, {}))
    )


def loaded_dates(audited: DateFiles, end: date) -> set[date]:
    """Landing dates up to `end` the audit recorded files for."""
    return {day for day, files in audited.items() if files and day <= end}


def landed_or_loaded(root: DataRoot, landed: Iterable[date], end: date) -> list[date]:
    """The landing dates up to `end`: those of `landed` and those loaded before whose
    folders are gone (each loads again as an empty drop)."""
    return sorted({*(d for d in landed if d <= end), *loaded_dates(audited_files(root), end)})


def built_as_of_dates(root: DataRoot) -> list[date]:
    return [date.fromisoformat(v) for v in partitions(root, BUILT_MARKER)]


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def pending_ingest(root: DataRoot, end: date, landing: Landing | None = None) -> list[date]:
    """Landing dates up to `end` whose files (names or content) the load audit does not
    have yet (reads only)."""
    landing = landing or current_landing(root)
    audited = audited_files(root)
    drops = [drop for drop in landing.drops if drop.day <= end]
    content = fingerprints(root, drops, known_content(audited), time.time_ns())
    loaded = {day: audited[day] for day in loaded_dates(audited, end)}
    return dates_to_ingest(landed_content(drops, content), loaded)


def plan_run(
    root: DataRoot,
    start: date,
    end: date,
    landing_dates_only: bool = False,
    full: bool = False,
) -> RunPlan:
    """Plan bringing every output for as-of dates `start..end` up to date (with
    `landing_dates_only`, only the dates of that range on which a drop landed).

    Every drop that landed on or before `end` is loaded first (as of `start`,
    everything landed before it must be visible too). Landing entries that are
    no landing date are recorded in the load audit (and logged) on the way.
    With `full`, whatever the audit and the fingerprints say: every drop up to
    `end` is loaded again and every as-of date built so far (up to `end`) rebuilt.
    """
    landing = current_landing(root)
    for entry in record_rejected(root, landing.rejected, SOURCES, datetime.now(UTC)):
        LOG.warning("not loaded: %s", entry.reason)
    landed = sorted({drop.day for drop in landing.drops if drop.day <= end})
    ingest = landed_or_loaded(root, landed, end) if full else pending_ingest(root, end, landing)
    requested = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    out_of_date = stale_dates(root)
    if landing_dates_only:
        requested &= {*landed, end}
    built = built_as_of_dates(root)
    # A drop about to be loaded changes every as-of date from its landing date on.
    if full:
        touched = {d for d in built if d <= end}
    else:
        touched = {d for d in built if ingest and d >= ingest[0]}
    # Days that landed since the last built date are built too, as the landing sensor
    # builds them: two nights' drops run in one night must leave the history (the pool's
    # hysteresis, its transitions) two nights would.
    if built:
        requested |= {d for d in ingest if max(built) < d <= end}
    return RunPlan(
        ingest_dates=ingest,
        as_of_ranges=contiguous_ranges(requested | touched | set(out_of_date)),
        rejected=landing.rejected,
        stale=out_of_date,
    )
