from __future__ import annotations

from collections.abc import Callable
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
from tests.models_v1 import band_middle, cutoff, locked_versions, pool_v1, rule_value

D = date(2026, 11, 20)
# What the score frames say made them (passed through to the pool rows).
SCORE_MODEL_VERSION = "scoring_v1"
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
    """The v1 pool policy (loaded by path: these tests check v1's rules)."""
    return pool_v1()


A, B, C = (cutoff(pool_v1(), g) for g in "ABC")
MARGIN = pool_v1().hysteresis_margin
# A composite well inside each grade's plain band.
MIDDLE = {g: band_middle(pool_v1(), g) for g in "ABCD"}
ACTIVE = pool_v1().active_statuses
# Statuses v1 does not list as active (a registry can send any of them).
INACTIVE = ("吊销", "注销")
assert not set(INACTIVE) & set(ACTIVE)
MIN_INVENTIONS = rule_value(pool_v1(), "valid_invention", "valid_invention_count")


def enterprise(code: str, composite: float | None = MIDDLE["B"], **facts: Any) -> dict[str, Any]:
    """One enterprise's profile and score facts, grade B by default; eligible by a valid
    invention and by no other rule (no certificate, no R&D, no Ⅱ类 patents)."""
    row: dict[str, Any] = {
        "credit_code": code,
        "status": ACTIVE[0],
        "life_stage": "growth",
        "revenue_latest": 5000.0,
        "rd_intensity": 0.0,
        "debt_ratio": 0.4,
        "valid_invention_count": MIN_INVENTIONS,
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
        [
            {**{k: r.get(k) for k in SCORE_SCHEMA}, "model_version": SCORE_MODEL_VERSION}
            for r in scored
        ],
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
    rd_3pct = rule_value(policy(), "rd_intensity_3pct", "rd_intensity")
    rd_2pct = rule_value(policy(), "type2_ip_and_rd_2pct", "rd_intensity")
    type2 = rule_value(policy(), "type2_ip_and_rd_2pct", "valid_type2_count")
    srdi_levels = rule_value(policy(), "srdi", "srdi_level")
    # e's R&D intensity must qualify for the Ⅱ类 rule only, not for the R&D rule before it.
    assert 0 < rd_2pct < rd_3pct
    no_invention = {"valid_invention_count": MIN_INVENTIONS - 1}
    pool = build(
        [
            enterprise("a", hnte_valid=True, srdi_level=srdi_levels[-1]),
            enterprise("b", srdi_level=srdi_levels[0]),
            enterprise("c"),
            enterprise("d", **no_invention, rd_intensity=rd_3pct),
            enterprise("e", **no_invention, rd_intensity=rd_2pct, valid_type2_count=type2),
            enterprise("f", **no_invention, rd_intensity=rd_2pct, valid_type2_count=type2 - 1),
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
    active = {f"active{i}": status for i, status in enumerate(ACTIVE)}
    pool = build(
        [
            enterprise("a", status=INACTIVE[0], hnte_valid=True),
            enterprise("b", status=None),
            enterprise("c", composite=None),
            *(enterprise(code, status=status) for code, status in active.items()),
        ]
    )
    assert by_code(pool, "exclusion_reason") == {
        "a": "inactive",
        "b": "inactive",
        "c": "not_scored",
        **dict.fromkeys(active),
    }
    assert by_code(pool, "tier") == {"a": None, "b": None, "c": None} | dict.fromkeys(
        active, "growth-B"
    )
    # an inactive enterprise still gets a grade (explain shows it), never a tier
    assert by_code(pool, "grade")["a"] == "B"


def test_grades_tiers_and_basis_without_a_previous_day() -> None:
    pool = build(
        [
            enterprise("a", A, life_stage="seed"),
            enterprise("b", A - 0.01, life_stage="mature"),
            enterprise("c", C),
            enterprise("d", C - 0.1),
        ]
    )
    assert by_code(pool, "tier") == {
        "a": "seed-A",
        "b": "mature-B",
        "c": "growth-C",
        "d": "growth-D",
    }
    assert set(pool["grade_basis"]) == {"cutoff_no_previous_partition"}
    assert set(pool["model_version"]) == {policy().version}
    assert set(pool["score_model_version"]) == {SCORE_MODEL_VERSION}
    assert set(pool["as_of_date"]) == {D}


def test_score_life_stage_wins_over_profile_stage() -> None:
    score, profile = frames(enterprise("a", life_stage="startup"))
    score = score.with_columns(pl.lit("growth").alias("life_stage"))
    pool = cultivation_pool(score, profile, None, policy(), D)
    assert pool["tier"].to_list() == ["growth-B"]


def test_hysteresis_against_yesterday() -> None:
    yesterday = build(
        [
            enterprise(code, composite)
            for code, composite in [
                ("a", A + 1),
                ("b", A + 1),
                ("c", B - 1),
                ("d", B - 1),
                ("e", MIDDLE["B"]),
            ]
        ]
    )
    today = build(
        [
            enterprise("a", A - MARGIN),  # at A's cut-off minus the margin: keeps A
            enterprise("b", A - MARGIN - 0.1),  # below it: demoted
            enterprise("c", B + MARGIN - 0.1),  # short of B's cut-off plus the margin: keeps C
            enterprise("d", B + MARGIN),  # reaches it: promoted
            enterprise("e", C - MARGIN - 1),  # falls through several grades at once
            enterprise("new", A - 1),
        ],
        previous=yesterday,
    )
    assert by_code(yesterday, "grade") == {"a": "A", "b": "A", "c": "C", "d": "C", "e": "B"}
    assert by_code(today, "grade") == {"a": "A", "b": "B", "c": "C", "d": "B", "e": "D", "new": "B"}
    assert by_code(today, "cutoff_grade")["a"] == "B"
    assert by_code(today, "grade_basis") == dict.fromkeys("abcde", "hysteresis") | {
        "new": "cutoff_no_previous_grade"
    }


def test_transitions_name_each_kind_of_change() -> None:
    b = MIDDLE["B"]
    yesterday = build(
        [
            enterprise("stay", b),
            enterprise("up", b),
            enterprise("down", b),
            enterprise("stage", b, life_stage="startup"),
            enterprise("moved", b, life_stage="startup"),
            enterprise("out", b),
            enterprise("in", b, status=INACTIVE[1]),
        ]
    )
    today_rows = [
        enterprise("stay", b + 1),
        enterprise("up", MIDDLE["A"]),
        enterprise("down", MIDDLE["C"]),
        enterprise("stage", MIDDLE["A"], life_stage="growth"),
        enterprise("moved", b, life_stage="growth"),
        enterprise("out", b, valid_invention_count=MIN_INVENTIONS - 1),
        enterprise("in", b),
        enterprise("brand_new", MIDDLE["D"]),
    ]
    today = build(today_rows, previous=yesterday)
    today_score = frames(*today_rows)[0]
    moves = tier_transitions(yesterday, today, today_score, D, date(2026, 11, 19))
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
    # Every move names the pool policy version of D's pool, which made it.
    assert set(moves["model_version"]) == set(today["model_version"]) and today.height
    # The composite shown is the score's as of D (the pool does not copy it).
    assert dict(moves.select("credit_code", "composite").iter_rows())["down"] == MIDDLE["C"]


def test_first_day_everyone_enters_and_says_there_was_no_previous_day() -> None:
    rows = [enterprise("a"), enterprise("b", status=INACTIVE[1])]
    moves = tier_transitions(None, build(rows), frames(*rows)[0], D, None)
    assert moves.select("credit_code", "change").rows() == [("a", "entered")]
    assert moves["previous_as_of_date"].to_list() == [None]


def test_transitions_accept_a_previous_partition_as_read_from_the_lake(tmp_path: Path) -> None:
    yesterday = build([enterprise("a", MIDDLE["B"])])
    path = tmp_path / "part-0.parquet"
    yesterday.drop("as_of_date").write_parquet(path)
    from_lake = pl.read_parquet(path)
    rows = [enterprise("a", MIDDLE["A"])]
    today = build(rows, previous=from_lake)
    moves = tier_transitions(from_lake, today, frames(*rows)[0], D, date(2026, 11, 19))
    assert moves["change"].to_list() == ["promoted"]


def _set(path: tuple[Any, ...], value: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    """An edit of the parsed policy: the node at `path` becomes value(data)."""

    def edit(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value(data)

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # B's cut-off above A's
        (
            _set(("grades", 1, "min_composite"), lambda d: d["grades"][0]["min_composite"] + 5),
            "strictly decrease",
        ),
        (_set(("hysteresis_margin",), lambda d: -1), "hysteresis_margin"),
        (_set(("eligibility", "rules", 0, "all", 0, "op"), lambda d: "~="), "bad or no conditions"),
    ],
)
def test_nonsense_pool_policies_are_refused(
    edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    data = yaml.safe_load(POOL_V1.read_text(encoding="utf-8"))
    pool_policy_from_dict(data)  # the file as shipped is accepted
    edit(data)
    with pytest.raises(PolicyError, match=message):
        pool_policy_from_dict(data)


def test_the_v1_policy_loads_through_the_version_lock() -> None:
    raw = yaml.safe_load(POOL_V1.read_text(encoding="utf-8"))
    assert load_pool_policy(POOL_V1) == pool_policy_from_dict(raw)
    assert policy().version in locked_versions(POOL_V1)
