from __future__ import annotations

import dataclasses
import math
from datetime import date
from typing import Any

import polars as pl
import pytest
import yaml

from capscore.credit.limits import credit_limits
from scoring_models.policy_config import (
    CREDIT_POLICY_V1,
    PRODUCTS,
    CreditPolicy,
    PolicyError,
    credit_policy_from_dict,
    load_credit_policy,
)
from tests.models_v1 import credit_v1, locked_versions

D = date(2026, 11, 20)


def policy() -> CreditPolicy:
    """The v1 credit policy (loaded by path: these tests check v1's rules)."""
    return credit_v1()


def rounded(amount: float) -> float:
    """`amount` rounded down to the policy's step."""
    step = policy().round_down_to_wan
    return math.floor(amount / step + 1e-9) * step


def num(value: float) -> str:
    """A number as the reasons write it."""
    return str(round(float(value), 2))


ACTIVE = policy().active_statuses[0]
INACTIVE = "吊销"
assert INACTIVE not in policy().active_statuses


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
        "status": ACTIVE,
        "revenue_latest": 3000.0,
        "debt_ratio": 0.4,
        "ip_value_wan": 500.0,
        "pledge_value_wan": 120.0,
        "valid_patents": 3,
    }
    row.update(kw)
    row["tier"] = f"{row['life_stage']}-{row['grade']}" if row["in_pool"] else None
    return row


def limits_for(*rows: dict[str, Any], policy: CreditPolicy | None = None) -> pl.DataFrame:
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
        pl.lit("pool_v1").alias("model_version"),
        pl.lit("scoring_v1").alias("score_model_version"),
    )
    score = frame.select("credit_code", "composite", "innovation", "evolution")
    balance_sheet = [c for c in ("total_assets_latest", "total_liabilities_latest") if c in frame]
    profile = frame.select("credit_code", "status", "revenue_latest", "debt_ratio", *balance_sheet)
    ip = frame.select("credit_code", "ip_value_wan", "pledge_value_wan", "valid_patents")
    return credit_limits(pool, score, profile, ip, policy or credit_v1(), D)


def table(limits: pl.DataFrame) -> dict[tuple[str, str], tuple[float, str]]:
    return {
        (r["credit_code"], r["product"]): (r["limit_wan"], r["binding_constraint"])
        for r in limits.iter_rows(named=True)
    }


def test_worked_examples_and_binding_constraints() -> None:
    p = policy()
    growth_b, seed_a = (
        case("growth_b"),
        case(
            "seed_a",
            life_stage="seed",
            grade="A",
            revenue_latest=100.0,
            ip_value_wan=0.0,
            pledge_value_wan=0.0,
            valid_patents=0,
            innovation=p.min_innovation + 10,
            evolution=p.min_evolution + 5,
        ),
    )
    mature_a = case(
        "mature_a",
        life_stage="mature",
        grade="A",
        revenue_latest=100000.0,
        ip_value_wan=10000.0,
        pledge_value_wan=5000.0,
    )
    startup_c = case(
        "startup_c",
        life_stage="startup",
        grade="C",
        revenue_latest=None,
        innovation=p.min_innovation + 20,
        evolution=p.min_evolution - 0.1,
    )
    limits = limits_for(growth_b, seed_a, mature_a, startup_c)

    # growth_b: the IP term (LTV x IP value + unsecured part) is the smallest
    b_revenue = p.k_grade["B"] * growth_b["revenue_latest"]
    b_ip = p.ltv_grade["B"] * growth_b["ip_value_wan"] + p.unsecured_grade["B"]
    assert b_ip < min(b_revenue, p.stage_caps["growth"], p.product_caps["tech_credit"])
    # seed_a: the revenue multiple is the smallest; seed and both scores qualify for warrants
    a_revenue = p.k_grade["A"] * seed_a["revenue_latest"]
    assert a_revenue < min(
        p.unsecured_grade["A"], p.stage_caps["seed"], p.product_caps["tech_credit"]
    )
    assert "seed" in p.warrant_stages and "growth" not in p.warrant_stages
    warrant_a = min(p.warrant_ladder["A"], p.product_caps["warrant_linked"])
    # mature_a: both caps are below its revenue and IP terms; a tie names the stage cap
    mature_cap = min(p.stage_caps["mature"], p.product_caps["tech_credit"])
    assert mature_cap < min(
        p.k_grade["A"] * mature_a["revenue_latest"],
        p.ltv_grade["A"] * mature_a["ip_value_wan"] + p.unsecured_grade["A"],
    )
    mature_binding = (
        "stage_cap" if p.stage_caps["mature"] <= p.product_caps["tech_credit"] else "product_cap"
    )
    pledge_cap = p.product_caps["ip_pledge"]
    assert growth_b["pledge_value_wan"] < pledge_cap < mature_a["pledge_value_wan"]
    assert table(limits) == {
        ("growth_b", "tech_credit"): (rounded(b_ip), "ip_collateral"),
        ("growth_b", "ip_pledge"): (rounded(growth_b["pledge_value_wan"]), "pledge_collateral"),
        ("growth_b", "warrant_linked"): (0.0, "warrant_rule"),
        ("seed_a", "tech_credit"): (rounded(a_revenue), "revenue_multiple"),
        ("seed_a", "ip_pledge"): (0.0, "pledge_collateral"),
        ("seed_a", "warrant_linked"): (
            rounded(warrant_a),
            "grade_ladder"
            if p.warrant_ladder["A"] <= p.product_caps["warrant_linked"]
            else "product_cap",
        ),
        ("mature_a", "tech_credit"): (rounded(mature_cap), mature_binding),
        ("mature_a", "ip_pledge"): (rounded(pledge_cap), "product_cap"),
        ("mature_a", "warrant_linked"): (0.0, "warrant_rule"),
        # no revenue on file counts as 0; evolution just under the warrant minimum
        ("startup_c", "tech_credit"): (0.0, "revenue_multiple"),
        ("startup_c", "ip_pledge"): (rounded(startup_c["pledge_value_wan"]), "pledge_collateral"),
        ("startup_c", "warrant_linked"): (0.0, "warrant_rule"),
    }
    row = limits.filter(
        (pl.col("credit_code") == "growth_b") & (pl.col("product") == "tech_credit")
    )
    assert row["reasons"].item().to_list() == [
        f"revenue {num(growth_b['revenue_latest'])} × k {num(p.k_grade['B'])} (grade B) "
        f"= {num(b_revenue)}",
        f"IP value {num(growth_b['ip_value_wan'])} × LTV {num(p.ltv_grade['B'])} "
        f"+ unsecured {num(p.unsecured_grade['B'])} = {num(b_ip)}",
        f"growth stage cap {num(p.stage_caps['growth'])}",
        f"product cap {num(p.product_caps['tech_credit'])}",
    ]
    assert set(limits["policy_version"]) == {p.version}
    assert set(limits["as_of_date"]) == {D}


