"""`score_memo`: the text an analyst pastes into a credit memo."""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest

from capscore.scoring.score_memo import ExplainError, display_width, pad, score_memo
from capscore.scoring.scores import score
from scoring_models.config import ScoringModel
from tests.models_v1 import scoring_v1


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path), with peer groups of two."""
    return dataclasses.replace(scoring_v1(), peer_min_size=2)


@pytest.fixture(scope="module")
def frames(model: ScoringModel) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    names = model.indicator_names
    wide = pl.DataFrame(
        {
            "credit_code": ["A", "B", "C"],
            **{n: [None, None, None] for n in names},
        },
        schema={"credit_code": pl.String, **{n: pl.Float64 for n in names}},
    ).with_columns(
        rd_intensity=pl.Series([0.072, 0.041, 0.02]),
        debt_ratio=pl.Series([0.30, 0.50, 0.90]),
        forward_citations=pl.Series([12.0, 3.0, 0.0]),
    )
    profile = pl.DataFrame(
        {
            "credit_code": ["A", "B", "C"],
            "name": ["杭州甲科技有限公司", "乙", "丙"],
            "status": ["存续", "存续", "吊销"],
            "active": [True, True, False],
            "industry_section": ["C", "C", "C"],
            "life_stage": ["growth", "growth", "growth"],
            "established_date": [date(2019, 3, 31), date(2023, 6, 30), date(2014, 6, 30)],
            "revenue_latest": [3500.0, None, 100.0],
            "fiscal_year_latest": [2025, None, 2025],
            "hnte_valid": [True, False, False],
            "srdi_level": ["provincial", "none", None],
        }
    )
    values, scores = score(wide, profile, model)
    day = date(2026, 6, 30)
    return (
        scores.with_columns(as_of_date=pl.lit(day)),
        values.with_columns(as_of_date=pl.lit(day)),
        profile.with_columns(as_of_date=pl.lit(day)),
    )


def test_explain_lists_dimensions_indicators_and_reasons(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: ScoringModel
) -> None:
    text = score_memo("A", *frames, model=model)
    assert "Enterprise:   杭州甲科技有限公司 (A)" in text
    assert f"As of:        2026-06-30    Scoring model: {model.version}" in text
    assert "Life stage:   growth    Peer group: C-growth" in text
    assert "revenue 3500万元 (FY2025)" in text and "HNTE certificate valid" in text
    assert "age 7.2 years" in text  # from established_date on the as-of date
    for dimension in model.dimensions:
        assert model.dimension_labels[dimension] in text
    rd_label, debt_label = (model.indicator(n).label for n in ("rd_intensity", "debt_ratio"))
    rd_line = next(line for line in text.splitlines() if line.strip().startswith(rd_label))
    assert rd_line.split()[len(rd_label.split()) :] == [
        "7.2%",
        "100.0",
        "4.1%",
        "C-growth",
        "(n=3)",
    ]
    debt_line = next(line for line in text.splitlines() if debt_label in line)
    assert "(lower is better)" in debt_line and "30.0%" in debt_line
    assert "missing" in text  # indicators without a value are listed as missing
    # A ranks first of three (score 100), the peer median score is B's (50)
    rd_score, median_score = 100, 50
    well = "well " if abs(rd_score - median_score) >= model.well_margin else ""
    assert f"+ {rd_label} 7.2% (score 100) is {well}above the peer median (4.1%)" in text
    assert (
        f"- {model.dimension_labels['evolution']}: no indicator available, "
        f"dimension scored {model.empty_dimension_score:g}"
    ) in text


def test_dimension_table_aligns_cjk_labels(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: ScoringModel
) -> None:
    text = score_memo("A", *frames, model=model)
    labels = model.dimension_labels
    rows = [
        line
        for line in text.splitlines()
        if line.startswith(("Dimension", labels["innovation"], labels["influence"]))
        and ":" not in line
    ]
    assert len(rows) == 3
    assert len({display_width(line) for line in rows}) == 1
    assert pad("创新", 6) == "创新  " and pad("7", 3, right=True) == "  7"


def test_as_of_selection_and_unknown_enterprise(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: ScoringModel
) -> None:
    scores, values, profile = frames
    older = scores.with_columns(as_of_date=pl.lit(date(2026, 6, 1)), composite=pl.lit(11.0))
    both = pl.concat([older, scores])
    memo = score_memo("A", both, values, profile, as_of=date(2026, 6, 1), model=model)
    assert "Composite score 11.0" in memo
    assert "As of:        2026-06-30" in score_memo("A", both, values, profile, model=model)
    with pytest.raises(ExplainError, match="no scores for Z"):
        score_memo("Z", scores, values, profile, model=model)
    with pytest.raises(ExplainError, match="as of 2020-01-01"):
        score_memo("A", scores, values, profile, as_of=date(2020, 1, 1), model=model)


def test_explain_works_without_profile(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], model: ScoringModel
) -> None:
    scores, values, _ = frames
    text = score_memo("C", scores.drop("as_of_date"), values.drop("as_of_date"), model=model)
    assert "Enterprise:   (C)" in text and "Composite score" in text
