"""Enterprise indicators as of D (scoring.md §2) and the enterprise profile.

Patents count for an enterprise only through `matched` applicant links; every
input is filtered to what was visible on D, so rows dated after D change
nothing. Counts are 0 for an enterprise without patents; ratios and means
whose denominator is empty are missing (null), as are R&D/financial
indicators without a usable filing. Raw values stay in natural units
(indicator units and transforms are in the scoring YAML).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.core.point_in_time import latest_per_key
from capscore.indicators.exact import UNIT_SCALE, exact_mean
from capscore.indicators.fiscal import fiscal_facts
from capscore.indicators.inputs import ENTERPRISE, PATENT_QUALITY, conform
from capscore.indicators.life_stage import life_stage_expr, stage_basis_expr
from capscore.indicators.patent_facts import (
    KEY,
    PatentView,
    months_before,
    patent_subclasses,
    patent_view,
)
from scoring_models.config import ScoringModel

PROFILE_SCHEMA: dict[str, pl.DataType] = {
    "credit_code": pl.String(),
    "name": pl.String(),
    "status": pl.String(),
    "active": pl.Boolean(),
    "region_code": pl.String(),
    "industry_code": pl.String(),
    "industry_section": pl.String(),
    "established_date": pl.Date(),
    "insured_staff": pl.Int64(),
    "registered_capital": pl.Float64(),
    "life_stage": pl.String(),
    "stage_basis": pl.String(),
    "fiscal_year_latest": pl.Int64(),
    "revenue_latest": pl.Float64(),
    "rd_expense_latest": pl.Float64(),
    "total_assets_latest": pl.Float64(),
    "total_liabilities_latest": pl.Float64(),
    "rd_intensity": pl.Float64(),
    "debt_ratio": pl.Float64(),
    "patent_count": pl.Int64(),
    "valid_patent_count": pl.Int64(),
    "valid_invention_count": pl.Int64(),
    "valid_type2_count": pl.Int64(),
    "hnte_valid": pl.Boolean(),
    "hnte_valid_until": pl.Date(),
    "srdi_level": pl.String(),
    "model_version": pl.String(),
}

_COUNTS = (
    "patent_count",
    "valid_patent_count",
    "valid_invention_count",
    "valid_type2_count",
    "invention_filings_3y",
    "forward_citations",
    "breakthrough_patents",
    "collaboration",
    "technology_breadth",
    "new_fields_3y",
    "citing_applicants",
    "international_patents",
    "recent_filings_12m",
)


_international = pl.col("pct").fill_null(False) | (pl.col("family_size").fill_null(1) > 1)


def ip_class_points(valid_inventions: pl.Expr, valid_type_ii: pl.Expr) -> pl.Expr:
    """科技型中小企业评价 科技成果 points (reference-bands.md): >= 1 Ⅰ类 (invention) 30;
    Ⅱ类 (utility models, designs) >= 4: 24, 3: 18, 2: 12, 1: 6; none 0."""
    return (
        pl.when(valid_inventions >= 1)
        .then(30.0)
        .otherwise(pl.min_horizontal(valid_type_ii, 4).cast(pl.Float64) * 6.0)
    )


def age_years(as_of: date, model: ScoringModel) -> pl.Expr:
    """Years since `established_date` on `as_of`. Not a column of scoring/enterprise_profile:
    it moves every day for every firm, and the stored profiles keep only what changed."""
    return (pl.lit(as_of) - pl.col("established_date")).dt.total_days() / model.days_per_year


def current_enterprises(enterprises: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The latest snapshot per credit_code with snapshot_date <= D (core/enterprise has one already)."""
    if "snapshot_date" not in enterprises.columns:
        return enterprises.unique("credit_code", keep="last").sort("credit_code")
    # core/enterprise is already as of D; a missing snapshot date leaves the row visible.
    rows = enterprises.filter(
        pl.col("snapshot_date").is_null() | (pl.col("snapshot_date") <= as_of)
    )
    return latest_per_key(rows, ["credit_code"], ["snapshot_date"])


def _with_pid(quality: pl.DataFrame, pats: pl.DataFrame) -> pl.DataFrame:
    """`quality` (patent quality rows) keyed by the view's pid instead of the number. Patent
    quality as the same run made it is in the view's order, row for row: then the pid
    is taken by position (a join on the number costs a second at 3M patents)."""
    if quality.height == pats.height and quality[KEY].equals(pats[KEY]):
        return quality.drop(KEY).with_columns(pats["pid"])
    return quality.join(pats.select(KEY, "pid"), on=KEY).drop(KEY)


