"""End-to-end fixtures: generated data in a temp data root, the real asset graph run on it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
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


# Filers who wrote a person's name where the firm's goes (sources.md: rd_records
# `enterprise_name`), planted in the dirty sample's last R&D drop; and a firm called
# like a person, which is no person.
PERSON_FILERS = ("王小明", "Li Ming")
FIRM_CALLED_LIKE_A_PERSON = "李建国科技有限公司"
PLANTED_FILINGS = "rd_filings_filers.csv"
PLANTED_YEAR = 2016  # a year no generated filing has: the planted one is the latest


def registered_code(root: DataRoot) -> str:
    """A registry firm's credit code, as a filing of the sample files it."""
    truth = pl.read_csv(root.truth / "rd_links.csv", infer_schema=False)
    return str(truth.filter(pl.col("code_noise") == "ok")["credit_code"].drop_nulls()[0])


def write_person_filings(drop: Path, code: str, *, copy: bool) -> Path:
    """Filings under a person's name in the R&D drop folder `drop`: one with the firm
    `code` (linked by it), with `copy` that one again (a duplicate key: the second is
    quarantined), each person without a code (resolved by name), and a firm called
    like a person."""
    day = drop.name
    filings = [
        (code, PERSON_FILERS[0], 100.0),
        *([(code, PERSON_FILERS[0], 101.0)] if copy else []),
        *[(None, name, 80.0) for name in PERSON_FILERS],
        (None, FIRM_CALLED_LIKE_A_PERSON, 90.0),
    ]
    frame = pl.DataFrame(
        [
            {"credit_code": c, "enterprise_name": n, "fiscal_year": PLANTED_YEAR, "revenue": r}
            for c, n, r in filings
        ]
    ).with_columns((pl.col("revenue") / 20).alias("rd_expense"), pl.lit(day).alias("reported_date"))
    path = drop / PLANTED_FILINGS
    frame.select(
        "credit_code", "enterprise_name", "fiscal_year", "revenue", "rd_expense", "reported_date"
    ).write_csv(path)
    return path


def plant_person_filings(root: DataRoot) -> Path:
    """write_person_filings in the last R&D drop, the copy recorded in truth/bad_rows.csv
    as the generator records the bad rows it injects."""
    drop = sorted((root.landing / "rd_records").iterdir())[-1]
    path = write_person_filings(drop, registered_code(root), copy=True)
    duplicate = pl.DataFrame(
        {
            "source": ["rd_records"],
            "partition_date": [drop.name],
            "file": [path.relative_to(root.root).as_posix()],
            "row_number": ["2"],
            "column": ["credit_code"],
            "rule": ["duplicate_key"],
            "detail": ["a filing under a person's name sent twice"],
        }
    )
    bad_rows = root.truth / "bad_rows.csv"
    pl.concat([pl.read_csv(bad_rows, infer_schema=False), duplicate]).write_csv(bad_rows)
    return path


@pytest.fixture(scope="session")
def dirty_root(tmp_path_factory: pytest.TempPathFactory) -> DataRoot:
    """A dirty sample, filings under a person's name planted (plant_person_filings),
    fully processed by `capscore backfill` over every landing date."""
    root = generate(tmp_path_factory.mktemp("dirty"), dirty=True)
    plant_person_filings(root)
    assert capscore(["backfill", "--data-root", str(root.root)]) == 0
    return root


@pytest.fixture(scope="session")
def clean_sample(tmp_path_factory: pytest.TempPathFactory) -> DataRoot:
    """Clean generated landing data only (tests copy it and run what they need)."""
    return generate(tmp_path_factory.mktemp("clean"), dirty=False)


@pytest.fixture
def run_cli() -> Callable[..., int]:
    return capscore
