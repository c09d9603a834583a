"""Scoring model v2: evidence semantics, absolute bands, credibility, stage without revenue,
breakthrough ties (the scoring-v2 issue). Expected values come from the loaded YAML."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl
import pytest

from capscore.indicators.inputs import ENTERPRISE, from_records
from capscore.indicators.life_stage import (
    BASIS_AGE,
    BASIS_AGE_AND_SIZE,
    BASIS_REVENUE,
    life_stage_expr,
    stage_basis_expr,
)
from capscore.indicators.patent_quality import breakthrough_expr
from capscore.scoring.scores import band_score, credibility, enterprise_scores, score_indicators
from scoring_models.config import SCORING_V2, ScoringModel, load_model_version, load_scoring_model


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return load_scoring_model(SCORING_V2)


def wide(model: ScoringModel, rows: Mapping[str, Mapping[str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"credit_code": c, **{n: v.get(n) for n in model.indicator_names}}
            for c, v in rows.items()
        ],
        schema={"credit_code": pl.String, **{n: pl.Float64 for n in model.indicator_names}},
    )


def profile(codes: list[str], stage: str = "growth", section: str = "C") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "credit_code": codes,
            "industry_section": [section] * len(codes),
            "life_stage": [stage] * len(codes),
        }
    )


def counts(model: ScoringModel) -> list[str]:
    return [s.name for s in model.indicators if s.zero_is_no_evidence]


def test_a_zero_count_scores_zero_below_every_firm_with_evidence(model: ScoringModel) -> None:
    # 60 firms: 40 without a single invention, 20 with 1..20.
    rows = {f"z{i:02d}": {"valid_invention_stock": 0.0} for i in range(40)}
    rows |= {f"e{i:02d}": {"valid_invention_stock": float(i + 1)} for i in range(20)}
    values = score_indicators(wide(model, rows), profile(list(rows)), model)
    stock = values.filter(pl.col("indicator") == "valid_invention_stock")
    zero = stock.filter(pl.col("credit_code").str.starts_with("z"))["score"]
    some = stock.filter(pl.col("credit_code").str.starts_with("e"))["score"]
    assert zero.unique().to_list() == [0.0]
    assert float(some.min()) > 0 and float(some.max()) == pytest.approx(100.0)  # type: ignore[arg-type]
    # v1 would have put the 40 tied zeros at the median of the 60 (about 33).
    assert some.is_sorted()


def test_bands_follow_the_official_tables(model: ScoringModel) -> None:
    spec = model.indicator("rd_intensity")
    raw = [None, 0.0, 0.019, 0.02, 0.0599, 0.06, 0.5]
    scored = (
        pl.DataFrame({"x": raw}).select(band_score(pl.col("x"), spec.bands)).to_series().to_list()
    )
    expected: list[float | None] = []
    for value in raw:
        if value is None:
            expected.append(None)
            continue
        match = next(
            b
            for b in spec.bands
            if all(
                {"gte": value >= v, "gt": value > v, "lte": value <= v, "lt": value < v}[k]
                for k, v in b.bounds.items()
            )
        )
        expected.append(match.score)
    assert scored == expected
    assert scored[-2] == 100.0 and scored[1] == 0.0  # ≥ 6% full marks, < 2% none
    debt = model.indicator("debt_ratio")
    assert debt.direction == "lower" and debt.scoring == "bands"
    every_band = [s for s in model.indicators if s.scoring == "bands"]
    assert every_band and all(s.source for s in every_band)


def test_credibility_shrinks_toward_the_prior_never_the_middle(model: ScoringModel) -> None:
    k = model.credibility_k
    assert k is not None and model.prior_score < 50
    coverage = pl.DataFrame({"c": [0.0, 0.25, 0.5, 1.0]})
    z = coverage.select(credibility(pl.col("c"), model))["c"].to_list()
    assert z[0] == 0.0 and z[-1] == pytest.approx(1.0)
    assert z == sorted(z)
    assert z[2] == pytest.approx(0.5 * (1 + k) / (0.5 + k))


def test_a_missing_filing_lowers_coverage_and_the_dimension_shrinks(model: ScoringModel) -> None:
    filed: dict[str, float | None] = {n: 0.0 for n in counts(model)}
    filed |= {
        "rd_intensity": 0.08,
        "rd_staff_share": 0.4,
        "ip_class_points": 30.0,
        "valid_invention_stock": 5.0,
        "invention_filings_3y": 5.0,
        "portfolio_quality": 0.5,
    }
    unfiled: dict[str, float | None] = {**filed, "rd_intensity": None, "rd_staff_share": None}
    rows: dict[str, dict[str, float | None]] = {"filed": filed, "unfiled": unfiled} | {
        f"p{i:02d}": {n: 0.0 for n in counts(model)} for i in range(40)
    }
    prof = profile(list(rows))
    scores = enterprise_scores(score_indicators(wide(model, rows), prof, model), prof, model)
    by = {r["credit_code"]: r for r in scores.iter_rows(named=True)}
    assert by["unfiled"]["innovation_coverage"] < by["filed"]["innovation_coverage"]
    assert by["unfiled"]["innovation"] < by["unfiled"]["innovation_evidence"]
    assert by["filed"]["innovation"] == pytest.approx(by["filed"]["innovation_evidence"])
    no_evidence = [r for c, r in by.items() if c.startswith("p")]
    assert max(r["composite"] for r in no_evidence) <= min(
        by["unfiled"]["composite"], by["filed"]["composite"]
    )


def test_unknown_revenue_never_makes_an_old_firm_a_startup(model: ScoringModel) -> None:
    frame = pl.DataFrame(
        {
            "age": [2.0, 20.0, 12.0, 5.0, 12.0, 5.0],
            "revenue": [None, None, None, None, 1000.0, None],
            "staff": [None, 10, 5, 5, 10, None],
            "capital": [None, 100.0, 50.0, 50.0, 100.0, None],
        },
        schema={"age": pl.Float64, "revenue": pl.Float64, "staff": pl.Int64, "capital": pl.Float64},
    )
    out = frame.select(
        life_stage_expr(
            model, pl.col("age"), pl.col("revenue"), pl.col("staff"), pl.col("capital")
        ).alias("stage"),
        stage_basis_expr(model, pl.col("revenue"), pl.col("staff"), pl.col("capital")).alias(
            "basis"
        ),
    )
    stages, basis = out["stage"].to_list(), out["basis"].to_list()
    assert stages[0] == "seed"
    assert stages[1] == "mature" and stages[2] == "growth"  # old, no revenue: never a startup
    assert stages[3] == "startup"
    assert stages[4] == "startup" and basis[4] == BASIS_REVENUE  # revenue known: the §4 bands
    assert basis[:4] == [BASIS_AGE, BASIS_AGE_AND_SIZE, BASIS_AGE_AND_SIZE, BASIS_AGE_AND_SIZE]
    assert basis[5] == BASIS_AGE


def test_v1_still_reads_unknown_revenue_as_zero() -> None:
    v1 = load_model_version("scoring_v1")
    frame = pl.DataFrame(
        {"age": [20.0], "revenue": [None]}, schema={"age": pl.Float64, "revenue": pl.Float64}
    )
    assert frame.select(life_stage_expr(v1, pl.col("age"), pl.col("revenue"))).item() == "startup"


def test_breakthrough_ties_are_broken_so_at_most_one_percent_plus_one(model: ScoringModel) -> None:
    n = 250
    frame = pl.DataFrame(
        {
            "application_number": [f"CN{i:04d}" for i in range(n)],
            "cohort": ["2021-B60"] * n,
            # 10 patents tied at the top count: v1 would flag all 10.
            "forward_citations_5y": [9] * 10 + [1] * (n - 10),
            "publication_date": [date(2021, 1, 1 + i % 28) for i in range(n)],
            "_breakthrough_cut": [9.0] * n,
        }
    )
    flagged = frame.filter(breakthrough_expr(model.patents))
    assert flagged.height <= n * (1 - model.patents.breakthrough_quantile) + 1
    assert flagged.height >= 1 and flagged["forward_citations_5y"].min() == 9
    v1 = load_model_version("scoring_v1")
    assert frame.filter(breakthrough_expr(v1.patents)).height == 10


def test_every_v2_enterprise_frame_is_typed_like_the_registry() -> None:
    rows = from_records([{"credit_code": "X", "insured_staff": 3}], ENTERPRISE)
    assert (
        rows.schema["insured_staff"] == pl.Int64 and rows.schema["registered_capital"] == pl.Float64
    )


def test_a_firm_without_evidence_is_told_why_it_scores_zero(model: ScoringModel) -> None:
    """All counts zero, nothing filed: no indicator moves it from a peer median that is
    itself zero, so its reasons say there is no evidence instead of nothing."""
    zeros = dict.fromkeys(counts(model), 0.0)
    rows = {f"z{i:02d}": zeros for i in range(20)}
    rows |= {f"e{i:02d}": {**zeros, "valid_invention_stock": float(i + 1)} for i in range(5)}
    prof = profile(list(rows))
    scores = enterprise_scores(score_indicators(wide(model, rows), prof, model), prof, model)
    bare = scores.filter(pl.col("credit_code") == "z00").row(0, named=True)
    assert bare["composite"] == 0.0
    assert len(bare["top_reasons"]) == 1 and bare["top_reasons"][0].startswith("- no evidence")
    strong = scores.filter(pl.col("credit_code") == "e04").row(0, named=True)
    assert not any(r.startswith("- no evidence") for r in strong["top_reasons"])
