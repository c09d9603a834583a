"""Ingest stage: each day's landing drop of a source, checked against its contract.

Writes, per landing date D, `raw/<source>/landing_date=D/` (the accepted rows,
typed), `quality/quarantine/source=S/partition_date=D/` and
`quality/load_audit/source=S/partition_date=D/`. A day without a drop writes
empty partitions, so the day is recorded as loaded. Which files form a drop is
`capscore.landing.drops`; a run loads every drop file present when it reads the
folder and records each file's sha256, and a date loaded again replaces all of
its rows (a rewritten file supersedes its earlier version).

Entries under `landing/<source>/` that are no landing date (`2026-13-45`,
`20261121`, a stray file, a folder before the calendar) have no partition: they
are recorded under a null `partition_date` (read back as a
null partition_date) of both quality tables, status `rejected`, rewritten with
the current list whenever it changes.

Checks per source, from its contract: the accepted rows meet the contract's
Great Expectations suite (blocking), every file reconciles (blocking), and the
quarantine rate stays under the contract's threshold (warning).
"""

# No `from __future__ import annotations`: Dagster inspects the context annotation at
# definition time.

import time
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import polars as pl

from assets.common import markdown_table
from assets.ingest_summary import files_table, gx_table, top_reasons
from assets.partitions import START_DATE, daily_partitions, partition_dates, single_run_backfill
from assets.resources import CapscoreResource
from capscore.landing.drops import Refused, discover
from capscore.landing.read import read_drop
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LOAD_AUDIT, QUARANTINE, RAW, SOURCES
from data_contracts.contract import load_contract
from data_contracts.gx_suite import LANDING_DATE, run_suite
from data_contracts.ingest import LOAD_AUDIT_SCHEMA, IngestResult, ingest_files, rejected_entries
from data_contracts.reconcile import reconcile
from data_contracts.schemas import QUARANTINE_SCHEMA, raw_schema

GROUP = "ingest"
FIRST_DAY = date.fromisoformat(START_DATE)
# Entries that are no landing date at all are recorded under a null partition date.
NO_DATE = None


def write_result(root: DataRoot, result: IngestResult) -> None:
    source, day = result.source, result.partition_date
    write_partition(root, RAW[source], result.accepted, day)
    write_partition(root, QUARANTINE, result.quarantine, source, day)
    write_partition(root, LOAD_AUDIT, result.audit, source, day)


def record_rejected(
    root: DataRoot, rejected: Sequence[Refused], sources: Sequence[str], now: datetime
) -> list[Refused]:
    """Record the entries of `sources` that are no landing date (see the module docstring).

    Writes only when the list changed since it was last recorded, so callers may
    call it on every look at the landing; returns the entries newly recorded.
    """
    new: list[Refused] = []
    for source in sources:
        mine = sorted((r for r in rejected if r.source == source), key=lambda r: r.path)
        stored = read_partition(root, LOAD_AUDIT, source, NO_DATE, columns=["file", "error"])
        before = set() if stored is None else set(stored.iter_rows())
        if (stored is None and not mine) or before == {(r.path, r.reason) for r in mine}:
            continue
        audit, quarantine = rejected_entries(source, mine, now)
        write_partition(root, QUARANTINE, quarantine, source, NO_DATE)
        write_partition(root, LOAD_AUDIT, audit, source, NO_DATE)
        new += [r for r in mine if (r.path, r.reason) not in before]
    return new


def _metadata(
    days: list[date], audits: list[pl.DataFrame], quarantines: list[pl.DataFrame]
) -> dict[str, Any]:
    audit = pl.concat(audits) if audits else pl.DataFrame(schema=LOAD_AUDIT_SCHEMA)
    quarantine = pl.concat(quarantines) if quarantines else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    read = int(audit["rows_read"].sum())
    loaded = int(audit["rows_loaded"].sum())
    held = int(audit["rows_quarantined"].sum())
    return {
        "dagster/row_count": loaded,
        "landing_dates": [day.isoformat() for day in days],
        "files": audit.height,
        "files_rejected": audit.filter(pl.col("status") == "rejected").height,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_quarantined": held,
        "quarantine_rate": round(held / read, 4) if read else 0.0,
        "rows_per_file": files_table(audit),
        "top_quarantine_reasons": top_reasons(quarantine),
    }


