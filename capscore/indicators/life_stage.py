"""Life stage from age and latest revenue (scoring.md §4 bands, rules in the scoring YAML)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from scoring_models.config import ScoringModel


def _condition(cond: Mapping[str, float], age: pl.Expr, revenue: pl.Expr) -> pl.Expr:
    tests = {
        "age_lte": lambda v: age <= v,
        "age_gt": lambda v: age > v,
        "revenue_lt": lambda v: revenue < v,
        "revenue_gte": lambda v: revenue >= v,
    }
    parts = [tests[key](value) for key, value in sorted(cond.items())]
    expr = parts[0]
    for part in parts[1:]:
        expr = expr & part
    return expr


def life_stage_expr(model: ScoringModel, age: pl.Expr, revenue: pl.Expr) -> pl.Expr:
    """The first rule that holds names the stage; no revenue counts as 0, an unknown age as no match."""
    revenue = revenue.fill_null(0.0)
    choices = []
    for rule in model.life_stages:
        holds = _condition(rule.any_of[0], age, revenue)
        for cond in rule.any_of[1:]:
            holds = holds | _condition(cond, age, revenue)
        # Kleene logic: an unknown age fails an age test unless another test holds.
        choices.append(pl.when(holds.fill_null(False)).then(pl.lit(rule.stage)))
    return pl.coalesce([*choices, pl.lit(model.default_stage)])
