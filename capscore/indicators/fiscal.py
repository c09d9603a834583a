"""R&D and financial facts per enterprise from its fiscal-year filings, as of D."""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.core.point_in_time import latest_per_key
from capscore.indicators.exact import MONEY_SCALE, exact_sum
from scoring_models.config import ScoringModel

SCHEMA: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "fiscal_year_latest": pl.Int64(),
    "revenue_latest": pl.Float64(),
    "rd_expense_latest": pl.Float64(),
    "total_assets_latest": pl.Float64(),
    "total_liabilities_latest": pl.Float64(),
    "rd_intensity": pl.Float64(),
    "rd_staff_share": pl.Float64(),
    "debt_ratio": pl.Float64(),
    "revenue_growth": pl.Float64(),
    "rd_growth": pl.Float64(),
}


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    return pl.when(den > 0).then(num / den)


def year_on_year(value: str, full_base_year: pl.Expr) -> pl.Expr:
    """v_t / v_(t-1) where year t-1 was filed, is a full year and v_(t-1) > 0 (rows sorted by
    enterprise, then year).

    Growth = mean of these ratios - 1: over three complete years the 高新技术企业
    formula ½(Y2/Y1 + Y3/Y2) - 1, over two years Y/(Y-1) - 1.
    """
    # The row before, when it is the same enterprise's: in this order a shift, which
    # costs a fraction of a shift within each enterprise's group.
    same_firm = pl.col("credit_code").eq_missing(pl.col("credit_code").shift(1))
    previous = pl.col(value).shift(1)
    consecutive = same_firm & (pl.col("fiscal_year").shift(1) == pl.col("fiscal_year") - 1)
    return pl.when(consecutive & (previous > 0) & full_base_year).then(pl.col(value) / previous)


def after_founding_year(year: pl.Expr) -> pl.Expr:
    """Whether fiscal `year` is a whole year of business: after the year the firm was
    established (column `established_date`; unknown counts as whole).

    The year of establishment covers only the months after the founding, so
    growth measured from it is mostly the calendar (a firm founded in October
    "grows" 300% in its first full year)."""
    return (year > pl.col("established_date").dt.year()).fill_null(True)


def full_base_year(model: ScoringModel) -> pl.Expr:
    """Whether the row's previous fiscal year may be a growth base: with
    `growth_skips_founding_year`, only a whole year of business (rows need
    `established_date`)."""
    if not model.growth_skips_founding_year:
        return pl.lit(True)
    return after_founding_year(pl.col("fiscal_year") - 1)


def latest_filings(rd_filings: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One filing per (credit_code, fiscal_year) visible on D, the latest reported_date
    winning; sorted by credit_code and fiscal_year."""
    rows = rd_filings.filter(
        pl.col("credit_code").is_not_null() & (pl.col("reported_date") <= as_of)
    )
    # Same-day refilings: core/rd_filing already resolved them; the value sort
    # only makes a stray tie independent of row order.
    return latest_per_key(
        rows, ["credit_code", "fiscal_year"], ["reported_date", "revenue", "rd_expense"]
    )


def fiscal_facts(rd_filings: pl.DataFrame, as_of: date, model: ScoringModel) -> pl.DataFrame:
    """Per enterprise with a usable filing: latest-year facts and 3-fiscal-year indicators.

    `rd_filings` carries the firm's `established_date` when the model skips founding years.
    """
    rows = latest_filings(rd_filings, as_of)
    full_base = full_base_year(model)
    latest = pl.col("_latest")
    # In latest_filings' order (firm, then year), which year_on_year reads.
    window = (
        rows.with_columns(pl.col("fiscal_year").max().over("credit_code").alias("_latest"))
        .filter(
            (latest >= as_of.year - model.fiscal_max_lag_years)
            & (pl.col("fiscal_year") > latest - model.fiscal_years)
        )
        .with_columns(
            year_on_year("revenue", full_base).alias("_revenue_yoy"),
            year_on_year("rd_expense", full_base).alias("_rd_yoy"),
        )
    )
    at_latest = pl.col("fiscal_year") == pl.col("fiscal_year").max()
    both = pl.col("rd_expense").is_not_null() & pl.col("revenue").is_not_null()
    return (
        window.group_by("credit_code")
        .agg(
            pl.col("fiscal_year").max().alias("fiscal_year_latest"),
            pl.col("revenue").filter(at_latest).first().alias("revenue_latest"),
            pl.col("rd_expense").filter(at_latest).first().alias("rd_expense_latest"),
            pl.col("total_assets").filter(at_latest).first().alias("total_assets_latest"),
            pl.col("total_liabilities").filter(at_latest).first().alias("total_liabilities_latest"),
            pl.col("rd_staff").filter(at_latest).first().cast(pl.Float64).alias("_rd_staff"),
            pl.col("total_staff").filter(at_latest).first().cast(pl.Float64).alias("_staff"),
            exact_sum(pl.col("rd_expense").filter(both), MONEY_SCALE).alias("_rd_sum"),
            exact_sum(pl.col("revenue").filter(both), MONEY_SCALE).alias("_revenue_sum"),
            (pl.col("_revenue_yoy").mean() - 1.0).alias("revenue_growth"),
            (pl.col("_rd_yoy").mean() - 1.0).alias("rd_growth"),
        )
        .with_columns(
            _ratio(pl.col("_rd_sum"), pl.col("_revenue_sum")).alias("rd_intensity"),
            _ratio(pl.col("_rd_staff"), pl.col("_staff")).alias("rd_staff_share"),
            _ratio(pl.col("total_liabilities_latest"), pl.col("total_assets_latest")).alias(
                "debt_ratio"
            ),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()])
    )
