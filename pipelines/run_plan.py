"""Which landing partitions need loading and which as-of dates need rebuilding.

The lake is the system of record: a landing date needs ingest when its files
differ from the files `quality.load_audit` recorded for it; an as-of date needs
rebuilding when it is requested, or when it was built before and a drop that
landed on or before it was (re)loaded since (point-in-time outputs of every
date >= the drop's date may change).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from capscore.storage.lake import partitions, scan
from capscore.storage.paths import DataRoot
from capscore.storage.tables import CREDIT_LIMIT, LOAD_AUDIT, SOURCES

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The last as-of stage before publishing: a written partition means the date was built.
BUILT_MARKER = CREDIT_LIMIT


@dataclass(frozen=True)
class RunPlan:
    ingest_dates: list[date]
    as_of_ranges: list[tuple[date, date]]

    @property
    def is_empty(self) -> bool:
        return not self.ingest_dates and not self.as_of_ranges


def landing_files(root: DataRoot) -> dict[date, set[str]]:
    """Files per landing date across all sources, as data-root-relative paths."""
    found: dict[date, set[str]] = {}
    for source in SOURCES:
        source_dir = root.landing_source(source)
        if not source_dir.is_dir():
            continue
        for day_dir in source_dir.iterdir():
            if not (day_dir.is_dir() and DATE_DIR.match(day_dir.name)):
                continue
            day = date.fromisoformat(day_dir.name)
            files = {root.relative(p) for p in day_dir.iterdir() if p.is_file()}
            found.setdefault(day, set()).update(files)
    return found


def loaded_files(root: DataRoot) -> dict[date, set[str]]:
    """Files the load audit says were processed, per landing date."""
    audit = (
        scan(root, LOAD_AUDIT, {"partition_date": pl.Date, "file": pl.Utf8})
        .select("partition_date", "file")
        .collect()
    )
    loaded: dict[date, set[str]] = {}
    for day, file in audit.iter_rows():
        loaded.setdefault(day, set()).add(file)
    return loaded


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


def plan_run(root: DataRoot, start: date, end: date) -> RunPlan:
    """Plan bringing every output for as-of dates `start..end` up to date.

    Every drop that landed on or before `end` is loaded first (as of `start`,
    everything landed before it must be visible too).
    """
    landed = landing_files(root)
    loaded = loaded_files(root)
    ingest = sorted(d for d, files in landed.items() if d <= end and files != loaded.get(d, set()))
    requested = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    stale = {d for d in built_as_of_dates(root) if ingest and d >= ingest[0]}
    return RunPlan(ingest_dates=ingest, as_of_ranges=contiguous_ranges(requested | stale))
