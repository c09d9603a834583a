"""core stage: point-in-time enterprise, patent and R&D filing state as of each day."""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

from collections.abc import Callable
from datetime import date

import dagster as dg
import polars as pl

from assets.common import AsOfWriter, as_of_asset, by_day_result, markdown_table
from assets.freshness import reusable_date
from assets.partitions import full_run, partition_dates
from assets.resources import CapscoreResource
from capscore.core.enterprise import (
    enterprise_state,
    enterprise_state_since,
    registry_changed_since,
)
from capscore.core.patent import patent_state, patent_state_since, patents_changed_since
from capscore.core.person_cache import read_person_names, write_person_names
from capscore.core.personal import FILED_NAME
from capscore.core.rd_filing import rd_filing_state
from capscore.storage import tables
from capscore.storage.changes import Update
from capscore.storage.lake import read_as_of, scan_as_of, scan_landed_by
from capscore.storage.paths import DataRoot
from data_contracts.schemas import landed_schema

GROUP = "core"


def _landed(
    capscore: CapscoreResource,
    source: str,
    days: list[date],
    changed: tuple[date, Callable[[pl.LazyFrame, date, date], pl.LazyFrame]] | None = None,
) -> pl.DataFrame:
    """Every raw row of `source` that landed by the last of `days`; with `changed` (an
    earlier date and which rows an update of its state reads), only those, streamed: a
    night's records, not the lake's millions."""
    scan = scan_landed_by(capscore.root, source, max(days), landed_schema(source))
    if changed is None:
        return scan.collect()
    earlier, changed_since = changed
    return changed_since(scan, earlier, max(days)).collect(engine="streaming")


def _earlier_date(
    context: dg.AssetExecutionContext, root: DataRoot, first: date, built: list[tables.Table]
) -> date | None:
    """The as-of date before `first` whose `built` tables a run updates instead of making
    them again from every raw row (None: a full run, or no such date)."""
    return None if full_run(context) else reusable_date(root, first, built)


@as_of_asset(
    tables.ENTERPRISE,
    GROUP,
    "Latest visible registry snapshot per enterprise (former names rebuilt from "
    "earlier snapshots) and its SCD2 history (core/enterprise_history), as of D.",
    deps=[tables.RAW_REGISTRY],
)
def enterprise(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    """A date is the date before's with the enterprises whose snapshots changed made
    again (enterprise_state_since): the same rows as making every one again, which the
    run tag `capscore/full=true` does."""
    root = capscore.root
    days = partition_dates(context)
    built = [tables.ENTERPRISE, tables.ENTERPRISE_HISTORY]
    earlier = _earlier_date(context, root, days[0], built)
    summary = []
    write = AsOfWriter(root)
    since = None
    if earlier is not None:
        state = scan_as_of(root, tables.ENTERPRISE, earlier)
        since = (earlier, (state, scan_as_of(root, tables.ENTERPRISE_HISTORY, earlier)))
    raw = _landed(
        capscore, "registry", days, None if earlier is None else (earlier, registry_changed_since)
    )
    for day in days:
        current, history = (
            enterprise_state(raw, day)
            if since is None
            else enterprise_state_since(raw, day, *since)
        )
        write(tables.ENTERPRISE, current, day)
        write(tables.ENTERPRISE_HISTORY, history, day)
        summary.append(
            {
                "as_of_date": day,
                "updated_from": since[0] if since else None,
                "enterprises": current.height,
                "with_former_names": current.filter(pl.col("former_names").list.len() > 0).height,
                "history_versions": history.height,
            }
        )
        since = (day, (current.lazy(), history.lazy()))
    statuses = current.group_by("status").len("enterprises").sort("status")
    return by_day_result(summary, "enterprises", by_status=markdown_table(statuses))


@as_of_asset(
    tables.PATENT,
    GROUP,
    "Latest visible version per patent application with forward citations, as of D.",
    deps=[tables.RAW_PATENTS],
)
def patent(context: dg.AssetExecutionContext, capscore: CapscoreResource) -> dg.MaterializeResult:
    """Applicants the kind rule calls persons are masked; the names it has read are kept
    for the next run (core/person_cache.py), which classifies only the names it has not
    met. A date is the date before's with the applications that have a new version made
    again (patent_state_since). Both give the same rows as making every application
    again from every name, which the run tag `capscore/full=true` does."""
    root = capscore.root
    days = partition_dates(context)
    summary = []
    write = AsOfWriter(root)
    names = read_person_names(root, full_run(context))
    earlier = _earlier_date(context, root, days[0], [tables.PATENT])
    since = None if earlier is None else (earlier, scan_as_of(root, tables.PATENT, earlier))
    raw = _landed(
        capscore, "patents", days, None if earlier is None else (earlier, patents_changed_since)
    )
    for day in days:
        update = (
            Update(patent_state(raw, day, names))
            if since is None
            else patent_state_since(raw, day, *since, names)
        )
        write.update(tables.PATENT, update, day, since[0] if since else None)
        del update
        # Read back from what was written: an update holds only the rows it made.
        state = scan_as_of(root, tables.PATENT, day)
        counts = state.select(
            pl.len().alias("patents"),
            (pl.col("legal_status") == "granted").sum().alias("granted"),
            pl.col("forward_citations").sum().alias("forward_citations"),
        ).collect()
        summary.append(
            {
                "as_of_date": day,
                "updated_from": since[0] if since else None,
                **counts.row(0, named=True),
            }
        )
        since = (day, state)
    write_person_names(root, names)
    by_type = (
        state.group_by("patent_type", "legal_status")
        .len()
        .sort("patent_type", "legal_status")
        .collect()
    )
    return by_day_result(summary, "patents", by_type_and_status=markdown_table(by_type))


@as_of_asset(
    tables.RD_FILING,
    GROUP,
    "R&D filings resolved to enterprises (matched links only), latest refiling per "
    "enterprise and fiscal year, as of D.",
    deps=[tables.RAW_RD_RECORDS, tables.RD_LINKS],
)
def rd_filing(
    context: dg.AssetExecutionContext, capscore: CapscoreResource
) -> dg.MaterializeResult:
    """A filer's name the applicant-kind rule calls a person's is stored masked (the
    days of a run share the names the rule has read)."""
    days = partition_dates(context)
    raw = _landed(capscore, "rd_records", days)
    summary = []
    write = AsOfWriter(capscore.root)
    names = read_person_names(capscore.root, full_run(context), raw.get_column(FILED_NAME))
    for day in days:
        links = read_as_of(capscore.root, tables.RD_LINKS, day)
        filing = rd_filing_state(raw, links, day, names)
        write(tables.RD_FILING, filing, day)
        summary.append(
            {
                "as_of_date": day,
                "filings": filing.height,
                "enterprises": filing["credit_code"].n_unique(),
            }
        )
    write_person_names(capscore.root, names)
    return by_day_result(summary, "filings")


core_assets = [enterprise, patent, rd_filing]
