from __future__ import annotations

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from capscore.pool.grading import cutoff_rank, grade_rank, hysteresis_rank, rank_grade
from tests.models_v1 import pool_v1

POLICY = pool_v1()
MARGIN = POLICY.hysteresis_margin
CUTOFFS = dict(POLICY.grade_cutoffs)
GRADES = [g for g, _ in POLICY.grade_cutoffs]  # best first

composites = st.floats(min_value=0, max_value=100, allow_nan=False)
previous = st.sampled_from([None, *GRADES])


def grades(pairs: list[tuple[float, str | None]]) -> list[str]:
    frame = pl.DataFrame(pairs, schema={"c": pl.Float64, "prev": pl.String}, orient="row")
    new = hysteresis_rank(pl.col("c"), grade_rank(pl.col("prev"), POLICY), POLICY)
    return frame.select(rank_grade(new, POLICY).alias("grade"))["grade"].to_list()


def band(grade: str) -> tuple[float, float]:
    """[lower, upper) composites of a grade's plain cut-offs."""
    index = GRADES.index(grade)
    upper = float("inf") if index == 0 else CUTOFFS[GRADES[index - 1]]
    return CUTOFFS[grade] if grade != GRADES[-1] else float("-inf"), upper


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(composites, previous), min_size=1, max_size=40))
def test_no_grade_change_inside_the_margin(pairs: list[tuple[float, str | None]]) -> None:
    for (composite, prev), new in zip(pairs, grades(pairs), strict=True):
        if prev is None:
            continue
        low, high = band(prev)
        if low - MARGIN <= composite < high + MARGIN:
            assert new == prev, (composite, prev, new)
        else:
            # outside the widened band the grade must move, to one whose band
            # (widened by the margin) holds the composite
            assert new != prev
        new_low, new_high = band(new)
        assert new_low - MARGIN <= composite < new_high + MARGIN


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(composites, previous), min_size=1, max_size=40))
def test_promotion_needs_the_cutoff_plus_margin_and_demotion_the_cutoff_minus_margin(
    pairs: list[tuple[float, str | None]],
) -> None:
    for (composite, prev), new in zip(pairs, grades(pairs), strict=True):
        if prev is None or new == prev:
            continue
        if GRADES.index(new) < GRADES.index(prev):  # promoted
            assert composite >= CUTOFFS[new] + MARGIN
        else:
            assert composite < CUTOFFS[prev] - MARGIN


@settings(max_examples=150, deadline=None)
@given(previous, st.lists(composites, min_size=2, max_size=30))
def test_for_a_fixed_previous_grade_a_higher_composite_never_grades_lower(
    prev: str | None, values: list[float]
) -> None:
    ordered = sorted(values)
    result = grades([(c, prev) for c in ordered])
    ranks = [GRADES.index(g) for g in result]  # 0 = best
    assert ranks == sorted(ranks, reverse=True)


@settings(max_examples=100, deadline=None)
@given(st.lists(composites, min_size=1, max_size=40))
def test_without_a_previous_grade_the_plain_cutoff_applies_and_is_then_stable(
    values: list[float],
) -> None:
    plain = pl.DataFrame({"c": values}).select(
        rank_grade(cutoff_rank(pl.col("c"), POLICY), POLICY).alias("grade")
    )
    first = grades([(c, None) for c in values])
    assert first == plain["grade"].to_list()
    assert grades(list(zip(values, first, strict=True))) == first


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([c for g, c in POLICY.grade_cutoffs[:-1]]),
    st.lists(
        st.floats(min_value=-MARGIN, max_value=MARGIN, exclude_max=True), min_size=1, max_size=30
    ),
)
def test_noise_around_a_cutoff_does_not_churn(cutoff: float, noise: list[float]) -> None:
    """A day-by-day series jittering within the margin around a cut-off keeps its first grade."""
    # Float addition can land a jitter just under the margin exactly on it (80 + 1.99.. == 82.0).
    assume(all(cutoff - MARGIN < cutoff + j < cutoff + MARGIN for j in noise))
    grade: str | None = None
    seen = set()
    for jitter in noise:
        (grade,) = grades([(cutoff + jitter, grade)])
        seen.add(grade)
    assert len(seen) == 1
