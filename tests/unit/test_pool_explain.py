from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from capscore.credit.limit_memo import limit_memo
from capscore.credit.limits import credit_limits
from capscore.pool.cultivation import cultivation_pool, with_composite
from capscore.pool.tier_memo import tier_memo
from capscore.pool.transitions import tier_transitions
from tests.models_v1 import credit_v1
from tests.unit.test_pool_cultivation import (
    INACTIVE,
    MARGIN,
    MIDDLE,
    A,
    enterprise,
    frames,
    policy,
)

D = date(2026, 11, 20)
IP_VALUE, PLEDGE_VALUE = 400.0, 90.0


def scenario(composite: float, previous_composite: float | None, **facts: object) -> str:
    score, profile = frames(enterprise("a", composite, **facts))
    previous = None
    if previous_composite is not None:
        old_score, old_profile = frames(enterprise("a", previous_composite, **facts))
        previous = cultivation_pool(old_score, old_profile, None, policy(), D)
    pool = cultivation_pool(score, profile, previous, policy(), D)
    moves = tier_transitions(previous, pool, score, D, D - timedelta(days=1))
    ip = pl.DataFrame(
        {
            "credit_code": ["a"],
            "ip_value_wan": [IP_VALUE],
            "pledge_value_wan": [PLEDGE_VALUE],
            "valid_patents": [2],
        }
    )
    limits = credit_limits(pool, score, profile, ip, credit_v1(), D)
    return (
        tier_memo(with_composite(pool, score).row(0, named=True), moves) + "\n" + limit_memo(limits)
    )


def test_explains_tier_hysteresis_transition_and_each_limit() -> None:
    credit = credit_v1()
    ltv, unsecured = credit.ltv_grade["A"], credit.unsecured_grade["A"]
    ip_term = IP_VALUE * ltv + unsecured
    facts = enterprise("a")
    # the IP term is what sets the tech_credit limit
    assert ip_term < min(
        credit.k_grade["A"] * facts["revenue_latest"],
        credit.stage_caps[facts["life_stage"]],
        credit.product_caps["tech_credit"],
    )
    # yesterday A; today under A's cut-off but within the margin
    text = scenario(A - MARGIN / 2, A + 1)
    assert "in pool: yes, eligible by rule 'valid_invention'" in text
    assert "tier growth-A" in text
    assert "kept by hysteresis: the cut-off grade would be B" in text
    assert "Tier changes: none recorded" in text
    assert "tech_credit" in text and "set by ip_collateral" in text
    assert f"IP value {IP_VALUE} × LTV {ltv} + unsecured {unsecured} = {ip_term}" in text
    assert "warrant_linked" in text and "not eligible for warrant-linked lending" in text


def test_explains_exclusion_and_zero_limits() -> None:
    text = scenario(MIDDLE["B"], None, status=INACTIVE[1])
    assert "in pool: no (inactive)" in text
    assert "would grade B" in text
    assert "plain cut-off grade: no earlier as-of date has a pool" in text
    assert "set by inactive" in text
    assert f"inactive: status {INACTIVE[1]}" in text


def test_explains_a_promotion_and_a_missing_row() -> None:
    assert "promoted      growth-B -> growth-A" in scenario(MIDDLE["A"], MIDDLE["B"])
    text = tier_memo(None, pl.DataFrame()) + "\n" + limit_memo(pl.DataFrame())
    assert "no row for this enterprise" in text
    assert "Credit limits: none computed" in text
