from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from capscore.pool.cultivation import cultivation_pool
from capscore.pool.transitions import tier_transitions
from scoring_models.policy_config import (
    POOL_V1,
    PolicyError,
    PoolPolicy,
    load_pool_policy,
    pool_policy_from_dict,
)

D = date(2026, 11, 20)
PROFILE_SCHEMA: dict[str, Any] = {
    "credit_code": pl.String,
    "status": pl.String,
    "life_stage": pl.String,
    "revenue_latest": pl.Float64,
    "rd_intensity": pl.Float64,
    "debt_ratio": pl.Float64,
    "valid_invention_count": pl.Int64,
    "valid_type2_count": pl.Int64,
    "hnte_valid": pl.Boolean,
    "srdi_level": pl.String,
}
SCORE_SCHEMA: dict[str, Any] = {
    "credit_code": pl.String,
    "composite": pl.Float64,
    "innovation": pl.Float64,
    "competitiveness": pl.Float64,
    "evolution": pl.Float64,
    "influence": pl.Float64,
    "life_stage": pl.String,
    "model_version": pl.String,
}


def policy() -> PoolPolicy:
    return pool_policy_from_dict(yaml.safe_load(POOL_V1.read_text(encoding="utf-8")))


def enterprise(code: str, composite: float | None = 70.0, **facts: Any) -> dict[str, Any]:
    """One enterprise's profile and score facts; eligible by a valid invention by default."""
    row: dict[str, Any] = {
        "credit_code": code,
        "status": "存续",
        "life_stage": "growth",
        "revenue_latest": 5000.0,
        "rd_intensity": 0.01,
        "debt_ratio": 0.4,
        "valid_invention_count": 1,
        "valid_type2_count": 0,
        "hnte_valid": False,
        "srdi_level": "none",
        "composite": composite,
        "innovation": 50.0,
        "competitiveness": 50.0,
        "evolution": 50.0,
        "influence": 50.0,
    }
    row.update(facts)
    return row


