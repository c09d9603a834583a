"""Retention: how much history the lake keeps, and what vacuum may delete.

Per-as-of tables grow by one partition a day (about 0.9 GB a day at a million
firms). The policy keeps every as-of date of the last `daily_days` days and,
before that, the last built date of each month (month-ends: what reports and
audits compare with); other as-of partitions are deleted. Landing partitions
(raw, quality) are the record of what arrived and are never deleted.

Published warehouses are kept `published_days` days: an analyst can open what
was published on a day within that window. Vacuum then removes the data files
that no table version younger than the window and no kept warehouse names.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from capscore.storage import lake
from capscore.storage.paths import DataRoot
from capscore.storage.tables import AS_OF_DATE, CREDIT_EXPORT, LAKE_TABLES, STORED_TABLES, Table
from capscore.warehouse.publish import pinned_versions

DAILY_DAYS_ENV = "CAPSCORE_RETAIN_DAILY_DAYS"
PUBLISHED_DAYS_ENV = "CAPSCORE_RETAIN_PUBLISHED_DAYS"
DEFAULT_DAILY_DAYS = 90
DEFAULT_PUBLISHED_DAYS = 30


def whole_days(text: str) -> int:
    """A retention window: a whole number of days >= 1 (ValueError otherwise; 0 would keep
    no date, a negative number would end the window after the latest date)."""
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError("expected a whole number of days >= 1")
    return int(text)


@dataclass(frozen=True)
class RetentionPolicy:
    daily_days: int = DEFAULT_DAILY_DAYS
    published_days: int = DEFAULT_PUBLISHED_DAYS

    @classmethod
    def from_env(cls) -> RetentionPolicy:
        def days(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            try:
                return whole_days(raw)
            except ValueError as error:
                raise ValueError(f"{name}={raw!r}: {error}") from None

        return cls(
            days(DAILY_DAYS_ENV, DEFAULT_DAILY_DAYS),
            days(PUBLISHED_DAYS_ENV, DEFAULT_PUBLISHED_DAYS),
        )


@dataclass
class RetentionSummary:
    deleted_dates: dict[str, list[str]] = field(default_factory=dict)
    removed_files: int = 0
    removed_warehouses: list[str] = field(default_factory=list)


def kept_dates(built: Iterable[date], daily_days: int) -> set[date]:
    """The as-of dates to keep: all within `daily_days` of the latest, then month-ends."""
    days = sorted(set(built))
    if not days:
        return set()
    cutoff = days[-1] - timedelta(days=daily_days - 1)
    recent = {d for d in days if d >= cutoff}
    month_ends: dict[tuple[int, int], date] = {}
    for d in days:
        month_ends[(d.year, d.month)] = d
    return recent | set(month_ends.values())


def _pinned_versions(warehouses: Sequence[Path]) -> dict[str, set[int]]:
    """relation -> the Delta versions the kept published warehouses pin."""
    pinned: dict[str, set[int]] = {}
    for path in warehouses:
        for relation, version in pinned_versions(path).items():
            pinned.setdefault(relation, set()).add(version)
    return pinned


def apply_retention(
    root: DataRoot, policy: RetentionPolicy, now: datetime | None = None
) -> RetentionSummary:
    summary = RetentionSummary()
    as_of_tables: list[Table] = [t for t in LAKE_TABLES if t.partition_keys == (AS_OF_DATE,)]
    built = {date.fromisoformat(d) for t in as_of_tables for d in lake.partitions(root, t)}
    keep = {d.isoformat() for d in kept_dates(built, policy.daily_days)}
    for table in as_of_tables:
        deleted = lake.delete_partitions(root, table, sorted(keep))
        if deleted:
            summary.deleted_dates[table.relation] = deleted
        if table.keys:
            lake.drop_unused_bases(root, table)
    for day in sorted(built):
        if day.isoformat() not in keep:
            folder = lake.export_dir(root, CREDIT_EXPORT, day)
            if folder.exists():
                shutil.rmtree(folder)
    horizon = (now or datetime.now(UTC)) - timedelta(days=policy.published_days)
    published = sorted(root.published.glob("warehouse-*.duckdb")) if root.published.exists() else []
    kept_warehouses = []
    for path in published:
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < horizon and path != published[-1]:
            path.unlink()
            summary.removed_warehouses.append(path.name)
        else:
            kept_warehouses.append(path)
    pinned = _pinned_versions(kept_warehouses)
    for table in STORED_TABLES:
        summary.removed_files += len(
            lake.vacuum(
                root,
                table,
                retention_hours=policy.published_days * 24,
                keep_versions=sorted(pinned.get(table.relation, set())),
            )
        )
    return summary
