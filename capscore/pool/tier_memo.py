"""Plain-text explanation of one enterprise's pool tier (part of `capscore explain`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from capscore.pool.cultivation import (
    BASIS_HYSTERESIS,
    BASIS_NO_PREVIOUS_GRADE,
    BASIS_NO_PREVIOUS_PARTITION,
)

_BASIS_TEXT = {
    BASIS_NO_PREVIOUS_PARTITION: "plain cut-off grade: no earlier as-of date has a pool",
    BASIS_NO_PREVIOUS_GRADE: "plain cut-off grade: no grade on the previous as-of date",
}


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _pool_lines(row: Mapping[str, Any]) -> list[str]:
    lines = [f"Cultivation pool as of {row['as_of_date']} ({row['model_version']})"]
    if row["in_pool"]:
        lines.append(f"  in pool: yes, eligible by rule '{row['eligibility_reason']}'")
        lines.append(
            f"  tier {row['tier']}: life stage {row['life_stage']}, grade {row['grade']}, "
            f"composite {_number(row['composite'])}"
        )
    else:
        lines.append(f"  in pool: no ({row['exclusion_reason']})")
        if row["grade"] is not None:
            lines.append(
                f"  would grade {row['grade']} (composite {_number(row['composite'])}, "
                f"life stage {row['life_stage']})"
            )
    basis = row["grade_basis"]
    if basis == BASIS_HYSTERESIS:
        if row["grade"] == row["cutoff_grade"]:
            lines.append(
                f"  grade {row['grade']} by cut-off (grade {row['previous_grade']} on the previous as-of date)"
            )
        else:
            lines.append(
                f"  grade {row['grade']} kept by hysteresis: the cut-off grade would be "
                f"{row['cutoff_grade']}, but the composite is within the margin of the cut-off "
                f"(grade {row['previous_grade']} on the previous as-of date)"
            )
    elif basis in _BASIS_TEXT:
        lines.append(f"  grade: {_BASIS_TEXT[basis]}")
    return lines


def _transition_lines(transitions: pl.DataFrame) -> list[str]:
    if transitions.is_empty():
        return ["Tier changes: none recorded"]
    lines = ["Tier changes (latest first):"]
    for t in transitions.sort("as_of_date", descending=True).iter_rows(named=True):
        lines.append(
            f"  {t['as_of_date']}  {t['change']:<13} {t['from_tier'] or '-'} -> "
            f"{t['to_tier'] or '-'}"
        )
    return lines


def tier_memo(pool_row: Mapping[str, Any] | None, transitions: pl.DataFrame) -> str:
    """Why an enterprise has its tier.

    `pool_row` is its pool/cultivation_pool row as of D (None if it has none),
    `transitions` its pool/tier_transitions rows (any dates).
    """
    if pool_row is None:
        lines = ["Cultivation pool: no row for this enterprise on this date (not scored yet?)"]
    else:
        lines = _pool_lines(pool_row)
    return "\n".join([*lines, *_transition_lines(transitions)])
