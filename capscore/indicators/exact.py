"""Row-order-independent sums of floats.

Float addition is not associative, and polars joins and group-bys do not fix
the order in which a group's rows arrive, so a plain float `sum`/`mean` can
differ in the last bit between two runs on the same data. Summing in fixed
point (integers) makes a group's result independent of row order, so a rerun
or backfill of D reproduces the nightly rows exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# Fixed-point units: 1e-12 for shares and indices in [0, 1]; 1e-9 for 0-100
# scores times weights; 1e-4 万元 (1 yuan) for money.
UNIT_SCALE = 1e12
SCORE_SCALE = 1e9
MONEY_SCALE = 1e4


def exact_sum(expr: pl.Expr, scale: float) -> pl.Expr:
    """Σ expr rounded to 1/scale units, independent of row order (nulls ignored).

    The units are summed as 128-bit integers: the contracts bound amounts only by being
    finite, and in 64 bits one filed revenue of 1e15 万元 (1e19 units) failed the cast, so
    the whole date's indicators, and two of 5e14 wrapped around to a negative sum. A
    value beyond even 128 bits (about 1.7e34 万元) makes the group a plain float sum of its
    values in sorted order, which is independent of row order too.
    """
    units = (expr * scale).round(0).cast(pl.Int128, strict=False)
    beyond = (units.is_null() & expr.is_not_null()).any()
    return pl.when(beyond).then(expr.sort().sum()).otherwise(units.sum() / scale)


def exact_mean(expr: pl.Expr, scale: float) -> pl.Expr:
    """Mean of the non-null values of expr in 1/scale units; null when there are none."""
    return pl.when(expr.count() > 0).then(exact_sum(expr, scale) / expr.count())


def exact_sum_horizontal(exprs: Sequence[pl.Expr], scale: float) -> pl.Expr:
    """Σ of a row's `exprs` rounded to 1/scale units as `exact_sum` rounds them, so a
    row's sum equals the group sum of the same values (nulls ignored; none: 0)."""
    if not exprs:
        return pl.lit(0.0)
    return pl.sum_horizontal((e * scale).round(0).cast(pl.Int64) for e in exprs) / scale
