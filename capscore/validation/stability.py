"""Stability: does the score distribution hold still when the world does?

PSI of the composite and each dimension against the previous built as-of date
and against the model's reference distribution (the composite shares the grade
cut-offs were fitted on, pool_v2.yaml `fitted.reference_shares`); < 0.10
stable, 0.10-0.25 watch, > 0.25 act (reference-bands.md); not read where too few
firms tell a shift from chance ("not enough data"). The grade migration
matrix counts pool members by their grade on the previous date and now.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from capscore.validation.metrics import bin_shares, psi

WATCH_PSI = 0.10
ACT_PSI = 0.25
OUT = "out"


def chance_psi(bins: int, n_then: float, n_now: float) -> float:
    """About the PSI two samples of one distribution show by chance alone: PSI is a
    symmetric chi-square divergence, expected (bins - 1)(1/n1 + 1/n2) (a reference
    distribution has no sampling noise: n = inf)."""
    return (bins - 1) * (1 / n_then + 1 / n_now)


def _telling(bins: int, n_then: float, n_now: float) -> bool:
    # A PSI is read only where chance alone stays under the watch threshold (about 180
    # firms on each date for 10 bins).
    return n_then > 0 and n_now > 0 and chance_psi(bins, n_then, n_now) <= WATCH_PSI


def psi_table(
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    reference: Sequence[float] | None,
    columns: Sequence[str],
    members_composite: pl.Series | None = None,
) -> pl.DataFrame:
    """against, column, psi: each column against the previous date, and the pool members'
    composite (`members_composite`) against the reference, which was fitted on members.
    A psi is null where too few firms tell a shift from chance (chance_psi)."""
    rows: list[dict[str, object]] = []
    for column in columns:
        now = bin_shares(current[column])
        bins, n_now = len(now), current[column].count()
        if previous is not None:
            n_then = previous[column].count()
            shift = psi(bin_shares(previous[column]), now)
            rows.append(
                {
                    "against": "previous_date",
                    "column": column,
                    "psi": shift if _telling(bins, n_then, n_now) else None,
                }
            )
        if reference is not None and members_composite is not None and column == "composite":
            members = bin_shares(members_composite)
            shift = psi(list(reference), members)
            rows.append(
                {
                    "against": "model_reference",
                    "column": "composite (pool members)",
                    "psi": shift if _telling(bins, math.inf, members_composite.count()) else None,
                }
            )
    return pl.DataFrame(rows, schema={"against": pl.String, "column": pl.String, "psi": pl.Float64})


NOT_ENOUGH = "not enough data"
# The stability verdict where every PSI was withheld, as `capscore validate` and the pool
# report both say it.
NOT_ENOUGH_VERDICT = f"{NOT_ENOUGH} (too few firms for a PSI to tell a shift from chance)"


def psi_status(table: pl.DataFrame) -> str:
    worst = table["psi"].max() if table.height else None
    if table.height and worst is None:
        return NOT_ENOUGH
    if not isinstance(worst, float) or worst <= WATCH_PSI:
        return "stable"
    return "watch" if worst <= ACT_PSI else "act"


def migration_matrix(
    previous: pl.DataFrame, current: pl.DataFrame, grades: Sequence[str]
) -> pl.DataFrame:
    """Rows: grade on the previous date (or `out` of the pool); columns: grade now."""

    def side(pool: pl.DataFrame) -> pl.DataFrame:
        return pool.select(
            "credit_code",
            pl.when(pl.col("in_pool")).then(pl.col("grade")).otherwise(pl.lit(OUT)).alias("g"),
        )

    moves = side(previous).join(
        side(current), on="credit_code", how="full", coalesce=True, suffix="_now"
    )
    moves = moves.with_columns(pl.col("g", "g_now").fill_null(OUT)).filter(
        (pl.col("g") != OUT) | (pl.col("g_now") != OUT)
    )
    order = [*grades, OUT]
    counts = moves.group_by("g", "g_now").len()
    cells = pl.DataFrame({"from": order}).join(pl.DataFrame({"to": order}), how="cross")
    return (
        cells.join(counts.rename({"g": "from", "g_now": "to"}), on=["from", "to"], how="left")
        .with_columns(pl.col("len").fill_null(0))
        .pivot(on="to", index="from", values="len", maintain_order=True)
    )