def _ingest_asset(source: str) -> dg.AssetsDefinition:
    contract = load_contract(source)

    @dg.asset(
        key=list(RAW[source].key),
        group_name=GROUP,
        partitions_def=daily_partitions,
        backfill_policy=single_run_backfill,
        kinds={"polars", "parquet"},
        description=(
            f"{contract.description} Loaded from landing/{source}/<landing date>/ and checked "
            f"against data_contracts/{source}.yaml; rejected rows go to quality/quarantine, "
            "one quality/load_audit row per file."
        ),
        metadata={"contract": f"data_contracts/{source}.yaml"},
    )
    def ingest(
        context: dg.AssetExecutionContext, capscore: CapscoreResource
    ) -> dg.MaterializeResult:
        root = capscore.root
        days = partition_dates(context)
        # Settle 0: the run was asked for; a file still being written is loaded
        # again, whole, once its hash changes (capscore.landing.drops).
        landing = discover(root, time.time_ns(), sources=[source], days=days)
        audits, quarantines = [], []
        skipped: list[str] = []
        for day in days:
            drop = landing.drop(source, day)
            files = read_drop(root, drop, contract.hints)
            result = ingest_files(files, contract, day, datetime.now(UTC))
            write_result(root, result)
            # Only the small tables are kept for the metadata: a backfill of many
            # big drops must not hold every accepted frame.
            audits.append(result.audit)
            quarantines.append(result.quarantine)
            skipped += drop.skipped
        rejected = discover(root, time.time_ns(), first_day=FIRST_DAY, sources=[source]).rejected
        for entry in record_rejected(root, rejected, [source], datetime.now(UTC)):
            context.log.warning(f"not loaded: {entry.reason}")
        metadata = _metadata(days, audits, quarantines)
        metadata["entries_rejected"] = [r.reason for r in rejected]
        metadata["files_not_in_a_drop_yet"] = list(skipped)
        return dg.MaterializeResult(metadata=metadata)

    return ingest


def _stored(
    root: DataRoot, source: str, day: date
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None:
    """(accepted, quarantine, audit) as written for one landing date, None if not written."""
    accepted = read_partition(root, RAW[source], day)
    quarantine = read_partition(root, QUARANTINE, source, day)
    audit = read_partition(root, LOAD_AUDIT, source, day)
    if accepted is None or quarantine is None or audit is None:
        return None
    return accepted, quarantine, audit


def _check_dates(context: dg.AssetCheckExecutionContext) -> list[date]:
    return [date.fromisoformat(key) for key in context.op_execution_context.partition_keys]


def contract_gx_result(root: DataRoot, source: str, days: list[date]) -> dg.AssetCheckResult:
    """The stored accepted rows of the days against the contract's GX suite, in one run."""
    stored, missing = [], []
    for day in days:
        accepted = read_partition(root, RAW[source], day)
        if accepted is None:
            missing.append(day.isoformat())
        else:
            stored.append(accepted.with_columns(pl.lit(day).alias(LANDING_DATE)))
    frame = (
        pl.concat(stored)
        if stored
        else pl.DataFrame(schema={**raw_schema(source), LANDING_DATE: pl.Date()})
    )
    summary = run_suite(frame, load_contract(source))
    return dg.AssetCheckResult(
        passed=not missing and summary.success,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "rows_validated": summary.rows,
            "expectations": len(summary.outcomes),
            "unexpected_values": summary.unexpected_total,
            "partitions_not_written": missing,
            "failed_expectations": gx_table(summary),
        },
    )


