from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from capscore.credit.limits import credit_limits
from capscore.pool.cultivation import cultivation_pool
from scoring_models.policy_config import (
    CREDIT_POLICY_V1,
    GRADES,
    STAGES,
    CreditPolicy,
    credit_policy_from_dict,
)
from tests.models_v1 import credit_v1, pool_v1, scoring_v1

D = date(2026, 11, 20)
POOL_POLICY = pool_v1()
# v1's credit policy as parsed: examples replace its ladders, caps and rounding step.
BASE_CREDIT = yaml.safe_load(CREDIT_POLICY_V1.read_text(encoding="utf-8"))
# The grades a ladder lends to (every grade but v1's zero grades).
LENT = tuple(g for g in GRADES if g not in credit_v1().zero_grades)
# Every status v1 counts as active, some it does not, and none on file.
STATUSES = [*POOL_POLICY.active_statuses, "吊销", "注销", "停业", None]

amounts = st.floats(min_value=0, max_value=200_000, allow_nan=False)
scores = st.floats(min_value=0, max_value=100, allow_nan=False)


@st.composite
def ladders(draw: st.DrawFn, top: float) -> dict[str, float]:
    """A random ladder that does not decrease from worse to better grade."""
    values = sorted(
        draw(st.lists(st.floats(0, top), min_size=len(LENT), max_size=len(LENT))), reverse=True
    )
    return dict(zip(LENT, values, strict=True))


@st.composite
def credit_policies(draw: st.DrawFn) -> CreditPolicy:
    data = yaml.safe_load(yaml.safe_dump(BASE_CREDIT))
    data["grade_ladders"] = {
        "k_grade": draw(ladders(1.0)),
        "ltv_grade": draw(ladders(1.0)),
        "unsecured_grade": draw(ladders(1000)),
    }
    data["warrant_linked"]["ladder"] = draw(ladders(1000))
    data["stage_caps"] = {s: draw(st.floats(0, 3000)) for s in STAGES}
    data["product_caps"] = {p: draw(st.floats(0, 3000)) for p in data["product_caps"]}
    data["round_down_to_wan"] = draw(st.sampled_from([0.01, 1, 10]))
    return credit_policy_from_dict(data)


@st.composite
def enterprises(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "status": draw(st.sampled_from(STATUSES)),
        "life_stage": draw(st.sampled_from(STAGES)),
        "revenue_latest": draw(st.none() | amounts),
        "rd_intensity": draw(st.none() | st.floats(0, 0.2)),
        "debt_ratio": draw(st.none() | st.floats(0, 1.2)),
        "valid_invention_count": draw(st.integers(0, 3)),
        "valid_type2_count": draw(st.integers(0, 6)),
        "hnte_valid": draw(st.booleans()),
        "srdi_level": draw(st.sampled_from(["none", "provincial", "national"])),
        "innovation": draw(scores),
        "evolution": draw(scores),
        "ip_value_wan": draw(amounts),
        "pledge_value_wan": draw(amounts),
        "valid_patents": draw(st.integers(0, 50)),
        "previous_grade": draw(st.sampled_from([None, *GRADES])),
    }


def limits_for(
    facts: dict[str, Any], composites: list[float], policy: CreditPolicy
) -> pl.DataFrame:
    """Limits of identical enterprises e0, e1, ... differing only in their composite."""
    codes = [f"e{i}" for i in range(len(composites))]
    rows = [
        {**facts, "credit_code": code, "composite": c}
        for code, c in zip(codes, composites, strict=True)
    ]
    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "status": pl.String,
            "previous_grade": pl.String,
            "revenue_latest": pl.Float64,
            "rd_intensity": pl.Float64,
            "debt_ratio": pl.Float64,
        },
    )
    score = frame.select(
        "credit_code",
        "composite",
        "innovation",
        "evolution",
        "life_stage",
        pl.lit(scoring_v1().version).alias("model_version"),
    )
    profile = frame.drop("composite", "innovation", "evolution")
    previous = frame.select("credit_code", pl.col("previous_grade").alias("grade"))
    pool = cultivation_pool(score, profile, previous, POOL_POLICY, D)
    ip = frame.select("credit_code", "ip_value_wan", "pledge_value_wan", "valid_patents")
    return credit_limits(pool, score, profile, ip, policy, D)


@settings(max_examples=120, deadline=None)
@given(enterprises(), st.lists(scores, min_size=2, max_size=8), credit_policies())
def test_a_higher_composite_never_gives_a_lower_limit(
    facts: dict[str, Any], composites: list[float], policy: CreditPolicy
) -> None:
    ordered = sorted(composites)
    limits = limits_for(facts, ordered, policy)
    for product, rows in limits.group_by("product"):
        by_code = dict(rows.select("credit_code", "limit_wan").iter_rows())
        series = [by_code[f"e{i}"] for i in range(len(ordered))]
        assert series == sorted(series), (product, ordered, series)


@settings(max_examples=120, deadline=None)
@given(enterprises(), scores, credit_policies())
def test_limits_are_never_negative_nor_above_any_cap(
    facts: dict[str, Any], composite: float, policy: CreditPolicy
) -> None:
    limits = limits_for(facts, [composite], policy)
    by_product = {r["product"]: r for r in limits.iter_rows(named=True)}
    assert set(by_product) == {"tech_credit", "ip_pledge", "warrant_linked"}
    for row in by_product.values():
        assert row["limit_wan"] >= 0
        assert row["binding_constraint"]
    grade = by_product["tech_credit"]["grade"]
    revenue = facts["revenue_latest"] or 0.0
    tech = by_product["tech_credit"]["limit_wan"]
    assert tech <= policy.product_caps["tech_credit"]
    assert tech <= policy.stage_caps[facts["life_stage"]]
    if grade in LENT:
        assert tech <= policy.k_grade[grade] * revenue + 1e-6
        ip_term = policy.ltv_grade[grade] * facts["ip_value_wan"] + policy.unsecured_grade[grade]
        assert tech <= ip_term + 1e-6
        assert by_product["warrant_linked"]["limit_wan"] <= policy.warrant_ladder[grade]
    pledge = by_product["ip_pledge"]["limit_wan"]
    assert pledge <= policy.product_caps["ip_pledge"]
    assert pledge <= facts["pledge_value_wan"] + 1e-6
    assert by_product["warrant_linked"]["limit_wan"] <= policy.product_caps["warrant_linked"]
    in_pool = by_product["tech_credit"]["in_pool"]
    gated = (
        not in_pool
        or grade in policy.zero_grades
        or facts["status"] not in policy.active_statuses
        or (facts["debt_ratio"] is not None and facts["debt_ratio"] > policy.max_debt_ratio)
    )
    if gated:
        assert all(r["limit_wan"] == 0 for r in by_product.values())
        assert all(r["reasons"] for r in by_product.values())
