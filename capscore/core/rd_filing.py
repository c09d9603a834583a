"""R&D filings as of D: visible rows resolved to an enterprise, the latest refiling winning."""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.core.personal import FILED_NAME, PersonNames, mask_individual_names
from capscore.core.point_in_time import LANDING_DATE, LINEAGE_ORDER, latest_per_key, visible_as_of

KEY = ["credit_code", "fiscal_year"]
# The er/rd_links columns a filing is resolved with.
LINK_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row_number": pl.Int64(),
    "credit_code": pl.String(),
    "method": pl.String(),
    "match_probability": pl.Float64(),
    "decision": pl.String(),
}
# A refiling supersedes by reported_date; same-day refilings by drop, then file/row.
FILING_ORDER = ["reported_date", LANDING_DATE, *LINEAGE_ORDER]
COLUMNS = [
    "credit_code",
    "fiscal_year",
    "enterprise_name",
    "credit_code_as_filed",
    "revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "total_liabilities",
    "rd_staff",
    "total_staff",
    "reported_date",
    "link_method",
    "match_probability",
    LANDING_DATE,
    "_file",
    "_row_number",
]


def rd_filing_state(
    raw_rd: pl.DataFrame,
    rd_links: pl.DataFrame,
    as_of: date,
    names: PersonNames | None = None,
) -> pl.DataFrame:
    """core/rd_filing as of `as_of`.

    `rd_links` is er/rd_links as of the same day (file, row_number, credit_code,
    method, match_probability, decision); only `matched` links resolve a row,
    review and unmatched rows stay out of scoring until a reviewer decides. An
    `enterprise_name` the applicant-kind rule calls a person's (a filer wrote the
    legal representative's name) is stored masked (personal.py; `names`: names the
    rule has read before).
    """
    links = rd_links.select(list(LINK_SCHEMA)).cast(pl.Schema(LINK_SCHEMA))
    links = links.filter(pl.col("decision") == "matched").select(
        pl.col("file").alias("_file"),
        pl.col("row_number").cast(pl.Int64).alias("_row_number"),
        pl.col("credit_code").alias("_resolved"),
        pl.col("method").alias("link_method"),
        pl.col("match_probability"),
    )
    rows = (
        visible_as_of(raw_rd, as_of, "reported_date")
        .rename({"credit_code": "credit_code_as_filed"})
        .join(links, on=["_file", "_row_number"], how="inner")
        .rename({"_resolved": "credit_code"})
    )
    latest = latest_per_key(rows, KEY, FILING_ORDER).select(COLUMNS).sort(KEY)
    return mask_individual_names(latest, FILED_NAME, names)
