from __future__ import annotations

from datetime import date

import polars as pl

from capscore.credit.limit_memo import limit_memo
from capscore.credit.limits import credit_limits
from capscore.pool.cultivation import cultivation_pool
from capscore.pool.tier_memo import tier_memo
from capscore.pool.transitions import tier_transitions
from scoring_models.policy_config import load_credit_policy
from tests.unit.test_pool_cultivation import enterprise, frames, policy

D = date(2026, 11, 20)


def scenario(composite: float, previous_composite: float | None, **facts: object) -> str:
    score, profile = frames(enterprise("a", composite, **facts))
    previous = None
    if previous_composite is not None:
        old_score, old_profile = frames(enterprise("a", previous_composite, **facts))
        previous = cultivation_pool(old_score, old_profile, None, policy(), D)
    pool = cultivation_pool(score, profile, previous, policy(), D)
    moves = tier_transitions(previous, pool, D)
    ip = pl.DataFrame(
        {
            "credit_code": ["a"],
            "ip_value_wan": [400.0],
            "pledge_value_wan": [90.0],
            "valid_patents": [2],
        }
    )
    limits = credit_limits(pool, score, profile, ip, load_credit_policy(), D)
    return tier_memo(pool.row(0, named=True), moves) + "\n" + limit_memo(limits)


def test_explains_tier_hysteresis_transition_and_each_limit() -> None:
    text = scenario(78.5, 81.0)
    assert "in pool: yes, eligible by rule 'valid_invention'" in text
    assert "tier growth-A" in text
    assert "kept by hysteresis: the cut-off grade would be B" in text
    assert "Tier changes: none recorded" in text
    assert "tech_credit" in text and "set by ip_collateral" in text
    assert "IP value 400.0 × LTV 0.5 + unsecured 300.0 = 500.0" in text
    assert "warrant_linked" in text and "not eligible for warrant-linked lending" in text


def test_explains_exclusion_and_zero_limits() -> None:
    text = scenario(70.0, None, status="注销")
    assert "in pool: no (inactive)" in text
    assert "would grade B" in text
    assert "plain cut-off grade: the pool of the previous day was not built" in text
    assert "set by inactive" in text
    assert "inactive: status 注销" in text


def test_explains_a_promotion_and_a_missing_row() -> None:
    assert "promoted      growth-B -> growth-A" in scenario(90.0, 70.0)
    text = tier_memo(None, pl.DataFrame()) + "\n" + limit_memo(pl.DataFrame())
    assert "no row for this enterprise" in text
    assert "Credit limits: none computed" in text
