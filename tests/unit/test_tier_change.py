"""One rule names every pool move: pool.tier_transitions, mart.tier_movers and the pool
report agree, because all three call sql/macro_tier_change.sql."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from capscore.pool.transitions import CHANGES, classify_changes, tier_transitions
from capscore.reports.inputs import _frame, tier_moves
from tests.unit.test_report_mart_views import con, enterprise, insert, pool, score  # noqa: F401

D0, D7 = date(2026, 6, 1), date(2026, 6, 8)

# (from_tier, to_tier, from_grade, to_grade) -> change
CASES = [
    ((None, "seed-B", None, "B"), "entered"),
    (("seed-B", None, "B", None), "exited"),
    (("growth-B", "growth-A", "B", "A"), "promoted"),
    (("growth-B", "growth-C", "B", "C"), "demoted"),
    (("startup-B", "growth-B", "B", "B"), "stage_changed"),
    # grade before stage: a firm that changes both on one day moved by its grade
    (("startup-B", "growth-A", "B", "A"), "promoted"),
    (("startup-A", "mature-C", "A", "C"), "demoted"),
    (("growth-B", "growth-B", "B", "B"), None),
    ((None, None, None, None), None),
]


def test_the_rule_names_each_kind_of_move() -> None:
    moves = pl.DataFrame(
        [case for case, _ in CASES],
        schema=["from_tier", "to_tier", "from_grade", "to_grade"],
        orient="row",
    )
    assert classify_changes(moves).to_list() == [change for _, change in CASES]
    assert {c for _, c in CASES} - {None} == set(CHANGES)


# credit_code -> ((stage, grade, in_pool) on D0, (stage, grade, in_pool) on D7)
FIRMS = {
    "both": (("startup", "B", True), ("growth", "A", True)),
    "stage": (("startup", "B", True), ("growth", "B", True)),
    "down": (("growth", "A", True), ("growth", "C", True)),
    "in": (("seed", "C", False), ("seed", "C", True)),
    "out": (("mature", "B", True), ("mature", "B", False)),
    "same": (("growth", "B", True), ("growth", "B", True)),
}


def _pool_frame(day: date, side: int) -> pl.DataFrame:
    rows = [(code, *states[side]) for code, states in FIRMS.items()]
    return pl.DataFrame(
        rows, schema=["credit_code", "life_stage", "grade", "in_pool"], orient="row"
    ).with_columns(
        pl.format("{}-{}", "life_stage", "grade").alias("tier"),
        pl.lit(day).alias("as_of_date"),
        pl.lit("pool_test").alias("model_version"),
    )


@pytest.mark.usefixtures("con")
def test_transitions_the_mart_and_the_report_give_one_answer(
    con: duckdb.DuckDBPyConnection,  # noqa: F811
) -> None:
    for side, day in enumerate((D0, D7)):
        for code, states in FIRMS.items():
            stage, grade, in_pool = states[side]
            insert(con, "pool.cultivation_pool", [pool(code, day, in_pool, stage, grade)])
            insert(con, "scoring.enterprise_score", [score(code, day, 50.0, stage)])
            insert(con, "core.enterprise_asof", [enterprise(code, day, f"{code}公司")])
    scores = pl.DataFrame({"credit_code": list(FIRMS), "composite": 50.0})
    transitions = tier_transitions(_pool_frame(D0, 0), _pool_frame(D7, 1), scores, D7, D0)
    by_transitions = dict(transitions.select("credit_code", "change").iter_rows())
    movers = con.execute(
        "SELECT credit_code, change FROM mart.tier_movers WHERE as_of_date = ? AND period_days = 7",
        [D7],
    ).fetchall()
    assert (
        dict(movers)
        == by_transitions
        == {
            "both": "promoted",
            "stage": "stage_changed",
            "down": "demoted",
            "in": "entered",
            "out": "exited",
        }
    )
    counts = tier_moves(
        con,
        _frame(con, "report_scorecard", as_of=D7),
        _frame(con, "report_previous_scorecard", as_of=D0),
    )
    expected = pl.Series(list(by_transitions.values())).value_counts()
    assert dict(counts.iter_rows()) == dict(expected.iter_rows())
