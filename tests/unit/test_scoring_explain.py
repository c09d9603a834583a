"""`score_memo`: the text an analyst pastes into a credit memo."""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest

from capscore.scoring.score_memo import ExplainError, display_width, pad, score_memo
from capscore.scoring.scores import score
from scoring_models.config import ScoringModel, load_scoring_model


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return dataclasses.replace(load_scoring_model(), peer_min_size=2)


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
            "age_years": [7.25, 3.0, 12.0],
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
    assert "As of:        2026-06-30    Scoring model: scoring_v1" in text
    assert "Life stage:   growth    Peer group: C-growth" in text
    assert "revenue 3500万元 (FY2025)" in text and "HNTE certificate valid" in text
    for label in (
        "Innovation (创新力)",
        "Competitiveness (竞争力)",
        "Evolution (进化力)",
        "Influence (影响力)",
    ):
        assert label in text
    rd_line = next(line for line in text.splitlines() if line.strip().startswith("R&D intensity"))
    assert rd_line.split()[2:] == ["7.2%", "100.0", "4.1%", "C-growth", "(n=3)"]
    debt_line = next(line for line in text.splitlines() if "Debt ratio" in line)
    assert "(lower is better)" in debt_line and "30.0%" in debt_line
    assert "missing" in text  # indicators without a value are listed as missing
    assert "+ R&D intensity 7.2% (score 100) is well above the peer median (4.1%)" in text
    assert "- Evolution (进化力): no indicator available, dimension scored 0" in text


def test_dimension_table_aligns_cjk_labels(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    text = score_memo("A", *frames)
    rows = [
        line
        for line in text.splitlines()
        if line.startswith(("Dimension", "Innovation (", "Influence (")) and ":" not in line
    ]
    assert len(rows) == 3
    assert len({display_width(line) for line in rows}) == 1
    assert pad("创新", 6) == "创新  " and pad("7", 3, right=True) == "  7"


def test_as_of_selection_and_unknown_enterprise(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    scores, values, profile = frames
    older = scores.with_columns(as_of_date=pl.lit(date(2026, 6, 1)), composite=pl.lit(11.0))
    both = pl.concat([older, scores])
    assert "Composite score 11.0" in score_memo("A", both, values, profile, as_of=date(2026, 6, 1))
    assert "As of:        2026-06-30" in score_memo("A", both, values, profile)
    with pytest.raises(ExplainError, match="no scores for Z"):
        score_memo("Z", scores, values, profile)
    with pytest.raises(ExplainError, match="as of 2020-01-01"):
        score_memo("A", scores, values, profile, as_of=date(2020, 1, 1))


def test_explain_works_without_profile(
    frames: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame],
) -> None:
    scores, values, _ = frames
    text = score_memo("C", scores.drop("as_of_date"), values.drop("as_of_date"))
    assert "Enterprise:   (C)" in text and "Composite score" in text
