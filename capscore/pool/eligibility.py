"""Who is in the cultivation pool: active, and the first eligibility rule that holds."""

from __future__ import annotations

import polars as pl

from scoring_models.policy_config import Condition, PoolPolicy

_COMPARE = {
    "==": pl.Expr.eq,
    "!=": pl.Expr.ne,
    ">=": pl.Expr.ge,
    ">": pl.Expr.gt,
    "<=": pl.Expr.le,
    "<": pl.Expr.lt,
}


def condition_expr(condition: Condition) -> pl.Expr:
    """The condition as a boolean expression; a null fact makes it false."""
    column = pl.col(condition.column)
    if condition.op == "in":
        held = column.is_in(list(condition.value))
    else:
        held = _COMPARE[condition.op](column, condition.value)
    return held.fill_null(False)


def active_expr(active_statuses: tuple[str, ...]) -> pl.Expr:
    return pl.col("status").is_in(list(active_statuses)).fill_null(False)


def eligibility_reason_expr(policy: PoolPolicy) -> pl.Expr:
    """Id of the first rule whose conditions all hold, else null (activity not considered)."""
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    for rule in reversed(policy.rules):
        held = pl.all_horizontal([condition_expr(c) for c in rule.conditions])
        reason = pl.when(held).then(pl.lit(rule.id)).otherwise(reason)
    return reason