def _patent_aggregates(
    view: PatentView,
    owners: pl.DataFrame,
    quality: pl.DataFrame,
    links: pl.DataFrame,
    as_of: date,
    model: ScoringModel,
) -> pl.DataFrame:
    """Per enterprise with at least one visible resolved patent: the patent-based facts
    (`owners`: the view's, of current enterprises only)."""
    pats = view.pats
    recent = months_before(as_of, model.recent_months)
    portfolio = months_before(as_of, model.portfolio_months)
    now_start = months_before(as_of, 12)
    then_end = months_before(as_of, 12 * model.growth_years)
    then_start = months_before(as_of, 12 * model.growth_years + 12)
    partners = (
        links.filter(pl.col("applicant_kind").is_in(list(model.partner_kinds)))
        .select(KEY)
        .unique()
        .join(pats.select(KEY, "pid"), on=KEY)
        .select("pid", pl.lit(True).alias("_partner"))
    )
    facts = pats.select(
        "pid",
        "application_date",
        "pct",
        "family_size",
        "granted",
        "valid",
        "decided",
        "pending",
        "is_invention",
        "is_type_ii",
    )
    quality_by_pid = _with_pid(quality, pats)
    rows = (
        owners.join(facts, on="pid", how="inner")
        .join(quality_by_pid, on="pid", how="left")
        .join(partners, on="pid", how="left")
    )
    filed = pl.col("application_date")
    inv = pl.col("is_invention")
    in_recent = filed > recent
    aggregates = rows.group_by("credit_code").agg(
        pl.len().alias("patent_count"),
        pl.col("valid").sum().alias("valid_patent_count"),
        pl.col("granted").sum().alias("_granted"),
        (inv & pl.col("valid")).sum().alias("valid_invention_count"),
        (pl.col("is_type_ii") & pl.col("valid")).sum().alias("valid_type2_count"),
        (inv & in_recent).sum().alias("invention_filings_3y"),
        (inv & pl.col("granted")).sum().alias("_inventions_granted"),
        (inv & pl.col("decided")).sum().alias("_inventions_decided"),
        exact_mean(pl.col("quality_index").filter(filed > portfolio), UNIT_SCALE).alias(
            "portfolio_quality"
        ),
        exact_mean(pl.col("originality"), UNIT_SCALE).alias("originality_mean"),
        _international.sum().alias("international_patents"),
        (_international.sum() / pl.len()).alias("international_reach"),
        in_recent.sum().alias("_recent"),
        (in_recent & pl.col("pending")).sum().alias("_recent_pending"),
        (filed > now_start).sum().alias("recent_filings_12m"),
        ((filed > then_start) & (filed <= then_end)).sum().alias("_filed_then"),
        pl.col("forward_citations_5y").sum().alias("forward_citations"),
        pl.col("breakthrough").sum().alias("breakthrough_patents"),
        exact_mean(pl.col("generality"), UNIT_SCALE).alias("generality_mean"),
        pl.col("_partner").fill_null(False).sum().alias("collaboration"),
    )
    subclass_rows = owners.join(patent_subclasses(pats), on="pid").join(
        pats.select("pid", "application_date", "valid"), on="pid"
    )
    breadth = (
        subclass_rows.filter(pl.col("valid"))
        .group_by("credit_code")
        .agg(pl.col("subclass").n_unique().alias("technology_breadth"))
    )
    new_fields = (
        subclass_rows.group_by("credit_code", "subclass")
        .agg(pl.col("application_date").min().alias("_first"))
        .group_by("credit_code")
        .agg((pl.col("_first") > recent).sum().alias("new_fields_3y"))
    )
    edges = view.edges.select("citing_pid", "cited_pid")
    citing = (
        edges.join(owners.rename({"pid": "cited_pid"}), on="cited_pid")
        .join(owners.rename({"pid": "citing_pid", "credit_code": "_citing_code"}), on="citing_pid")
        .filter(pl.col("_citing_code") != pl.col("credit_code"))
        .group_by("credit_code")
        .agg(pl.col("_citing_code").n_unique().alias("citing_applicants"))
    )
    years = float(model.growth_years)
    return (
        aggregates.join(breadth, on="credit_code", how="left")
        .join(new_fields, on="credit_code", how="left")
        .join(citing, on="credit_code", how="left")
        .with_columns(
            pl.when(pl.col("_inventions_decided") > 0)
            .then(pl.col("_inventions_granted") / pl.col("_inventions_decided"))
            .alias("invention_grant_rate"),
            pl.when(pl.col("_granted") > 0)
            .then(pl.col("valid_patent_count") / pl.col("_granted"))
            .alias("valid_patent_share"),
            pl.when(pl.col("_recent") > 0)
            .then(pl.col("_recent_pending") / pl.col("_recent"))
            .alias("pending_share"),
            (
                ((pl.col("recent_filings_12m") + 1.0) / (pl.col("_filed_then") + 1.0))
                ** (1.0 / years)
                - 1.0
            ).alias("filing_growth"),
        )
    )


