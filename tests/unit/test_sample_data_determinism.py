"""Same seed and arguments give the same bytes; --dirty only adds to the clean data."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from capscore.sample_data.generate import generate


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 150, seed=3, dirty=True)
    second = generate(tmp_path / "b", 150, seed=3, dirty=True)
    assert first["rows"] == second["rows"]
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", 150, seed=3)
    generate(tmp_path / "b", 150, seed=4)
    truth = "truth/applicant_links.csv"
    assert (tmp_path / "a" / truth).read_bytes() != (tmp_path / "b" / truth).read_bytes()


def test_dirty_adds_rows_without_changing_clean_truth(tmp_path: Path) -> None:
    clean = generate(tmp_path / "clean", 150, seed=9)
    dirty = generate(tmp_path / "dirty", 150, seed=9, dirty=True)
    links = "truth/applicant_links.csv"
    assert (tmp_path / "clean" / links).read_bytes() == (tmp_path / "dirty" / links).read_bytes()
    assert not (tmp_path / "clean" / "truth" / "bad_rows.csv").exists()
    bad = pl.read_csv(tmp_path / "dirty" / "truth" / "bad_rows.csv")
    row_level = bad.filter(pl.col("row_number").is_not_null()).group_by("source").len()
    for source, added in row_level.iter_rows():
        assert dirty["rows"][source] == clean["rows"][source] + added
    rd_clean = pl.read_csv(tmp_path / "clean" / "truth" / "rd_links.csv")
    rd_dirty = pl.read_csv(tmp_path / "dirty" / "truth" / "rd_links.csv")
    assert rd_clean.drop("row_number").equals(rd_dirty.drop("row_number"))


def test_regenerating_replaces_old_files(tmp_path: Path) -> None:
    generate(tmp_path, 150, seed=3, dirty=True)
    generate(tmp_path, 150, seed=3)
    assert not (tmp_path / "truth" / "bad_rows.csv").exists()
    assert not any(p.stat().st_size == 0 for p in (tmp_path / "landing").rglob("*.*"))


def test_tiny_samples_generate(tmp_path: Path) -> None:
    """Small seeds can leave a group of rows empty (e.g. no look-alike filer); that is fine."""
    summary = generate(tmp_path, 200, 7)
    assert summary["rows"]["registry"] >= 200
