from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
import yaml

from capscore.credit.limits import credit_limits
from scoring_models.policy_config import (
    CREDIT_POLICY_V1,
    CreditPolicy,
    PolicyError,
    credit_policy_from_dict,
    load_credit_policy,
)

D = date(2026, 11, 20)


def policy() -> CreditPolicy:
    return credit_policy_from_dict(yaml.safe_load(CREDIT_POLICY_V1.read_text(encoding="utf-8")))


def case(code: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "credit_code": code,
        "in_pool": True,
        "exclusion_reason": None,
        "life_stage": "growth",
        "grade": "B",
        "composite": 70.0,
        "innovation": 50.0,
        "evolution": 50.0,
        "status": "存续",
        "revenue_latest": 3000.0,
        "debt_ratio": 0.4,
        "ip_value_wan": 500.0,
        "pledge_value_wan": 120.0,
        "valid_patents": 3,
    }
    row.update(kw)
    row["tier"] = f"{row['life_stage']}-{row['grade']}" if row["in_pool"] else None
    return row


def limits_for(*rows: dict[str, Any]) -> pl.DataFrame:
    frame = pl.DataFrame(
        list(rows),
        schema_overrides={
            "exclusion_reason": pl.String,
            "debt_ratio": pl.Float64,
            "tier": pl.String,
        },
    )
    pool = frame.select(
        "credit_code",
        "in_pool",
        "exclusion_reason",
        "tier",
        "life_stage",
        "grade",
        "composite",
        pl.lit("pool_v1").alias("model_version"),
        pl.lit("scoring_v1").alias("score_model_version"),
    )
    score = frame.select("credit_code", "innovation", "evolution")
    profile = frame.select("credit_code", "status", "revenue_latest", "debt_ratio")
    ip = frame.select("credit_code", "ip_value_wan", "pledge_value_wan", "valid_patents")
    return credit_limits(pool, score, profile, ip, policy(), D)


def table(limits: pl.DataFrame) -> dict[tuple[str, str], tuple[float, str]]:
    return {
        (r["credit_code"], r["product"]): (r["limit_wan"], r["binding_constraint"])
        for r in limits.iter_rows(named=True)
    }


def test_worked_examples_and_binding_constraints() -> None:
    limits = limits_for(
        case("growth_b"),
        case(
            "seed_a",
            life_stage="seed",
            grade="A",
            revenue_latest=100.0,
            ip_value_wan=0.0,
            pledge_value_wan=0.0,
            valid_patents=0,
            innovation=80.0,
            evolution=75.0,
        ),
        case(
            "mature_a",
            life_stage="mature",
            grade="A",
            revenue_latest=100000.0,
            ip_value_wan=10000.0,
            pledge_value_wan=5000.0,
        ),
        case(
            "startup_c",
            life_stage="startup",
            grade="C",
            revenue_latest=None,
            innovation=90.0,
            evolution=69.9,
        ),
    )
    assert table(limits) == {
        # min(0.2*3000=600, 0.4*500+150=350, 800, 1000)
        ("growth_b", "tech_credit"): (350.0, "ip_collateral"),
        ("growth_b", "ip_pledge"): (120.0, "pledge_collateral"),
        ("growth_b", "warrant_linked"): (0.0, "warrant_rule"),
        # min(0.3*100=30, 0*0.5+300, 200, 1000)
        ("seed_a", "tech_credit"): (30.0, "revenue_multiple"),
        ("seed_a", "ip_pledge"): (0.0, "pledge_collateral"),
        ("seed_a", "warrant_linked"): (500.0, "grade_ladder"),
        # stage cap 1000 == product cap 1000: the stage cap is named first
        ("mature_a", "tech_credit"): (1000.0, "stage_cap"),
        ("mature_a", "ip_pledge"): (1000.0, "product_cap"),
        ("mature_a", "warrant_linked"): (0.0, "warrant_rule"),
        # no revenue on file counts as 0; evolution just under 70
        ("startup_c", "tech_credit"): (0.0, "revenue_multiple"),
        ("startup_c", "ip_pledge"): (120.0, "pledge_collateral"),
        ("startup_c", "warrant_linked"): (0.0, "warrant_rule"),
    }
    row = limits.filter(
        (pl.col("credit_code") == "growth_b") & (pl.col("product") == "tech_credit")
    )
    assert row["reasons"].item().to_list() == [
        "revenue 3000.0 × k 0.2 (grade B) = 600.0",
        "IP value 500.0 × LTV 0.4 + unsecured 150.0 = 350.0",
        "growth stage cap 800.0",
        "product cap 1000.0",
    ]
    assert set(limits["policy_version"]) == {"credit_policy_v1"}
    assert set(limits["as_of_date"]) == {D}


def test_gates_zero_every_product_and_list_every_reason() -> None:
    limits = limits_for(
        case("grade_d", grade="D"),
        case("outside", in_pool=False, exclusion_reason="no_rule_held"),
        case(
            "struck_off", status="吊销", in_pool=False, exclusion_reason="inactive", debt_ratio=0.9
        ),
        case("indebted", debt_ratio=0.76),
        case("at_limit", debt_ratio=0.75),
        case("no_balance_sheet", debt_ratio=None),
    )
    zero = limits.filter(pl.col("limit_wan") == 0)
    assert set(zero["credit_code"]) >= {"grade_d", "outside", "struck_off", "indebted"}
    first = dict(
        zero.filter(pl.col("product") == "ip_pledge")
        .select("credit_code", "binding_constraint")
        .iter_rows()
    )
    assert first == {
        "grade_d": "grade_D",
        "outside": "not_in_pool",
        "struck_off": "inactive",
        "indebted": "debt_ratio",
    }
    struck = limits.filter(
        (pl.col("credit_code") == "struck_off") & (pl.col("product") == "tech_credit")
    )
    assert struck["reasons"].item().to_list() == [
        "inactive: status 吊销",
        "not in the cultivation pool (inactive)",
        "debt ratio 0.9 > 0.75",
    ]
    lent = limits.filter(pl.col("product") == "tech_credit")
    assert dict(lent.select("credit_code", "limit_wan").iter_rows())["at_limit"] == 350.0
    assert dict(lent.select("credit_code", "limit_wan").iter_rows())["no_balance_sheet"] == 350.0


def test_limits_round_down_to_whole_wan() -> None:
    limits = limits_for(
        case("a", revenue_latest=1234.56, ip_value_wan=5000.0, pledge_value_wan=99.99)
    )
    assert table(limits)[("a", "tech_credit")] == (246.0, "revenue_multiple")
    assert table(limits)[("a", "ip_pledge")] == (99.0, "pledge_collateral")


@pytest.mark.parametrize(
    ("section", "key", "ladder"),
    [
        ("grade_ladders", "k_grade", {"A": 0.1, "B": 0.2, "C": 0.05}),
        ("grade_ladders", "unsecured_grade", {"A": 300, "B": 150}),
        ("warrant_linked", "ladder", {"A": 100, "B": 300, "C": 100}),
    ],
)
def test_policies_whose_ladders_could_reward_a_lower_composite_are_refused(
    section: str, key: str, ladder: dict[str, float]
) -> None:
    data = yaml.safe_load(CREDIT_POLICY_V1.read_text(encoding="utf-8"))
    data[section][key] = ladder
    with pytest.raises(PolicyError, match=key):
        credit_policy_from_dict(data)


def test_the_shipped_policy_loads_through_the_version_lock() -> None:
    assert load_credit_policy() == policy()
    assert policy().version == "credit_policy_v1"