def enterprise_indicators(
    enterprises: pl.DataFrame,
    patents: pl.DataFrame,
    links: pl.DataFrame,
    rd_filings: pl.DataFrame,
    patent_quality: pl.DataFrame,
    as_of: date,
    model: ScoringModel,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(wide, profile): one row per enterprise of core/enterprise as of D.

    wide = credit_code + one Float64 column per configured indicator (null =
    missing); profile = `PROFILE_SCHEMA`. Inputs: core/enterprise,
    core/patent, er/applicant_links, core/rd_filing and scoring/patent_quality
    as of D.
    """
    view = patent_view(patents, links, as_of, model.patents)
    return indicators_of(enterprises, view, links, rd_filings, patent_quality, as_of, model)


def indicators_of(
    enterprises: pl.DataFrame,
    view: PatentView,
    links: pl.DataFrame,
    rd_filings: pl.DataFrame,
    patent_quality: pl.DataFrame,
    as_of: date,
    model: ScoringModel,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """enterprise_indicators from the date's patent view (built from the same links)."""
    # Optional registry facts a caller may lack (no size facts yet) come in as nulls.
    ents = current_enterprises(conform(enterprises, ENTERPRISE), as_of)
    owners = view.owners.join(ents.select("credit_code"), on="credit_code", how="semi")
    quality = conform(patent_quality, PATENT_QUALITY)
    patent_facts = _patent_aggregates(view, owners, quality, links, as_of, model)
    fiscal = fiscal_facts(
        rd_filings.join(ents.select("credit_code", "established_date"), on="credit_code"),
        as_of,
        model,
    )
    srdi_points = pl.col("srdi_level").replace_strict(
        dict(model.srdi_points), default=0.0, return_dtype=pl.Float64
    )
    hnte_valid = (pl.col("hnte_valid_until") >= as_of).fill_null(False)
    section = pl.col("industry_code").str.strip_chars().str.to_uppercase().str.slice(0, 1)
    age = age_years(as_of, model)
    frame = (
        ents.select(
            "credit_code",
            "name",
            "status",
            "region_code",
            "industry_code",
            "established_date",
            "hnte_valid_until",
            "srdi_level",
            "insured_staff",
            "registered_capital",
        )
        .join(patent_facts, on="credit_code", how="left")
        .join(fiscal, on="credit_code", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in _COUNTS)
        .with_columns(
            pl.col("status").is_in(list(model.active_statuses)).fill_null(False).alias("active"),
            pl.when(section.str.contains("^[A-Z]$")).then(section).alias("industry_section"),
            age.alias("age_years"),
            hnte_valid.alias("hnte_valid"),
            (hnte_valid.cast(pl.Float64) * model.hnte_points + srdi_points).alias("certification"),
            pl.col("revenue_latest").alias("revenue_scale"),
            pl.col("insured_staff").cast(pl.Float64).alias("staff_scale"),
            pl.col("valid_invention_count").alias("valid_invention_stock"),
            ip_class_points(pl.col("valid_invention_count"), pl.col("valid_type2_count")).alias(
                "ip_class_points"
            ),
            # Growth needs some filing history to mean anything.
            pl.when(pl.col("patent_count") > 0)
            .then(pl.col("filing_growth"))
            .alias("filing_growth"),
        )
        .with_columns(
            life_stage_expr(
                model,
                pl.col("age_years"),
                pl.col("revenue_latest"),
                pl.col("insured_staff"),
                pl.col("registered_capital"),
            ).alias("life_stage"),
            stage_basis_expr(
                model,
                pl.col("revenue_latest"),
                pl.col("insured_staff"),
                pl.col("registered_capital"),
            ).alias("stage_basis"),
            pl.lit(model.version).alias("model_version"),
        )
    )
    # Joins do not promise row order; outputs are sorted so reruns are identical.
    frame = frame.sort("credit_code")
    wide = frame.select(
        "credit_code",
        *[pl.col(name).cast(pl.Float64).fill_nan(None) for name in model.indicator_names],
    )
    profile = frame.select([pl.col(name).cast(dtype) for name, dtype in PROFILE_SCHEMA.items()])
    return wide, profile
