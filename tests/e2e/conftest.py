"""End-to-end fixtures: generated data in a temp data root, the real asset graph run on it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from capscore.storage.paths import DataRoot
from pipelines.cli import main as capscore

ENTERPRISES = 300
SEED = 11


def generate(root: Path, *, dirty: bool, seed: int = SEED) -> DataRoot:
    args = ["generate", "--data-root", str(root), "--enterprises", str(ENTERPRISES)]
    args += ["--seed", str(seed)] + (["--dirty"] if dirty else [])
    assert capscore(args) == 0
    return DataRoot.resolve(root)


def landing_dates(root: DataRoot) -> list[date]:
    from pipelines.run_plan import landing_files

    return sorted(landing_files(root))


def copy_landing_up_to(source: DataRoot, target: Path, last: date) -> DataRoot:
    """A new data root holding only the drops that landed on or before `last`."""
    for day_dir in source.landing.glob("*/*"):
        if date.fromisoformat(day_dir.name) <= last:
            dest = target / "landing" / day_dir.parent.name / day_dir.name
            shutil.copytree(day_dir, dest)
    return DataRoot.resolve(target)


@pytest.fixture(scope="session")
def dirty_root(tmp_path_factory: pytest.TempPathFactory) -> DataRoot:
    """A dirty sample, fully processed by `capscore backfill` over every landing date."""
    root = generate(tmp_path_factory.mktemp("dirty"), dirty=True)
    assert capscore(["backfill", "--data-root", str(root.root)]) == 0
    return root


@pytest.fixture(scope="session")
def clean_sample(tmp_path_factory: pytest.TempPathFactory) -> DataRoot:
    """Clean generated landing data only (tests copy it and run what they need)."""
    return generate(tmp_path_factory.mktemp("clean"), dirty=False)


@pytest.fixture
def run_cli() -> Callable[..., int]:
    return capscore
