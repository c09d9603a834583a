"""The columns the scorer reads from each as-of input table (architecture.md lake schemas).

`conform` selects and types them, so a partition read from the lake (or a
frame built by hand) reaches the pure functions in one known shape: extra
columns are dropped, absent optional ones become nulls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from capscore.indicators.patent_quality import SCHEMA as QUALITY_SCHEMA
from data_contracts.schemas import raw_schema


def _columns(source: str, names: Sequence[str]) -> dict[str, pl.DataType]:
    """`names` typed as the source contract types them (core tables keep raw types)."""
    schema = raw_schema(source)
    return {name: schema[name] for name in names}


PATENT: dict[str, pl.DataType] = {
    **_columns(
        "patents",
        [
            "application_number",
            "patent_type",
            "application_date",
            "publication_date",
            "grant_date",
            "ipc_codes",
            "claims_count",
            "cited_applications",
            "legal_status",
            "pct",
            "family_size",
        ],
    ),
    "first_landing_date": pl.Date(),
}

APPLICANT_LINK: dict[str, pl.DataType] = {
    "application_number": pl.String(),
    "applicant_position": pl.Int64(),
    "applicant_kind": pl.String(),
    "credit_code": pl.String(),
    "decision": pl.String(),
}

ENTERPRISE = _columns(
    "registry",
    [
        "credit_code",
        "name",
        "status",
        "region_code",
        "industry_code",
        "established_date",
        "registered_capital",
        "insured_staff",
        "hnte_valid_until",
        "srdi_level",
        "snapshot_date",
    ],
)

RD_FILING = _columns(
    "rd_records",
    [
        "credit_code",
        "fiscal_year",
        "revenue",
        "rd_expense",
        "total_assets",
        "total_liabilities",
        "rd_staff",
        "total_staff",
        "reported_date",
    ],
)


# What the enterprise indicators take of scoring/patent_quality.
PATENT_QUALITY: dict[str, pl.DataType] = {
    name: QUALITY_SCHEMA[name]
    for name in (
        "application_number",
        "quality_index",
        "originality",
        "generality",
        "forward_citations_5y",
        "breakthrough",
    )
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
