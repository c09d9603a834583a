"""The IP value proxy per patent and per enterprise (credit_policy ip_value, ip_pledge_ltv_by_type)."""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.indicators.patent_facts import DAYS_PER_YEAR
from scoring_models.policy_config import CreditPolicy

PATENT_VALUE_COLUMNS = [
    "credit_code",
    "application_number",
    "patent_type",
    "share",
    "quality_index",
    "remaining_years",
    "value_wan",
    "pledge_value_wan",
]


def patent_values(
    patent: pl.DataFrame,
    applicant_links: pl.DataFrame,
    patent_quality: pl.DataFrame,
    policy: CreditPolicy,
    as_of: date,
) -> pl.DataFrame:
    """Value of each valid patent to each matched owner enterprise, as of D.

    `patent` is core/patent, `applicant_links` er/applicant_links and
    `patent_quality` scoring/patent_quality, all as of D. Valid = granted with
    statutory term left (grant_date, if any, on or before D); the owner's share is its applicant positions over all
    positions of the application.
    """
    owners = (
        applicant_links.with_columns(pl.len().over("application_number").alias("_positions"))
        .filter((pl.col("decision") == "matched") & pl.col("credit_code").is_not_null())
        .group_by("application_number", "credit_code")
        .agg(pl.len().alias("_held"), pl.col("_positions").first())
        .select(
            "application_number",
            "credit_code",
            (pl.col("_held") / pl.col("_positions")).alias("share"),
        )
    )
    patent_type = pl.col("patent_type")
    term = patent_type.replace_strict(dict(policy.statutory_term_years), default=None)
    age_years = (pl.lit(as_of) - pl.col("application_date")).dt.total_days() / DAYS_PER_YEAR
    quality = patent_quality.select("application_number", "quality_index")
    return (
        patent.filter(
            (pl.col("legal_status") == "granted")
            # a grant announced after D is not known on D
            & (pl.col("grant_date").is_null() | (pl.col("grant_date") <= pl.lit(as_of)))
        )
        .select("application_number", "patent_type", "application_date")
        .with_columns((term - age_years).alias("remaining_years"), term.alias("_term"))
        .filter(pl.col("remaining_years") > 0)
        .join(quality, on="application_number", how="left")
        .with_columns(pl.col("quality_index").fill_null(0.0))
        .with_columns(
            (
                patent_type.replace_strict(dict(policy.base_value), default=None)
                * (policy.quality_floor + policy.quality_slope * pl.col("quality_index"))
                * pl.col("remaining_years")
                / pl.col("_term")
            ).alias("_value")
        )
        .join(owners, on="application_number", how="inner")
        .with_columns((pl.col("_value") * pl.col("share")).alias("value_wan"))
        .with_columns(
            (
                pl.col("value_wan")
                * patent_type.replace_strict(dict(policy.pledge_ltv), default=None)
            ).alias("pledge_value_wan")
        )
        .select(PATENT_VALUE_COLUMNS)
        .sort("credit_code", "application_number")
    )


def enterprise_ip_values(values: pl.DataFrame) -> pl.DataFrame:
    """(credit_code, ip_value_wan, pledge_value_wan, valid_patents) from `patent_values`."""
    return values.group_by("credit_code").agg(
        pl.col("value_wan").sum().alias("ip_value_wan"),
        pl.col("pledge_value_wan").sum().alias("pledge_value_wan"),
        pl.len().cast(pl.Int64).alias("valid_patents"),
    )
