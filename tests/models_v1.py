"""The v1 model and policy files, loaded by path (through the version lock).

Tests of v1 behaviour load these instead of the loaders' defaults, which move
on to newer versions; expected values are read from the loaded objects rather
than copied from the YAML, so a test states the rule, not today's numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import scoring_models.config
from scoring_models.config import ScoringModel, load_scoring_model
from scoring_models.policy_config import (
    CREDIT_POLICY_V1,
    POOL_V1,
    CreditPolicy,
    PoolPolicy,
    load_credit_policy,
    load_pool_policy,
)
from scoring_models.versioning import read_lock

SCORING_V1 = Path(scoring_models.config.__file__).with_name("scoring_v1.yaml")


@functools.cache
def scoring_v1() -> ScoringModel:
    return load_scoring_model(SCORING_V1)


@functools.cache
def pool_v1() -> PoolPolicy:
    return load_pool_policy(POOL_V1)


@functools.cache
def credit_v1() -> CreditPolicy:
    return load_credit_policy(CREDIT_POLICY_V1)


def locked_versions(path: Path) -> set[str]:
    """The versions versions.lock records for the file `path`."""
    return {entry.version for entry in read_lock().values() if entry.file == path.name}


# ---------------------------------------------------------------- pool policy


def cutoff(policy: PoolPolicy, grade: str, stage: str | None = None) -> float:
    """The lowest composite of `grade` by the plain cut-offs (of `stage`'s ladder if given)."""
    ladder = policy.grade_cutoffs if stage is None else policy.stage_cutoffs[stage]
    return dict(ladder)[grade]


def band_middle(policy: PoolPolicy, grade: str, stage: str | None = None) -> float:
    """A composite in the middle of `grade`'s plain band (the best grade's band ends at 100)."""
    grades = [g for g, _ in policy.grade_cutoffs]
    index = grades.index(grade)
    upper = 100.0 if index == 0 else cutoff(policy, grades[index - 1], stage)
    return (cutoff(policy, grade, stage) + upper) / 2


def rule_value(policy: PoolPolicy, rule_id: str, column: str) -> Any:
    """The value an eligibility rule compares `column` with."""
    (value,) = [
        c.value for r in policy.rules if r.id == rule_id for c in r.conditions if c.column == column
    ]
    return value


# ---------------------------------------------------------------- scoring model


def within_dimension_weight(model: ScoringModel, name: str) -> float:
    """An indicator's weight renormalized over every indicator of its dimension."""
    spec = model.indicator(name)
    total = sum(s.weight for s in model.indicators if s.dimension == spec.dimension)
    return spec.weight / total


def weighted_dimension_score(model: ScoringModel, scores: Mapping[str, float]) -> float:
    """Weighted mean of the given indicator scores (all of one dimension) by configured weight."""
    weights = {name: model.indicator(name).weight for name in scores}
    return sum(weights[n] * s for n, s in scores.items()) / sum(weights.values())


def stage_condition(model: ScoringModel, stage: str, *keys: str) -> Mapping[str, float]:
    """The condition set of `stage`'s life-stage rule that uses exactly `keys`."""
    (condition,) = [
        c
        for rule in model.life_stages
        if rule.stage == stage
        for c in rule.any_of
        if set(c) == set(keys)
    ]
    return condition
