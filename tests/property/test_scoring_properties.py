"""Invariants of the scores: range, row-order invariance, monotonicity in each indicator."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from benchmarks.scoring_chain import synthetic_inputs
from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.patent_quality import patent_quality
from capscore.scoring.scores import score
from scoring_models.config import ScoringModel, load_scoring_model
from tests.models_v1 import scoring_v1

BASE = scoring_v1()
# The model in production (v2: zero counts as no evidence, bands, credibility).
CURRENT = load_scoring_model()
# A score() call costs about the same for 1 or 100 enterprises but grows with the
# number of indicators, so examples score a drawn subset of a model's indicators.
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Few distinct values make ties common; occasional free floats cover the rest.
VALUE = st.one_of(
    st.none(),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 10.0]),
    st.floats(-5, 1000, allow_nan=False, allow_infinity=False),
)


@st.composite
def models(draw: Any) -> ScoringModel:
    """v1 or the current model (v2) restricted to one to three of each dimension's
    indicators (any of them can be drawn, so examples stay cheap without leaving an
    indicator out), with peer groups of at least 1, 3 or the model's minimum size."""
    base = draw(st.sampled_from([BASE, CURRENT]))
    chosen: set[str] = set()
    for dimension in base.dimensions:
        names = [s.name for s in base.indicators if s.dimension == dimension]
        chosen |= set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)))
    return dataclasses.replace(
        base,
        indicators=tuple(s for s in base.indicators if s.name in chosen),
        peer_min_size=draw(st.sampled_from([1, 3, base.peer_min_size])),
    )


@st.composite
def scoring_inputs(draw: Any) -> tuple[pl.DataFrame, pl.DataFrame, ScoringModel]:
    n = draw(st.integers(1, 24))
    model = draw(models())
    names = model.indicator_names
    codes = [f"E{i:03d}" for i in range(n)]
    wide = pl.DataFrame(
        {
            "credit_code": codes,
            **{name: draw(st.lists(VALUE, min_size=n, max_size=n)) for name in names},
        },
        schema={"credit_code": pl.String, **{name: pl.Float64 for name in names}},
    )
    profile = pl.DataFrame(
        {
            "credit_code": codes,
            "industry_section": draw(
                st.lists(st.sampled_from(["C", "I", None]), min_size=n, max_size=n)
            ),
            "life_stage": draw(
                st.lists(st.sampled_from(list(model.stages)), min_size=n, max_size=n)
            ),
        },
        schema={"credit_code": pl.String, "industry_section": pl.String, "life_stage": pl.String},
    )
    return wide, profile, model


@SETTINGS
@given(scoring_inputs())
def test_scores_are_within_0_and_100(
    inputs: tuple[pl.DataFrame, pl.DataFrame, ScoringModel],
) -> None:
    wide, profile, model = inputs
    values, scores = score(wide, profile, model)
    present = values.filter(pl.col("raw_value").is_not_null())
    assert present["score"].is_between(0, 100).all()
    assert values.filter(pl.col("raw_value").is_null())["score"].is_null().all()
    for column in [*model.dimensions, "composite"]:
        assert scores[column].is_between(0, 100).all(), column
    for column in ["coverage", *(f"{d}_coverage" for d in model.dimensions)]:
        assert scores[column].is_between(0, 1).all(), column
    assert scores.height == wide.height
    assert all(
        len(r) <= 2 * model.reason_count + len(model.dimensions) for r in scores["top_reasons"]
    )


@SETTINGS
@given(scoring_inputs(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_row_order(
    inputs: tuple[pl.DataFrame, pl.DataFrame, ScoringModel], rnd: Any
) -> None:
    wide, profile, model = inputs
    order = list(range(wide.height))
    rnd.shuffle(order)
    other = list(range(profile.height))
    rnd.shuffle(other)
    values, scores = score(wide, profile, model)
    values2, scores2 = score(wide[order], profile[other], model)
    assert_frame_equal(values2, values, check_exact=True)
    assert_frame_equal(scores2, scores, check_exact=True)


@SETTINGS
@given(scoring_inputs(), st.data())
def test_scores_are_monotone_in_each_indicator(
    inputs: tuple[pl.DataFrame, pl.DataFrame, ScoringModel], data: Any
) -> None:
    wide, profile, model = inputs
    cells = [
        (row, name)
        for name in model.indicator_names
        for row in range(wide.height)
        if wide[name][row] is not None
    ]
    if not cells:
        return
    row, name = data.draw(st.sampled_from(cells))
    step = data.draw(st.floats(0.001, 500, allow_nan=False))
    better = step if model.indicator(name).direction == "higher" else -step
    improved = wide.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.col(name) + better)
        .otherwise(pl.col(name))
        .alias(name)
    )
    code = wide["credit_code"][row]
    values, scores = score(wide, profile, model)
    values2, scores2 = score(improved, profile, model)

    def indicator_score(frame: pl.DataFrame) -> float:
        return frame.filter((pl.col("credit_code") == code) & (pl.col("indicator") == name))[
            "score"
        ].item()

    def enterprise(frame: pl.DataFrame) -> dict[str, Any]:
        return frame.filter(pl.col("credit_code") == code).row(0, named=True)

    assert indicator_score(values2) >= indicator_score(values)
    before, after = enterprise(scores), enterprise(scores2)
    dimension = model.indicator(name).dimension
    assert after[dimension] >= before[dimension]
    assert after["composite"] >= before["composite"]


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000), st.integers(10, 50), st.randoms(use_true_random=False))
def test_patent_and_enterprise_indicators_bounds_and_row_order(seed: int, n: int, rnd: Any) -> None:
    as_of = date(2026, 6, 30)
    data = synthetic_inputs(n, 6 * n, seed=seed, as_of=as_of)
    quality = patent_quality(data.patents, data.links, as_of, BASE)
    for column in ("generality", "originality", "radicalness", "quality_index"):
        assert quality[column].drop_nulls().is_between(0, 1).all(), column
    assert (quality.filter("breakthrough")["forward_citations_5y"] > 0).all()
    assert (quality["backward_citations"] >= 0).all()

    def shuffled(frame: pl.DataFrame) -> pl.DataFrame:
        order = list(range(frame.height))
        rnd.shuffle(order)
        return frame[order]

    assert_frame_equal(
        patent_quality(shuffled(data.patents), shuffled(data.links), as_of, BASE),
        quality,
        check_exact=True,
    )
    wide, profile = enterprise_indicators(
        data.enterprises, data.patents, data.links, data.rd_filings, quality, as_of, BASE
    )
    wide2, profile2 = enterprise_indicators(
        shuffled(data.enterprises),
        shuffled(data.patents),
        shuffled(data.links),
        shuffled(data.rd_filings),
        shuffled(quality),
        as_of,
        BASE,
    )
    assert_frame_equal(wide2, wide, check_exact=True)
    assert_frame_equal(profile2, profile, check_exact=True)
    shares = ["valid_patent_share", "international_reach", "pending_share", "invention_grant_rate"]
    for column in shares:
        assert wide[column].drop_nulls().is_between(0, 1).all(), column
