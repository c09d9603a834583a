"""Raw lake schemas as architecture.md fixes them, so an empty lake is an empty input.

Before the first drop lands, `storage.lake.scan_table` has no files to read a
schema from; these hints let the as-of tables come out empty with the right
columns instead of failing.
"""

from __future__ import annotations

import polars as pl

_LINEAGE: dict[str, pl.DataType] = {
    "_file": pl.String(),
    "_row_number": pl.Int64(),
    "_extra": pl.String(),
    "landing_date": pl.Date(),
}
_TEXT_LIST = pl.List(pl.String())

RAW_REGISTRY: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "name": pl.String(),
    "former_names": _TEXT_LIST,
    "english_name": pl.String(),
    "legal_form": pl.String(),
    "established_date": pl.Date(),
    "status": pl.String(),
    "registered_capital": pl.Float64(),
    "industry_code": pl.String(),
    "region_code": pl.String(),
    "address": pl.String(),
    "legal_representative": pl.String(),
    "insured_staff": pl.Int64(),
    "hnte_valid_until": pl.Date(),
    "srdi_level": pl.String(),
    "snapshot_date": pl.Date(),
    **_LINEAGE,
}

RAW_PATENTS: dict[str, pl.DataType] = {
    "application_number": pl.String(),
    "patent_type": pl.String(),
    "title": pl.String(),
    "application_date": pl.Date(),
    "publication_date": pl.Date(),
    "grant_date": pl.Date(),
    "applicants": _TEXT_LIST,
    "applicant_address": pl.String(),
    "inventors": _TEXT_LIST,
    "ipc_codes": _TEXT_LIST,
    "claims_count": pl.Int64(),
    "cited_applications": _TEXT_LIST,
    "legal_status": pl.String(),
    "pct": pl.Boolean(),
    "family_size": pl.Int64(),
    **_LINEAGE,
}

RAW_RD_RECORDS: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "enterprise_name": pl.String(),
    "fiscal_year": pl.Int64(),
    "revenue": pl.Float64(),
    "rd_expense": pl.Float64(),
    "net_profit": pl.Float64(),
    "total_assets": pl.Float64(),
    "total_liabilities": pl.Float64(),
    "rd_staff": pl.Int64(),
    "total_staff": pl.Int64(),
    "reported_date": pl.Date(),
    "credit_code_valid": pl.Boolean(),
    **_LINEAGE,
}

# The er/rd_links columns core/rd_filing reads.
RD_LINKS: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row_number": pl.Int64(),
    "credit_code": pl.String(),
    "method": pl.String(),
    "match_probability": pl.Float64(),
    "decision": pl.String(),
}