def frames(*rows: dict[str, Any]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(score, profile) frames; enterprises with composite None have no score row."""
    profile = pl.DataFrame([{k: r[k] for k in PROFILE_SCHEMA} for r in rows], schema=PROFILE_SCHEMA)
    scored = [r for r in rows if r["composite"] is not None]
    score = pl.DataFrame(
        [{**{k: r.get(k) for k in SCORE_SCHEMA}, "model_version": "scoring_v1"} for r in scored],
        schema=SCORE_SCHEMA,
    )
    return score, profile


def build(
    rows: list[dict[str, Any]], previous: pl.DataFrame | None = None, day: date = D
) -> pl.DataFrame:
    score, profile = frames(*rows)
    return cultivation_pool(score, profile, previous, policy(), day)


def by_code(pool: pl.DataFrame, column: str) -> dict[str, Any]:
    return dict(pool.select("credit_code", column).iter_rows())


def test_first_rule_that_holds_names_the_eligibility() -> None:
    pool = build(
        [
            enterprise("a", hnte_valid=True, srdi_level="national"),
            enterprise("b", srdi_level="provincial"),
            enterprise("c"),
            enterprise("d", valid_invention_count=0, rd_intensity=0.031),
            enterprise("e", valid_invention_count=0, rd_intensity=0.021, valid_type2_count=4),
            enterprise("f", valid_invention_count=0, rd_intensity=0.021, valid_type2_count=3),
            enterprise("g", valid_invention_count=None, rd_intensity=None, hnte_valid=None),
        ]
    )
    assert by_code(pool, "eligibility_reason") == {
        "a": "hnte_valid",
        "b": "srdi",
        "c": "valid_invention",
        "d": "rd_intensity_3pct",
        "e": "type2_ip_and_rd_2pct",
        "f": None,
        "g": None,
    }
    assert by_code(pool, "exclusion_reason")["f"] == "no_rule_held"
    assert by_code(pool, "in_pool") == dict.fromkeys("abcde", True) | {"f": False, "g": False}


def test_inactive_and_unscored_enterprises_are_out_with_the_reason() -> None:
    pool = build(
        [
            enterprise("a", status="吊销", hnte_valid=True),
            enterprise("b", status=None),
            enterprise("c", composite=None),
            enterprise("d", status="迁入"),
        ]
    )
    assert by_code(pool, "exclusion_reason") == {
        "a": "inactive",
        "b": "inactive",
        "c": "not_scored",
        "d": None,
    }
    assert by_code(pool, "tier") == {"a": None, "b": None, "c": None, "d": "growth-B"}
    # an inactive enterprise still gets a grade (explain shows it), never a tier
    assert by_code(pool, "grade")["a"] == "B"


def test_grades_tiers_and_basis_without_a_previous_day() -> None:
    pool = build(
        [
            enterprise("a", 80.0, life_stage="seed"),
            enterprise("b", 79.99, life_stage="mature"),
            enterprise("c", 40.0),
            enterprise("d", 39.9),
        ]
    )
    assert by_code(pool, "tier") == {
        "a": "seed-A",
        "b": "mature-B",
        "c": "growth-C",
        "d": "growth-D",
    }
    assert set(pool["grade_basis"]) == {"cutoff_no_previous_partition"}
    assert set(pool["model_version"]) == {"pool_v1"}
    assert set(pool["score_model_version"]) == {"scoring_v1"}
    assert set(pool["as_of_date"]) == {D}


def test_score_life_stage_wins_over_profile_stage() -> None:
    score, profile = frames(enterprise("a", life_stage="startup"))
    score = score.with_columns(pl.lit("growth").alias("life_stage"))
    pool = cultivation_pool(score, profile, None, policy(), D)
    assert pool["tier"].to_list() == ["growth-B"]


def test_hysteresis_against_yesterday() -> None:
    yesterday = build(
        [enterprise(c, s) for c, s in [("a", 81), ("b", 81), ("c", 59), ("d", 59), ("e", 70)]]
    )
    today = build(
        [
            enterprise("a", 78.0),  # inside the band below A's cut-off: keeps A
            enterprise("b", 77.9),  # more than 2 below: demoted
            enterprise("c", 61.9),  # not 2 above B's cut-off: keeps C
            enterprise("d", 62.0),  # 2 above: promoted
            enterprise("e", 10.0),  # falls through several grades at once
            enterprise("new", 79.0),
        ],
        previous=yesterday,
    )
    assert by_code(today, "grade") == {"a": "A", "b": "B", "c": "C", "d": "B", "e": "D", "new": "B"}
    assert by_code(today, "cutoff_grade")["a"] == "B"
    assert by_code(today, "grade_basis") == dict.fromkeys("abcde", "hysteresis") | {
        "new": "cutoff_no_previous_grade"
    }


def test_transitions_name_each_kind_of_change() -> None:
    yesterday = build(
        [
            enterprise("stay", 70.0),
            enterprise("up", 70.0),
            enterprise("down", 70.0),
            enterprise("stage", 70.0, life_stage="startup"),
            enterprise("moved", 70.0, life_stage="startup"),
            enterprise("out", 70.0),
            enterprise("in", 70.0, status="注销"),
        ]
    )
    today = build(
        [
            enterprise("stay", 71.0),
            enterprise("up", 85.0),
            enterprise("down", 50.0),
            enterprise("stage", 90.0, life_stage="growth"),
            enterprise("moved", 70.0, life_stage="growth"),
            enterprise("out", 70.0, valid_invention_count=0),
            enterprise("in", 70.0),
            enterprise("brand_new", 30.0),
        ],
        previous=yesterday,
    )
    moves = tier_transitions(yesterday, today, D)
    assert moves.select("credit_code", "from_tier", "to_tier", "change").sort(
        "credit_code"
    ).rows() == [
        ("brand_new", None, "growth-D", "entered"),
        ("down", "growth-B", "growth-C", "demoted"),
        ("in", None, "growth-B", "entered"),
        ("moved", "startup-B", "growth-B", "stage_changed"),
        ("out", "growth-B", None, "exited"),
        # The grade is checked before the stage (sql/macro_tier_change.sql).
        ("stage", "startup-B", "growth-A", "promoted"),
        ("up", "growth-B", "growth-A", "promoted"),
    ]
    assert set(moves["previous_as_of_date"]) == {date(2026, 11, 19)}


def test_first_day_everyone_enters_and_says_there_was_no_previous_day() -> None:
    today = build([enterprise("a"), enterprise("b", status="注销")])
    moves = tier_transitions(None, today, D)
    assert moves.select("credit_code", "change").rows() == [("a", "entered")]
    assert moves["previous_as_of_date"].to_list() == [None]


def test_transitions_accept_a_previous_partition_as_read_from_the_lake(tmp_path: Path) -> None:
    yesterday = build([enterprise("a", 70.0)])
    path = tmp_path / "part-0.parquet"
    yesterday.drop("as_of_date").write_parquet(path)
    from_lake = pl.read_parquet(path)
    today = build([enterprise("a", 90.0)], previous=from_lake)
    assert tier_transitions(from_lake, today, D)["change"].to_list() == ["promoted"]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("grades", 1, "min_composite"), 85, "strictly decrease"),
        (("hysteresis_margin",), -1, "hysteresis_margin"),
        (("eligibility", "rules", 0, "all", 0, "op"), "~=", "bad or no conditions"),
    ],
)
def test_nonsense_pool_policies_are_refused(
    path: tuple[Any, ...], value: Any, message: str
) -> None:
    data = yaml.safe_load(POOL_V1.read_text(encoding="utf-8"))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(PolicyError, match=message):
        pool_policy_from_dict(data)


def test_the_shipped_policy_loads_through_the_version_lock() -> None:
    assert load_pool_policy() == policy()
    assert policy().version == "pool_v1"