def test_a_tie_between_the_stage_cap_and_the_product_cap_names_the_stage_cap() -> None:
    p = policy()
    cap = p.product_caps["tech_credit"]
    tied = dataclasses.replace(p, stage_caps={**p.stage_caps, "mature": cap})
    big = case("a", life_stage="mature", grade="A", revenue_latest=1e9, ip_value_wan=1e9)
    assert table(limits_for(big, policy=tied))[("a", "tech_credit")] == (rounded(cap), "stage_cap")


def test_gates_zero_every_product_and_list_every_reason() -> None:
    p = policy()
    (zero_grade,) = p.zero_grades
    over = p.max_debt_ratio + 0.15
    limits = limits_for(
        case("grade_d", grade=zero_grade),
        case("outside", in_pool=False, exclusion_reason="no_rule_held"),
        case(
            "struck_off",
            status=INACTIVE,
            in_pool=False,
            exclusion_reason="inactive",
            debt_ratio=over,
        ),
        case("indebted", debt_ratio=p.max_debt_ratio + 0.01),
        case("at_limit", debt_ratio=p.max_debt_ratio),
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
        "grade_d": f"grade_{zero_grade}",
        "outside": "not_in_pool",
        "struck_off": "inactive",
        "indebted": "debt_ratio",
    }
    struck = limits.filter(
        (pl.col("credit_code") == "struck_off") & (pl.col("product") == "tech_credit")
    )
    assert struck["reasons"].item().to_list() == [
        f"inactive: status {INACTIVE}",
        "not in the cultivation pool (inactive)",
        f"debt ratio {num(over)} > {p.max_debt_ratio}",
    ]
    # at the maximum debt ratio, or with none on file, the grade B worked example applies
    growth_b = case("growth_b")
    expected = rounded(p.ltv_grade["B"] * growth_b["ip_value_wan"] + p.unsecured_grade["B"])
    lent = dict(
        limits.filter(pl.col("product") == "tech_credit")
        .select("credit_code", "limit_wan")
        .iter_rows()
    )
    assert (lent["at_limit"], lent["no_balance_sheet"]) == (expected, expected)
    assert expected > 0


def test_liabilities_without_assets_gate_as_an_unbounded_debt_ratio() -> None:
    # total_assets 0 (contract-valid: non-negative) leaves debt_ratio null, as for a firm
    # that filed no balance sheet; 9,000 万元 of liabilities on no assets is no unknown,
    # but a firm lent 185 万元 of tech_credit on a generated root before the gate read it.
    p = policy()
    sheet = {"debt_ratio": None, "total_assets_latest": 0.0}
    limits = limits_for(
        case("no_assets", **sheet, total_liabilities_latest=9000.0),
        case("empty_sheet", **sheet, total_liabilities_latest=0.0),
        case("no_sheet", debt_ratio=None, total_assets_latest=None, total_liabilities_latest=None),
        policy=p,
    )
    got = table(limits)
    for product in PRODUCTS:
        assert got[("no_assets", product)] == (0.0, "debt_ratio")
    assert got[("empty_sheet", "tech_credit")][0] > 0
    assert got[("no_sheet", "tech_credit")][0] > 0
    reasons = limits.filter(pl.col("credit_code") == "no_assets")["reasons"][0].to_list()
    assert reasons == [
        f"liabilities 9000.0 with total assets 0: debt ratio unbounded > {p.max_debt_ratio}"
    ]


def test_limits_round_down_to_the_policy_step() -> None:
    p = policy()
    revenue, pledge = 1234.56, 99.99
    limits = limits_for(
        case("a", revenue_latest=revenue, ip_value_wan=5000.0, pledge_value_wan=pledge)
    )
    tech = p.k_grade["B"] * revenue
    # both amounts fall between two steps, so rounding down changes them
    assert rounded(tech) < tech and rounded(pledge) < pledge
    assert table(limits)[("a", "tech_credit")] == (rounded(tech), "revenue_multiple")
    assert table(limits)[("a", "ip_pledge")] == (rounded(pledge), "pledge_collateral")


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


def test_the_v1_policy_loads_through_the_version_lock() -> None:
    raw = yaml.safe_load(CREDIT_POLICY_V1.read_text(encoding="utf-8"))
    assert load_credit_policy(CREDIT_POLICY_V1) == credit_policy_from_dict(raw)
    assert policy().version in locked_versions(CREDIT_POLICY_V1)