def reconcile_result(root: DataRoot, source: str, days: list[date]) -> dg.AssetCheckResult:
    """Every stored file of each day reconciles (data_contracts.reconcile)."""
    problems, missing, files = [], [], 0
    for day in days:
        stored = _stored(root, source, day)
        if stored is None:
            missing.append(day.isoformat())
            continue
        accepted, quarantine, audit = stored
        checked = reconcile(audit, quarantine, accepted)
        files += checked.height
        problems.append(
            checked.filter(pl.col("problem").is_not_null()).select(
                pl.lit(day.isoformat()).alias("landing date"), "file", "problem"
            )
        )
    failing = pl.concat(problems) if problems else pl.DataFrame()
    return dg.AssetCheckResult(
        passed=not missing and failing.is_empty(),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "files": files,
            "files_not_reconciled": failing.height,
            "partitions_not_written": missing,
            "problems": markdown_table(failing),
        },
    )


def quarantine_rate_result(root: DataRoot, source: str, days: list[date]) -> dg.AssetCheckResult:
    """A warning when a day's quarantined share exceeds the contract's max_quarantine_rate."""
    threshold = load_contract(source).max_quarantine_rate
    rows = []
    for day in days:
        audit = read_partition(root, LOAD_AUDIT, source, day)
        read = 0 if audit is None else int(audit["rows_read"].sum())
        held = 0 if audit is None else int(audit["rows_quarantined"].sum())
        rows.append((day.isoformat(), read, held, held / read if read else 0.0))
    rates = pl.DataFrame(
        rows, schema=["landing date", "rows_read", "rows_quarantined", "rate"], orient="row"
    )
    worst = max((rate for *_, rate in rows), default=0.0)
    return dg.AssetCheckResult(
        passed=worst <= threshold,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "max_rate": round(worst, 4),
            "threshold": threshold,
            "rates": markdown_table(rates),
        },
    )


CheckResult = Callable[[DataRoot, str, list[date]], dg.AssetCheckResult]


def _check(
    asset: dg.AssetsDefinition,
    source: str,
    name: str,
    blocking: bool,
    description: str,
    result: CheckResult,
) -> dg.AssetChecksDefinition:
    # Partitioned asset checks are a Dagster preview: used knowingly, so that each
    # landing date's check result is recorded against that date.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)

        @dg.asset_check(
            asset=asset,
            name=name,
            blocking=blocking,
            partitions_def=daily_partitions,
            description=description,
        )
        def check(
            context: dg.AssetCheckExecutionContext, capscore: CapscoreResource
        ) -> dg.AssetCheckResult:
            return result(capscore.root, source, _check_dates(context))

    return check


def _checks(source: str, asset: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    rate = load_contract(source).max_quarantine_rate
    return [
        _check(
            asset,
            source,
            "contract_gx",
            True,
            f"The accepted rows meet the Great Expectations suite built from "
            f"data_contracts/{source}.yaml (100%); failing blocks downstream assets.",
            contract_gx_result,
        ),
        _check(
            asset,
            source,
            "files_reconcile",
            True,
            "Every landing file reconciles: rows read = rows loaded + rows quarantined, "
            "and the stored raw and quarantine rows match the load audit.",
            reconcile_result,
        ),
        _check(
            asset,
            source,
            "quarantine_rate",
            False,
            f"At most {rate:.0%} of a drop's rows are quarantined (max_quarantine_rate in "
            f"data_contracts/{source}.yaml); a warning, not a stop.",
            quarantine_rate_result,
        ),
    ]


ingest_assets: list[dg.AssetsDefinition] = [_ingest_asset(source) for source in SOURCES]
ingest_checks: list[dg.AssetChecksDefinition] = [
    check
    for source, asset in zip(SOURCES, ingest_assets, strict=True)
    for check in _checks(source, asset)
]
