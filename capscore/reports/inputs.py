"""What the pool report shows, read from the published warehouse with `sql/report_*.sql`."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from capscore import reference_data
from capscore.reports.pool_report import PoolReportInputs
from capscore.sql_library import read_sql

# Movers compare with the latest as-of date at least this far back (else the earliest one).
MOVERS_LOOKBACK_DAYS = 30


def _frame(con: duckdb.DuckDBPyConnection, query: str, **params: Any) -> pl.DataFrame:
    result = pl.from_arrow(con.sql(read_sql(query), params=params).to_arrow_table())
    assert isinstance(result, pl.DataFrame)
    return result


def region_names() -> dict[str, str]:
    frame = pl.read_csv(
        reference_data.GBT2260_CSV, infer_schema=False, columns=["region_code", "name"]
    )
    return dict(zip(frame["region_code"].to_list(), frame["name"].to_list(), strict=True))


def comparison_date(con: duckdb.DuckDBPyConnection, day: date) -> date | None:
    found = _frame(
        con, "report_comparison_date", as_of=day, lookback_days=MOVERS_LOOKBACK_DAYS
    ).item()
    return found if isinstance(found, date) else None


def tier_moves(
    con: duckdb.DuckDBPyConnection, current: pl.DataFrame, previous: pl.DataFrame
) -> pl.DataFrame:
    """change, enterprises: pool moves between two scorecards (credit_code, tier, grade
    rows of report_scorecard.sql and report_previous_scorecard.sql)."""
    moved = ("credit_code", "tier", "grade")
    con.register("report_now", current.select(moved).to_arrow())
    con.register("report_before", previous.select(moved).to_arrow())
    try:
        return _frame(con, "report_tier_moves")
    finally:
        con.unregister("report_now")
        con.unregister("report_before")


def load_inputs(
    con: duckdb.DuckDBPyConnection, day: date, names: dict[str, str]
) -> PoolReportInputs:
    """The report's inputs as of `day` from a (read-only) warehouse connection."""
    previous_day = comparison_date(con, day)
    scorecard = _frame(con, "report_scorecard", as_of=day)
    previous = (
        _frame(con, "report_previous_scorecard", as_of=previous_day) if previous_day else None
    )
    moves = (
        tier_moves(con, scorecard, previous)
        if previous is not None
        else pl.DataFrame(schema={"change": pl.String, "enterprises": pl.Int64})
    )
    return PoolReportInputs(
        as_of=day,
        scorecard=scorecard,
        previous=previous,
        previous_as_of=previous_day,
        tier_moves=dict(
            zip(moves["change"].to_list(), moves["enterprises"].to_list(), strict=True)
        ),
        credit=_frame(con, "report_credit", as_of=day),
        validation=_frame(con, "report_validation", as_of=day),
        quality=_frame(con, "report_quality", as_of=day),
        rules=_frame(con, "report_quarantine_rules", as_of=day),
        region_names=names,
    )
