"""Stability: does the score distribution hold still when the world does?

PSI of the composite and each dimension against the previous built as-of date
and against the model's reference distribution (the composite shares the grade
cut-offs were fitted on, pool_v2.yaml `fitted.reference_shares`); < 0.10
stable, 0.10-0.25 watch, > 0.25 act (reference-bands.md). The grade migration
matrix counts pool members by their grade on the previous date and now.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from capscore.validation.metrics import bin_shares, psi

WATCH_PSI = 0.10
ACT_PSI = 0.25
OUT = "out"


def psi_table(
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    reference: Sequence[float] | None,
    columns: Sequence[str],
    members_composite: pl.Series | None = None,
) -> pl.DataFrame:
    """against, column, psi: each column against the previous date, and the pool members'
    composite (`members_composite`) against the reference, which was fitted on members."""
    rows: list[dict[str, object]] = []
    for column in columns:
        now = bin_shares(current[column])
        if previous is not None:
            rows.append(
                {
                    "against": "previous_date",
                    "column": column,
                    "psi": psi(bin_shares(previous[column]), now),
                }
            )
        if reference is not None and members_composite is not None and column == "composite":
            members = bin_shares(members_composite)
            rows.append(
                {
                    "against": "model_reference",
                    "column": "composite (pool members)",
                    "psi": psi(list(reference), members),
                }
            )
    return pl.DataFrame(rows, schema={"against": pl.String, "column": pl.String, "psi": pl.Float64})


def psi_status(table: pl.DataFrame) -> str:
    worst = table["psi"].max() if table.height else None
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
