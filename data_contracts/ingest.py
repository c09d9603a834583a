"""Load one landing partition of one source: the accepted rows typed per the
contract, one quarantine row per rejected row or file, one audit row per file.

For every file rows_read = rows_loaded + rows_quarantined, also for a file
rejected whole: it has one quarantine row with a null row_number for the file's
problem, plus one per row it was still possible to read (its raw record kept).

The audit records the sha256 of the bytes each file was loaded from
(`LOAD_AUDIT_SCHEMA`): a landing date whose files no longer match it is loaded
again (capscore.landing.drops).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from capscore.landing.columns import conform_columns
from capscore.landing.drops import Refused
from capscore.landing.read import LandingFile
from data_contracts.check_digits import application_key
from data_contracts.contract import Contract
from data_contracts.quarantine import (
    duplicate_rows,
    failed_rows,
    file_problem,
    malformed_rows,
    rows_of_rejected_file,
    split_duplicates,
)
from data_contracts.rules import check_rows, typed_rows
from data_contracts.schemas import AUDIT_SCHEMA, FILE, QUARANTINE_SCHEMA, raw_schema_of

# quality.load_audit as written: AUDIT_SCHEMA plus the content hash of each file
# (null for entries that were never read: refused symlinks, rejected folders).
LOAD_AUDIT_SCHEMA: dict[str, pl.DataType] = {**AUDIT_SCHEMA, "sha256": pl.String()}


@dataclass(frozen=True)
class IngestResult:
    source: str
    partition_date: date
    accepted: pl.DataFrame  # raw/<source> schema (schemas.raw_schema)
    quarantine: pl.DataFrame  # QUARANTINE_SCHEMA
    audit: pl.DataFrame  # LOAD_AUDIT_SCHEMA, one row per file


@dataclass(frozen=True)
class _Loaded:
    """One file after its row rules, before duplicates across the drop are resolved."""

    landing: LandingFile
    accepted: pl.DataFrame
    quarantine: pl.DataFrame
    error: str | None = None  # the reason when the file is rejected whole

    @property
    def rejected(self) -> bool:
        return self.error is not None


def _check_file(landing: LandingFile, contract: Contract, partition_date: date) -> _Loaded:
    source, file = contract.source, landing.file
    empty = pl.DataFrame(schema=raw_schema_of(contract))
    if landing.problem is not None:
        problem = landing.problem
        quarantine = file_problem(source, partition_date, file, problem.rule, problem.reason)
        return _Loaded(landing, empty, quarantine, problem.reason)
    rows = landing.parsed.rows
    conformed = conform_columns(rows, contract.names, contract.list_columns)
    # JSON Lines name their columns row by row: with no readable row there are
    # none to miss, and each malformed line is reported on its own.
    knows_columns = rows.height > 0 or not (landing.format or "").startswith("jsonl")
    missing = [name for name in conformed.missing if name in contract.required]
    if missing and knows_columns:
        reason = f"{file} lacks required column(s) {', '.join(missing)}"
        quarantine = pl.concat(
            [
                file_problem(source, partition_date, file, "missing_column", reason, missing[0]),
                rows_of_rejected_file(
                    rows, source, partition_date, file, "missing_column", reason, missing[0]
                ),
            ]
        )
        return _Loaded(landing, empty, quarantine, reason)
    checked = check_rows(conformed.frame, contract, partition_date)
    accepted = typed_rows(checked.passed, contract, file)
    quarantine = pl.concat(
        [
            malformed_rows(landing.parsed.malformed, source, partition_date, file),
            failed_rows(checked.failed, rows, source, partition_date, file),
        ]
    ).sort("row_number")
    return _Loaded(landing, accepted, quarantine)


def _audit_row(loaded: _Loaded, rows_loaded: int, rows_quarantined: int) -> dict[str, object]:
    landing = loaded.landing
    return {
        "file": landing.file,
        "format": landing.format,
        "encoding": landing.encoding,
        "rows_read": landing.parsed.rows_read,
        "rows_loaded": rows_loaded,
        "rows_quarantined": rows_quarantined,
        "status": "rejected" if loaded.rejected else "loaded",
        "error": loaded.error,
        "sha256": landing.sha256,
    }


def ingest_files(
    files: Sequence[LandingFile],
    contract: Contract,
    partition_date: date,
    loaded_at: datetime,
) -> IngestResult:
    """Check the files of one drop (in file-name order) against `contract`."""
    loaded = [_check_file(f, contract, partition_date) for f in files]
    schema = raw_schema_of(contract)
    accepted_all = (
        pl.concat([x.accepted for x in loaded]) if loaded else pl.DataFrame(schema=schema)
    )
    # Only rows that pass every other rule compete for a key: first file, first row wins.
    forms = {
        c.name: application_key(pl.col(c.name))
        for c in contract.columns
        if c.identifier == "application_number"
    }
    accepted, duplicates = split_duplicates(accepted_all, contract.key, forms)
    quarantine_parts: list[pl.DataFrame] = []
    audit_rows: list[dict[str, object]] = []
    for x in loaded:
        file = x.landing.file
        dup = duplicates.filter(pl.col(FILE) == file)
        quarantine = pl.concat(
            [
                x.quarantine,
                duplicate_rows(
                    dup, x.landing.parsed.rows, contract.key, contract.source, partition_date, file
                ),
            ]
        ).sort("row_number", nulls_last=False)
        quarantine_parts.append(quarantine)
        if x.rejected:
            audit_rows.append(_audit_row(x, 0, x.landing.parsed.rows_read))
        else:
            audit_rows.append(_audit_row(x, x.accepted.height - dup.height, quarantine.height))
    audit = pl.DataFrame(
        [
            {
                **row,
                "source": contract.source,
                "partition_date": partition_date,
                "loaded_at": loaded_at,
            }
            for row in audit_rows
        ],
        schema=LOAD_AUDIT_SCHEMA,
    )
    quarantine = (
        pl.concat(quarantine_parts) if quarantine_parts else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    return IngestResult(contract.source, partition_date, accepted, quarantine, audit)


def rejected_entries(
    source: str, rejected: Sequence[Refused], loaded_at: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(audit, quarantine) rows of the entries under landing/<source>/ that are no landing
    date: status rejected, partition_date null (they have no landing date), nothing read."""
    audit = pl.DataFrame(
        [
            {
                "source": source,
                "partition_date": None,
                "file": r.path,
                "rows_read": 0,
                "rows_loaded": 0,
                "rows_quarantined": 0,
                "status": "rejected",
                "error": r.reason,
                "loaded_at": loaded_at,
            }
            for r in rejected
        ],
        schema=LOAD_AUDIT_SCHEMA,
    )
    quarantine = pl.concat(
        [pl.DataFrame(schema=QUARANTINE_SCHEMA)]
        + [file_problem(source, None, r.path, "unreadable_file", r.reason) for r in rejected]
    )
    return audit, quarantine
