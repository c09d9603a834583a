"""Versioned scoring YAML: the lock refuses changed content under an unchanged version."""

from __future__ import annotations

import copy
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
from scoring_models.versioning import (
    LOCK_FILE,
    VersionLockError,
    load_versioned_yaml,
    lock,
    read_lock,
)

MODELS = Path(DEFAULT_MODEL).parent


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the scoring YAML and the lock, safe to edit."""
    target = tmp_path / DEFAULT_MODEL.name
    shutil.copy(DEFAULT_MODEL, target)
    lock_copy = tmp_path / "versions.lock"
    shutil.copy(LOCK_FILE, lock_copy)
    return target, lock_copy


def test_packaged_model_loads_against_the_lock() -> None:
    model = load_scoring_model()
    assert model.version == "scoring_v1"
    assert len(model.indicators) == 23
    assert model.stages == ("seed", "startup", "growth", "mature")
    assert model.stage_weights["growth"] == {
        "innovation": 0.30,
        "competitiveness": 0.25,
        "evolution": 0.25,
        "influence": 0.20,
    }
    assert model.indicator("debt_ratio").direction == "lower"


def test_every_versioned_yaml_in_scoring_models_is_locked() -> None:
    """Any model file here (scoring, pool, credit policy) must match its locked version."""
    files = sorted(MODELS.glob("*.yaml"))
    assert DEFAULT_MODEL in files
    for path in files:
        load_versioned_yaml(path)


def test_changed_value_with_unchanged_version_is_refused(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("cohort_min_size: 30", "cohort_min_size: 31"), encoding="utf-8")
    with pytest.raises(VersionLockError, match="content changed but `version: scoring_v1` did not"):
        load_scoring_model(path, lock_path)


def test_comment_and_layout_changes_are_not_a_new_model(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    text = path.read_text(encoding="utf-8")
    path.write_text(
        "# reviewed by the model committee\n" + text.replace("\n\n", "\n"), encoding="utf-8"
    )
    assert load_scoring_model(path, lock_path).version == "scoring_v1"


def test_new_version_must_be_locked_then_loads(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("version: scoring_v1", "version: scoring_v2").replace(
            "well_margin: 25", "well_margin: 20"
        ),
        encoding="utf-8",
    )
    with pytest.raises(VersionLockError, match=r"not in versions\.lock"):
        load_scoring_model(path, lock_path)
    entry = lock(path, lock_path)
    assert entry.version == "scoring_v2"
    model = load_scoring_model(path, lock_path)
    assert (model.version, model.well_margin) == ("scoring_v2", 20.0)
    assert set(read_lock(lock_path)) >= {"scoring_v1", "scoring_v2"}


def test_lock_refuses_to_repoint_a_version(workspace: tuple[Path, Path]) -> None:
    path, lock_path = workspace
    path.write_text(
        path.read_text(encoding="utf-8").replace("well_margin: 25", "well_margin: 5"),
        encoding="utf-8",
    )
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


def _data() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(DEFAULT_MODEL.read_text(encoding="utf-8")))


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
        model_from_dict(data, version="test", sha256="0", path=DEFAULT_MODEL)
