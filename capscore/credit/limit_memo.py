"""Plain-text explanation of one enterprise's credit limits (part of `capscore explain`)."""

from __future__ import annotations

import polars as pl


def limit_memo(limits: pl.DataFrame) -> str:
    """Each credit product's limit, the cap that bound it and the reasons (`limits`: its
    credit/credit_limit rows as of D)."""
    if limits.is_empty():
        return "Credit limits: none computed"
    versions = ", ".join(sorted(set(limits["policy_version"].to_list())))
    lines = [f"Credit limits (万元, {versions}):"]
    for row in limits.sort("product").iter_rows(named=True):
        lines.append(
            f"  {row['product']:<15} {row['limit_wan']:>10,.0f}  set by {row['binding_constraint']}"
        )
        lines.extend(f"      - {reason}" for reason in row["reasons"] or [])
    return "\n".join(lines)
