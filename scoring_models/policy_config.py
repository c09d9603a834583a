"""Pool and credit policies: typed, validated views of pool_v*.yaml and credit_policy_v*.yaml.

Files are loaded through `scoring_models.versioning`, so a changed file with an
unchanged `version:` is refused. Validation here is about meaning: grade
ladders that could make a higher composite earn a lower limit are refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring_models.versioning import load_versioned_yaml

HERE = Path(__file__).parent
POOL_V1 = HERE / "pool_v1.yaml"
POOL_V2 = HERE / "pool_v2.yaml"
CREDIT_POLICY_V1 = HERE / "credit_policy_v1.yaml"
CREDIT_POLICY_V2 = HERE / "credit_policy_v2.yaml"
# The versions the pipeline uses (older versions stay loadable by path).
DEFAULT_POOL = POOL_V2
DEFAULT_CREDIT_POLICY = CREDIT_POLICY_V2

# Best first (outputs.md).
GRADES = ("A", "B", "C", "D")
STAGES = ("seed", "startup", "growth", "mature")
PATENT_TYPES = ("invention", "utility_model", "design")
PRODUCTS = ("tech_credit", "ip_pledge", "warrant_linked")
OPERATORS = ("==", "!=", ">=", ">", "<=", "<", "in")


class PolicyError(ValueError):
    """A policy file that is well-formed YAML but does not make sense."""


@dataclass(frozen=True)
class Condition:
    column: str
    op: str
    value: Any


@dataclass(frozen=True)
class EligibilityRule:
    id: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class PoolPolicy:
    version: str
    active_statuses: tuple[str, ...]
    rules: tuple[EligibilityRule, ...]
    # (grade, min_composite), best first, cut-offs strictly decreasing (v1: every stage).
    grade_cutoffs: tuple[tuple[str, float], ...]
    hysteresis_margin: float
    # The ladder of each life stage (v1: the same one everywhere).
    stage_cutoffs: Mapping[str, tuple[tuple[str, float], ...]]
    # Share of pool members per grade the per-stage ladders were fitted to (v2).
    grade_targets: Mapping[str, float] | None = None
    # The composite's distribution over ten 0-100 bins on the reference data the
    # ladders were fitted on: the stability reference of the model version (v2).
    reference_shares: tuple[float, ...] | None = None
    # The scoring model version the ladders and the reference were fitted on (v2).
    fitted_on: str | None = None


@dataclass(frozen=True)
class CreditPolicy:
    version: str
    active_statuses: tuple[str, ...]
    max_debt_ratio: float
    zero_grades: tuple[str, ...]
    k_grade: Mapping[str, float]
    ltv_grade: Mapping[str, float]
    unsecured_grade: Mapping[str, float]
    stage_caps: Mapping[str, float]
    product_caps: Mapping[str, float]
    base_value: Mapping[str, float]
    quality_floor: float
    quality_slope: float
    statutory_term_years: Mapping[str, float]
    pledge_ltv: Mapping[str, float]
    warrant_stages: tuple[str, ...]
    min_innovation: float
    min_evolution: float
    warrant_ladder: Mapping[str, float]
    round_down_to_wan: float
    # v2: without a financial filing the revenue is unknown, never 0 (None: v1 reads it as 0).
    no_filing: NoFilingLine | None = None
    warrant_needs_financials: bool = False


@dataclass(frozen=True)
class NoFilingLine:
    """tech_credit without a financial filing: ltv x IP value + unsecured_share x the
    grade's unsecured part, at most `cap` (and the stage and product caps)."""

    unsecured_share: float
    cap: float


def _numbers(data: Mapping[str, Any], keys: tuple[str, ...], what: str) -> dict[str, float]:
    if set(data) != set(keys):
        raise PolicyError(f"{what}: expected keys {list(keys)}, got {sorted(data)}")
    values = {k: float(data[k]) for k in keys}
    if any(v < 0 for v in values.values()):
        raise PolicyError(f"{what}: values must be >= 0, got {values}")
    return values


def _ladder(data: Mapping[str, Any], grades: tuple[str, ...], what: str) -> dict[str, float]:
    values = _numbers(data, grades, what)
    ordered = [values[g] for g in grades]
    if any(better < worse for better, worse in itertools.pairwise(ordered)):
        raise PolicyError(
            f"{what}: must not decrease from worse to better grade ({' >= '.join(grades)}), "
            f"got {values}; otherwise a higher composite could earn a lower limit"
        )
    return values


