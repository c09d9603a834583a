"""Life stage from age, latest revenue and, without revenue, size (scoring.md §4, scoring YAML).

v1 reads an unknown revenue as 0, so every firm without a financial filing
older than the seed band became a startup. v2 never does: without revenue
the `life_stages_without_revenue` rules read the stage from age, insured
staff and registered capital, and `stage_basis` records which facts decided.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from scoring_models.config import ScoringModel, StageRule

BASIS_REVENUE = "revenue"
BASIS_REVENUE_AS_ZERO = "revenue_unknown_as_zero"
BASIS_AGE_AND_SIZE = "age_and_size"
BASIS_AGE = "age_only"


def _condition(cond: Mapping[str, float], facts: Mapping[str, pl.Expr]) -> pl.Expr:
    tests: dict[str, Callable[[float], pl.Expr]] = {
        "age_lte": lambda v: facts["age"] <= v,
        "age_gt": lambda v: facts["age"] > v,
        "revenue_lt": lambda v: facts["revenue"] < v,
        "revenue_gte": lambda v: facts["revenue"] >= v,
        "staff_gte": lambda v: facts["staff"] >= v,
        "staff_lt": lambda v: facts["staff"] < v,
        "capital_gte": lambda v: facts["capital"] >= v,
        "capital_lt": lambda v: facts["capital"] < v,
    }
    parts = [tests[key](value) for key, value in sorted(cond.items())]
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr


def _first_rule(
    rules: tuple[StageRule, ...], facts: Mapping[str, pl.Expr], default: str
) -> pl.Expr:
    """The stage of the first rule that holds; a condition on an unknown fact does not hold."""
    choices = []
    for rule in rules:
        holds = _condition(rule.any_of[0], facts)
        for cond in rule.any_of[1:]:
            holds = holds | _condition(cond, facts)
        choices.append(pl.when(holds.fill_null(False)).then(pl.lit(rule.stage)))
    return pl.coalesce([*choices, pl.lit(default)])


def life_stage_expr(
    model: ScoringModel,
    age: pl.Expr,
    revenue: pl.Expr,
    staff: pl.Expr | None = None,
    capital: pl.Expr | None = None,
) -> pl.Expr:
    """The life stage: by revenue when it is known (or, in v1, taken as 0), else by age and size."""
    staff = pl.lit(None, dtype=pl.Float64) if staff is None else staff
    capital = pl.lit(None, dtype=pl.Float64) if capital is None else capital
    without = model.life_stages_without_revenue
    by_revenue = _first_rule(
        model.life_stages,
        {
            "age": age,
            "revenue": revenue if without is not None else revenue.fill_null(0.0),
            "staff": staff,
            "capital": capital,
        },
        model.default_stage,
    )
    if without is None:
        return by_revenue
    by_size = _first_rule(
        without,
        {"age": age, "revenue": revenue, "staff": staff, "capital": capital},
        model.default_stage,
    )
    return pl.when(revenue.is_not_null()).then(by_revenue).otherwise(by_size)


def stage_basis_expr(
    model: ScoringModel, revenue: pl.Expr, staff: pl.Expr, capital: pl.Expr
) -> pl.Expr:
    """Which facts chose the stage: revenue, age and size, age only (or v1's revenue as 0)."""
    if model.life_stages_without_revenue is None:
        return (
            pl.when(revenue.is_not_null())
            .then(pl.lit(BASIS_REVENUE))
            .otherwise(pl.lit(BASIS_REVENUE_AS_ZERO))
        )
    return (
        pl.when(revenue.is_not_null())
        .then(pl.lit(BASIS_REVENUE))
        .when(staff.is_not_null() | capital.is_not_null())
        .then(pl.lit(BASIS_AGE_AND_SIZE))
        .otherwise(pl.lit(BASIS_AGE))
    )
