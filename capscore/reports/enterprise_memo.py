"""`capscore explain`: everything behind one enterprise's numbers, read from the warehouse.

The one entry point of the memo: the score part comes from capscore.scoring.score_memo,
the tier from capscore.pool.tier_memo, the limits from capscore.credit.limit_memo."""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.credit.limit_memo import limit_memo
from capscore.pool.cultivation import with_composite
from capscore.pool.tier_memo import tier_memo
from capscore.scoring.score_memo import ExplainError, score_memo
from capscore.storage.paths import DataRoot
from capscore.warehouse.query import AnalystConnection, analyst_connection


def _rows(con: AnalystConnection, relation: str, credit_code: str, day: date) -> pl.DataFrame:
    return con.sql(
        f"SELECT * FROM {relation} WHERE credit_code = ? AND as_of_date = ?", [credit_code, day]
    )


def explain_enterprise(
    root: DataRoot, credit_code: str, as_of: date | None, timeout: float | None = None
) -> str:
    """The memo through the analysts' connection (`timeout`: each query's limit in
    seconds, default the session's)."""
    con = analyst_connection(root, timeout)
    try:
        (day,) = con.execute(
            "SELECT max(as_of_date) FROM scoring.enterprise_score WHERE credit_code = ?"
            + (" AND as_of_date <= ?" if as_of else ""),
            [credit_code, as_of] if as_of else [credit_code],
        )[0]
        if day is None:
            raise ExplainError(
                f"no scores for {credit_code}"
                + (f" on or before {as_of}" if as_of else "")
                + ": check the credit code (core.enterprise) or run `capscore run` for that date"
            )
        if as_of and day != as_of:
            raise ExplainError(f"no scores for {credit_code} as of {as_of} (latest before: {day})")
        scores = _rows(con, "scoring.enterprise_score", credit_code, day)
        values = _rows(con, "scoring.indicator_value", credit_code, day)
        profile = _rows(con, "scoring.enterprise_profile", credit_code, day)
        pool = _rows(con, "pool.cultivation_pool", credit_code, day)
        transitions = con.sql(
            "SELECT * FROM pool.tier_transitions WHERE credit_code = ? AND as_of_date <= ? "
            "ORDER BY as_of_date",
            [credit_code, day],
        )
        limits = _rows(con, "credit.credit_limit", credit_code, day)
    finally:
        con.close()
    memo = score_memo(credit_code, scores, values, profile, as_of=day)
    pool_row = with_composite(pool, scores).row(0, named=True) if pool.height else None
    return "\n\n".join([memo, tier_memo(pool_row, transitions) + "\n" + limit_memo(limits)])