def pool_policy_from_dict(data: Mapping[str, Any]) -> PoolPolicy:
    rules = []
    for rule in data["eligibility"]["rules"]:
        conditions = tuple(
            Condition(c["column"], c["op"], tuple(v) if isinstance(v := c["value"], list) else v)
            for c in rule["all"]
        )
        bad = [c.op for c in conditions if c.op not in OPERATORS]
        if bad or not conditions:
            raise PolicyError(f"eligibility rule {rule['id']}: bad or no conditions ({bad})")
        rules.append(EligibilityRule(str(rule["id"]), conditions))
    grades = data["grades"]
    if isinstance(grades, list):
        # v1: one ladder for every stage.
        ladder = _cutoffs(grades, "grades")
        by_stage = dict.fromkeys(STAGES, ladder)
        targets = None
        reference = None
        fitted_on = None
    else:
        # v2: a ladder per stage, fitted to the grade share targets.
        by_stage = {s: _cutoffs(grades["by_stage"][s], f"grades.by_stage.{s}") for s in STAGES}
        ladder = by_stage[STAGES[0]]
        targets = _numbers(grades["targets"], GRADES, "grades.targets")
        if abs(sum(targets.values()) - 1.0) > 1e-9:
            raise PolicyError(f"grades.targets must sum to 1, got {targets}")
        fitted = grades.get("fitted", {})
        shares = fitted.get("reference_shares")
        reference = tuple(float(s) for s in shares) if shares else None
        fitted_on = fitted.get("scoring_model")
    margin = float(data["hysteresis_margin"])
    if margin < 0:
        raise PolicyError(f"hysteresis_margin must be >= 0, got {margin}")
    return PoolPolicy(
        version=str(data["version"]),
        active_statuses=tuple(data["eligibility"]["active_statuses"]),
        rules=tuple(rules),
        grade_cutoffs=ladder,
        hysteresis_margin=margin,
        stage_cutoffs=by_stage,
        grade_targets=targets,
        reference_shares=reference,
        fitted_on=fitted_on,
    )


def _cutoffs(rows: Any, what: str) -> tuple[tuple[str, float], ...]:
    cutoffs = tuple((str(g["grade"]), float(g["min_composite"])) for g in rows)
    if tuple(g for g, _ in cutoffs) != GRADES:
        raise PolicyError(f"{what}: expected {list(GRADES)} best first, got {cutoffs}")
    if any(hi <= lo for (_, hi), (_, lo) in itertools.pairwise(cutoffs)):
        raise PolicyError(f"{what}: cut-offs must strictly decrease, got {cutoffs}")
    return cutoffs


def credit_policy_from_dict(data: Mapping[str, Any]) -> CreditPolicy:
    gates = data["gates"]
    zero_grades = tuple(gates["zero_grades"])
    lent = tuple(g for g in GRADES if g not in zero_grades)
    ladders = data["grade_ladders"]
    ip = data["ip_value"]
    warrant = data["warrant_linked"]
    step = float(data["round_down_to_wan"])
    if step <= 0:
        raise PolicyError(f"round_down_to_wan must be > 0, got {step}")
    terms = _numbers(ip["statutory_term_years"], PATENT_TYPES, "ip_value.statutory_term_years")
    if any(v <= 0 for v in terms.values()):
        raise PolicyError(f"ip_value.statutory_term_years must be > 0, got {terms}")
    return CreditPolicy(
        version=str(data["version"]),
        active_statuses=tuple(gates["active_statuses"]),
        max_debt_ratio=float(gates["max_debt_ratio"]),
        zero_grades=zero_grades,
        k_grade=_ladder(ladders["k_grade"], lent, "grade_ladders.k_grade"),
        ltv_grade=_ladder(ladders["ltv_grade"], lent, "grade_ladders.ltv_grade"),
        unsecured_grade=_ladder(ladders["unsecured_grade"], lent, "grade_ladders.unsecured_grade"),
        stage_caps=_numbers(data["stage_caps"], STAGES, "stage_caps"),
        product_caps=_numbers(data["product_caps"], PRODUCTS, "product_caps"),
        base_value=_numbers(ip["base_value"], PATENT_TYPES, "ip_value.base_value"),
        quality_floor=float(ip["quality_floor"]),
        quality_slope=float(ip["quality_slope"]),
        statutory_term_years=terms,
        pledge_ltv=_numbers(data["ip_pledge_ltv_by_type"], PATENT_TYPES, "ip_pledge_ltv_by_type"),
        warrant_stages=tuple(warrant["stages"]),
        min_innovation=float(warrant["min_innovation"]),
        min_evolution=float(warrant["min_evolution"]),
        warrant_ladder=_ladder(warrant["ladder"], lent, "warrant_linked.ladder"),
        round_down_to_wan=step,
        no_filing=_no_filing(data.get("tech_credit_without_financials")),
        warrant_needs_financials=bool(warrant.get("requires_financials", False)),
    )


def _no_filing(data: Mapping[str, Any] | None) -> NoFilingLine | None:
    if data is None:
        return None
    share, cap = float(data["unsecured_share"]), float(data["cap"])
    if not 0 <= share <= 1 or cap < 0:
        raise PolicyError(
            f"tech_credit_without_financials: unsecured_share in [0, 1] and cap >= 0, got {data}"
        )
    return NoFilingLine(share, cap)


def load_pool_policy(path: str | Path = DEFAULT_POOL) -> PoolPolicy:
    return pool_policy_from_dict(load_versioned_yaml(path).data)


def load_credit_policy(path: str | Path = DEFAULT_CREDIT_POLICY) -> CreditPolicy:
    return credit_policy_from_dict(load_versioned_yaml(path).data)
