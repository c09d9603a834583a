"""Versioned scoring YAML: the lock refuses changed content under an unchanged version."""

from __future__ import annotations

import copy
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring_models.config import (
    DEFAULT_MODEL,
    ScoringModelError,
    load_scoring_model,
    model_from_dict,
)
from scoring_models.policy_config import STAGES
from scoring_models.versioning import (
    LOCK_FILE,
    VersionLockError,
    load_versioned_yaml,
    lock,
    read_lock,
)
from tests.models_v1 import SCORING_V1, locked_versions

MODELS = Path(DEFAULT_MODEL).parent


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the v1 scoring YAML and the lock, safe to edit."""
    target = tmp_path / SCORING_V1.name
    shutil.copy(SCORING_V1, target)
    lock_copy = tmp_path / "versions.lock"
    shutil.copy(LOCK_FILE, lock_copy)
    return target, lock_copy


def _data(path: Path = SCORING_V1) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_v1_model_loads_against_the_lock_and_reflects_the_file() -> None:
    model = load_scoring_model(SCORING_V1)
    raw = _data()
    assert model.version == raw["version"]
    assert model.version in locked_versions(SCORING_V1)
    listed = {
        name: (dimension, spec["direction"], float(spec["weight"]))
        for dimension, body in raw["dimensions"].items()
        for name, spec in body["indicators"].items()
    }
    assert {s.name: (s.dimension, s.direction, s.weight) for s in model.indicators} == listed
    assert model.dimensions == tuple(raw["dimensions"])
    # The stages the pool and credit policies know, each weighing every dimension, sum 1.
    assert model.stages == STAGES
    for stage, weights in model.stage_weights.items():
        assert weights == {d: float(w) for d, w in raw["stage_weights"][stage].items()}
        assert set(weights) == set(model.dimensions)
        assert math.isclose(sum(weights.values()), 1.0)
    # A higher debt ratio is worse.
    assert model.indicator("debt_ratio").direction == "lower"


def test_every_versioned_yaml_in_scoring_models_is_locked() -> None:
    """Any model file here (scoring, pool, credit policy) must match its locked version."""
    files = sorted(MODELS.glob("*.yaml"))
    assert DEFAULT_MODEL in files and SCORING_V1 in files
    for path in files:
        load_versioned_yaml(path)


def test_changed_value_with_unchanged_version_is_refused(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    data = _data(path)
    data["patent_quality"]["cohort_min_size"] += 1
    _write(path, data)
    version = data["version"]
    with pytest.raises(VersionLockError, match=f"content changed but `version: {version}` did not"):
        load_scoring_model(path, lock_path)


def test_comment_and_layout_changes_are_not_a_new_model(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "# reviewed by the model committee\n" + text.replace("\n\n", "\n"), encoding="utf-8"
    )
    assert load_scoring_model(path, lock_path).version == load_scoring_model(SCORING_V1).version


def test_new_version_must_be_locked_then_loads(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    data = _data(path)
    old_version, old_margin = data["version"], float(data["reasons"]["well_margin"])
    new_version = f"{old_version}_candidate"
    assert new_version not in read_lock(lock_path)
    data["version"] = new_version
    data["reasons"]["well_margin"] = old_margin - 5
    _write(path, data)
    with pytest.raises(VersionLockError, match=r"not in versions\.lock"):
        load_scoring_model(path, lock_path)
    entry = lock(path, lock_path)
    assert entry.version == new_version
    model = load_scoring_model(path, lock_path)
    assert (model.version, model.well_margin) == (new_version, old_margin - 5)
    assert set(read_lock(lock_path)) >= {old_version, new_version}


def test_lock_refuses_to_repoint_a_version(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    data = _data(path)
    data["reasons"]["well_margin"] += 1
    _write(path, data)
    with pytest.raises(VersionLockError, match="already locked with other content"):
        lock(path, lock_path)


def test_lock_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "versions.lock"
    bad.write_text("scoring_v1 only-two-fields\n", encoding="utf-8")
    with pytest.raises(VersionLockError, match="expected '<version> <sha256> <file>'"):
        read_lock(bad)
    unversioned = tmp_path / "x.yaml"
    unversioned.write_text("weights: {}\n", encoding="utf-8")
    with pytest.raises(VersionLockError, match="needs a `version:`"):
        load_versioned_yaml(unversioned, bad)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["stage_weights"]["seed"].update(innovation=0.5), "sum to 1"),
        (
            lambda d: d["dimensions"]["innovation"]["indicators"].update(
                magic={"direction": "higher", "weight": 1}
            ),
            "unknown indicator",
        ),
        (
            lambda d: d["dimensions"]["evolution"]["indicators"]["rd_growth"].update(
                direction="up"
            ),
            "direction",
        ),
        (
            lambda d: d["dimensions"]["evolution"]["indicators"]["rd_growth"].update(weight=0),
            "positive",
        ),
        (
            lambda d: d["life_stages"].append({"stage": "unicorn", "any_of": [{"age_lte": 1}]}),
            "no stage_weights",
        ),
        (lambda d: d["life_stages"][0].update(any_of=[{"employees_lt": 5}]), "conditions use"),
        (lambda d: d["patent_quality"].update(normalization_quantile=1.5), r"in \(0, 1\)"),
    ],
)
def test_inconsistent_models_are_refused(edit: Any, message: str) -> None:
    data = _data()
    edit(data)
    with pytest.raises(ScoringModelError, match=message):
        model_from_dict(data, version="test", sha256="0", path=SCORING_V1)
