"""Lake schemas of the ingest stage (docs/architecture.md), derived from the contracts."""

from __future__ import annotations

import polars as pl

from capscore.storage.tables import LANDING_DATE
from data_contracts.contract import Contract, load_contract

FILE = "_file"
ROW_NUMBER = "_row_number"
EXTRA = "_extra"

TYPE_DTYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "list": pl.List(pl.String()),
    "date": pl.Date(),
    "decimal": pl.Float64(),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
}

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "partition_date": pl.Date(),
    "file": pl.String(),
    "row_number": pl.Int64(),
    "column": pl.String(),
    "rule": pl.String(),
    "rules": pl.List(pl.String()),
    "reason": pl.String(),
    "raw_record": pl.String(),
}

AUDIT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "partition_date": pl.Date(),
    "file": pl.String(),
    "format": pl.String(),
    "encoding": pl.String(),
    "rows_read": pl.Int64(),
    "rows_loaded": pl.Int64(),
    "rows_quarantined": pl.Int64(),
    "status": pl.String(),
    "error": pl.String(),
    "loaded_at": pl.Datetime("us", "UTC"),
}


def raw_schema_of(contract: Contract) -> dict[str, pl.DataType]:
    """raw/<source>: the contract's columns typed, its flag columns, then lineage."""
    schema = {c.name: TYPE_DTYPES[c.type] for c in contract.columns}
    schema.update({c.flag_column: pl.Boolean() for c in contract.columns if c.flag_column})
    schema.update({FILE: pl.String(), ROW_NUMBER: pl.Int64(), EXTRA: pl.String()})
    return schema


def raw_schema(source: str) -> dict[str, pl.DataType]:
    return raw_schema_of(load_contract(source))


def landed_schema(source: str) -> dict[str, pl.DataType]:
    """raw/<source> as scanned from the lake: the raw schema plus its hive landing date.

    Before the first drop lands there are no files to read a schema from;
    scanning with this hint makes "nothing landed yet" an empty input."""
    return {**raw_schema(source), LANDING_DATE: pl.Date()}
