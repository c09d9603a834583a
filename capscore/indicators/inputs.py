"""The columns the scorer reads from each as-of input table (architecture.md lake schemas).

`conform` selects and types them, so a partition read from the lake (or a
frame built by hand) reaches the pure functions in one known shape: extra
columns are dropped, absent optional ones become nulls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

_TEXT_LIST = pl.List(pl.String())

PATENT: dict[str, pl.DataType] = {
    "application_number": pl.String(),
    "patent_type": pl.String(),
    "application_date": pl.Date(),
    "publication_date": pl.Date(),
    "grant_date": pl.Date(),
    "ipc_codes": _TEXT_LIST,
    "claims_count": pl.Int64(),
    "cited_applications": _TEXT_LIST,
    "legal_status": pl.String(),
    "pct": pl.Boolean(),
    "family_size": pl.Int64(),
    "first_landing_date": pl.Date(),
}

APPLICANT_LINK: dict[str, pl.DataType] = {
    "application_number": pl.String(),
    "applicant_position": pl.Int64(),
    "applicant_kind": pl.String(),
    "credit_code": pl.String(),
    "decision": pl.String(),
}

ENTERPRISE: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "region_code": pl.String(),
    "industry_code": pl.String(),
    "established_date": pl.Date(),
    "hnte_valid_until": pl.Date(),
    "srdi_level": pl.String(),
    "snapshot_date": pl.Date(),
}

RD_FILING: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "fiscal_year": pl.Int64(),
    "revenue": pl.Float64(),
    "rd_expense": pl.Float64(),
    "total_assets": pl.Float64(),
    "total_liabilities": pl.Float64(),
    "rd_staff": pl.Int64(),
    "total_staff": pl.Int64(),
    "reported_date": pl.Date(),
}


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """`frame` with exactly `schema`'s columns, cast; absent columns are null."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def from_records(
    records: Sequence[Mapping[str, Any]], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """A typed frame from dicts that may omit optional keys (tests, examples)."""
    rows = [{name: record.get(name) for name in schema} for record in records]
    return pl.DataFrame(rows, schema=dict(schema))
