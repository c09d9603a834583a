"""What happened next: outcomes between a reference date R and a later date D, from the
registry and filings as they were known on each date (never from anything later than D).

- certification: active at R without a valid HNTE certificate or a 专精特新 level,
  and holding one on D (HNTE valid on D, or SRDI provincial/national);
- revenue_growth: latest filed revenue on D at least `growth` a year above the
  latest on R (compounded over the fiscal years between them: the latest filing on R
  may be two years old), the fiscal year having moved on (firms with a filing on both
  dates) and the base year a full year of business: growth from the year of establishment is
  the founding month, not the firm (a firm founded in October "grows" 300%);
- deregistration: active at R, 注销 or 吊销 on D (a bad outcome: a good score
  should make it less likely).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from capscore.indicators.fiscal import after_founding_year

GOOD_OUTCOMES = ("certification", "revenue_growth")
BAD_OUTCOMES = ("deregistration",)
OUTCOMES = (*GOOD_OUTCOMES, *BAD_OUTCOMES)
DEREGISTERED = ("注销", "吊销")
CERTIFIED_SRDI = ("provincial", "national")
REVENUE_GROWTH = 0.20
# What each outcome counts, as `capscore validate` says it.
MEANING = {
    "certification": "gained a valid HNTE certificate or a provincial/national SRDI level",
    "revenue_growth": f"filed revenue up at least {REVENUE_GROWTH:.0%} a year",
    "deregistration": "active, then 注销 or 吊销 (a bad outcome)",
}


@dataclass(frozen=True)
class State:
    """The registry and the filings as known on one date."""

    as_of: date
    # core/enterprise: credit_code, status, hnte_valid_until, srdi_level, established_date
    enterprise: pl.DataFrame
    rd_filing: pl.DataFrame  # core/rd_filing: credit_code, fiscal_year, revenue


def _certified(state: State) -> pl.DataFrame:
    return state.enterprise.select(
        "credit_code",
        "status",
        (
            (pl.col("hnte_valid_until") >= state.as_of).fill_null(False)
            | pl.col("srdi_level").is_in(list(CERTIFIED_SRDI)).fill_null(False)
        ).alias("certified"),
    )


def _latest_revenue(state: State) -> pl.DataFrame:
    return (
        state.rd_filing.filter(pl.col("revenue").is_not_null())
        .sort("credit_code", "fiscal_year")
        .group_by("credit_code")
        .agg(pl.col("fiscal_year").last(), pl.col("revenue").last())
    )


def outcomes(before: State, after: State, active_statuses: tuple[str, ...]) -> pl.DataFrame:
    """Long frame: credit_code, outcome, happened (bool) for every firm at risk at R."""
    then = _certified(before).rename({"status": "status_r", "certified": "certified_r"})
    now = _certified(after).rename({"status": "status_d", "certified": "certified_d"})
    joined = then.join(now, on="credit_code", how="left")
    active = pl.col("status_r").is_in(list(active_statuses)).fill_null(False)
    certification = joined.filter(active & ~pl.col("certified_r")).select(
        "credit_code",
        pl.lit("certification").alias("outcome"),
        pl.col("certified_d").fill_null(False).alias("happened"),
    )
    deregistration = joined.filter(active).select(
        "credit_code",
        pl.lit("deregistration").alias("outcome"),
        pl.col("status_d").is_in(list(DEREGISTERED)).fill_null(False).alias("happened"),
    )
    revenue = (
        _latest_revenue(before)
        .join(_latest_revenue(after), on="credit_code", suffix="_d")
        .join(
            before.enterprise.select("credit_code", "established_date"),
            on="credit_code",
            how="left",
        )
        .filter(
            (pl.col("fiscal_year_d") > pl.col("fiscal_year"))
            & (pl.col("revenue") > 0)
            & after_founding_year(pl.col("fiscal_year"))
        )
        .select(
            "credit_code",
            pl.lit("revenue_growth").alias("outcome"),
            (
                (pl.col("revenue_d") / pl.col("revenue"))
                ** (1.0 / (pl.col("fiscal_year_d") - pl.col("fiscal_year")))
                - 1.0
                >= REVENUE_GROWTH
            ).alias("happened"),
        )
    )
    return pl.concat([certification, revenue, deregistration]).sort("outcome", "credit_code")
