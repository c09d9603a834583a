"""Run planning: what to ingest and which as-of dates to rebuild."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from assets.freshness import AS_OF_TABLES, as_of_fingerprint
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.cli import main as capscore
from pipelines.run_plan import contiguous_ranges, landing_files, plan_run

D = date.fromisoformat


def _land(root: DataRoot, source: str, day: str, name: str, text: str = "x\n") -> Path:
    folder = root.landing_partition(source, day)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _audit(
    root: DataRoot,
    source: str,
    day: str,
    files: list[str],
    hashes: list[str | None] | None = None,
    loaded_at: datetime | None = None,
) -> None:
    frame = pl.DataFrame(
        {
            "file": files,
            "rows_read": [0] * len(files),
            "loaded_at": [loaded_at or datetime.now(UTC)] * len(files),
            "sha256": hashes if hashes is not None else [_sha("x\n")] * len(files),
        },
        schema_overrides={"sha256": pl.String},
    )
    write_partition(root, table_named("quality.load_audit"), frame, source, day)


def _built(root: DataRoot, day: str) -> None:
    """Every as-of table of `day` built from the inputs the root has now."""
    stamp = as_of_fingerprint(root, D(day))
    for table in AS_OF_TABLES:
        write_partition(root, table, pl.DataFrame({"x": [1]}), day, fingerprint=stamp)


def test_contiguous_ranges() -> None:
    days = [D("2026-11-03"), D("2026-11-01"), D("2026-11-02"), D("2026-11-05")]
    assert contiguous_ranges(days) == [
        (D("2026-11-01"), D("2026-11-03")),
        (D("2026-11-05"), D("2026-11-05")),
    ]


def test_fresh_root_ingests_every_drop_up_to_the_date(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    _land(root, "registry", "2026-11-01", "a.csv")
    _land(root, "patents", "2026-11-02", "b.csv")
    _land(root, "patents", "2026-11-04", "c.csv")
    plan = plan_run(root, D("2026-11-02"), D("2026-11-02"))
    assert plan.ingest_dates == [D("2026-11-01"), D("2026-11-02")]
    assert plan.as_of_ranges == [(D("2026-11-02"), D("2026-11-02"))]


def test_loaded_drops_are_not_reloaded_but_new_files_are(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    _land(root, "registry", "2026-11-01", "a.csv")
    _audit(root, "registry", "2026-11-01", ["landing/registry/2026-11-01/a.csv"])
    _built(root, "2026-11-01")
    assert plan_run(root, D("2026-11-01"), D("2026-11-01")).ingest_dates == []
    _land(root, "registry", "2026-11-01", "late.csv")
    assert plan_run(root, D("2026-11-01"), D("2026-11-01")).ingest_dates == [D("2026-11-01")]


def test_full_reloads_every_drop_and_rebuilds_every_built_date(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    for day in ("2026-11-01", "2026-11-03"):
        _land(root, "patents", day, "a.csv")
        _audit(root, "patents", day, [f"landing/patents/{day}/a.csv"])
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"):
        _built(root, day)
    fresh = plan_run(root, D("2026-11-03"), D("2026-11-03"))
    assert fresh.ingest_dates == [] and fresh.as_of_ranges == [(D("2026-11-03"), D("2026-11-03"))]
    full = plan_run(root, D("2026-11-03"), D("2026-11-03"), full=True)
    assert full.ingest_dates == [D("2026-11-01"), D("2026-11-03")]
    # Every date built up to the end date; 11-04 is after it.
    assert full.as_of_ranges == [(D("2026-11-01"), D("2026-11-03"))]


def test_days_that_landed_since_the_last_built_date_are_built_too(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    _built(root, "2026-11-01")
    for day in ("2026-11-02", "2026-11-03"):
        _land(root, "patents", day, "a.csv")
    plan = plan_run(root, D("2026-11-03"), D("2026-11-03"))
    assert plan.as_of_ranges == [(D("2026-11-02"), D("2026-11-03"))]


def test_reloading_a_drop_rebuilds_the_dates_it_can_change(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        _built(root, day)
    _land(root, "patents", "2026-11-02", "late.csv")
    plan = plan_run(root, D("2026-11-03"), D("2026-11-03"))
    assert plan.ingest_dates == [D("2026-11-02")]
    assert plan.as_of_ranges == [(D("2026-11-02"), D("2026-11-03"))]


def test_a_landing_date_whose_folders_were_removed_is_loaded_again_as_empty(
    tmp_path: Path,
) -> None:
    # A drop put in the wrong date folder, loaded, then moved away: the date is an empty
    # drop now (sources.md), as the landing sensor takes it; its rows must not stay.
    root = DataRoot.resolve(tmp_path)
    path = _land(root, "patents", "2026-11-02", "misplaced.csv")
    _audit(root, "patents", "2026-11-02", [root.relative(path)])
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        _built(root, day)
    _land(root, "patents", "2026-11-03", "a.csv")
    _audit(root, "patents", "2026-11-03", ["landing/patents/2026-11-03/a.csv"])
    _built(root, "2026-11-03")
    path.unlink()
    path.parent.rmdir()
    plan = plan_run(root, D("2026-11-03"), D("2026-11-03"))
    assert plan.ingest_dates == [D("2026-11-02")]
    assert plan.as_of_ranges == [(D("2026-11-02"), D("2026-11-03"))]
    full = plan_run(root, D("2026-11-03"), D("2026-11-03"), full=True)
    assert full.ingest_dates == [D("2026-11-02"), D("2026-11-03")]


def test_status_names_the_built_dates_a_drop_waiting_to_load_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A correction re-sent for an old landing date: until it is loaded, no fingerprint
    # has moved, yet every built date from that landing date on is out of date.
    root = DataRoot.resolve(tmp_path)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        _land(root, "patents", day, "a.csv")
        _audit(root, "patents", day, [f"landing/patents/{day}/a.csv"])
        _built(root, day)
    _land(root, "patents", "2026-11-02", "correction.csv")
    assert capscore(["status", "--data-root", str(root.root)]) == 1
    out = capsys.readouterr().out
    assert "landing dates to load: 2026-11-02" in out
    assert "as-of dates the load rebuilds: 2026-11-02 .. 2026-11-03" in out


def test_status_sees_the_latest_landing_date_removed_after_it_was_loaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The last landing folder withdrawn: the dates the CLI plans up to are those loaded
    # too, or the withdrawn rows would stay in the latest built date unnoticed.
    root = DataRoot.resolve(tmp_path)
    for day in ("2026-11-01", "2026-11-02"):
        _land(root, "patents", day, "a.csv")
        _audit(root, "patents", day, [f"landing/patents/{day}/a.csv"])
        _built(root, day)
    folder = root.landing_partition("patents", "2026-11-02")
    (folder / "a.csv").unlink()
    folder.rmdir()
    assert capscore(["status", "--data-root", str(root.root)]) == 1
    out = capsys.readouterr().out
    assert "landing dates to load: 2026-11-02" in out


def test_a_file_rewritten_in_place_is_loaded_again(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    path = _land(root, "patents", "2026-11-01", "a.jsonl", '{"a": 1}\n')
    _audit(root, "patents", "2026-11-01", [root.relative(path)], [_sha('{"a": 1}\n')])
    for day in ("2026-11-01", "2026-11-02"):
        _built(root, day)
    assert plan_run(root, D("2026-11-02"), D("2026-11-02")).ingest_dates == []
    # Same name, new bytes, the old mtime kept (as a copy that preserves times does).
    stamp = path.stat()
    path.write_text('{"a": 2}\n', encoding="utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    plan = plan_run(root, D("2026-11-02"), D("2026-11-02"))
    assert plan.ingest_dates == [D("2026-11-01")]
    assert plan.as_of_ranges == [(D("2026-11-01"), D("2026-11-02"))]


def test_an_audit_from_before_hashes_is_trusted_for_files_untouched_since(
    tmp_path: Path,
) -> None:
    root = DataRoot.resolve(tmp_path)
    path = _land(root, "registry", "2026-11-01", "a.csv")
    later = datetime.now(UTC) + timedelta(minutes=10)
    _audit(root, "registry", "2026-11-01", [root.relative(path)], [None], loaded_at=later)
    assert plan_run(root, D("2026-11-01"), D("2026-11-01")).ingest_dates == []
    earlier = datetime.now(UTC) - timedelta(minutes=10)
    _audit(root, "registry", "2026-11-01", [root.relative(path)], [None], loaded_at=earlier)
    assert plan_run(root, D("2026-11-01"), D("2026-11-01")).ingest_dates == [D("2026-11-01")]


def test_temporaries_are_not_part_of_a_drop(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    a = _land(root, "patents", "2026-11-01", "a.csv")
    for name in (".a.csv.swp", "~lock.csv", "b.csv.part", "c.tmp", "d.partial", "e.crdownload"):
        _land(root, "patents", "2026-11-01", name)
    _land(root, "patents", "2026-11-01", "f.csv.filepart")
    assert landing_files(root) == {D("2026-11-01"): {root.relative(a)}}
    _audit(root, "patents", "2026-11-01", [root.relative(a)])
    assert plan_run(root, D("2026-11-01"), D("2026-11-01")).ingest_dates == []


def test_bad_date_folders_are_recorded_and_the_rest_is_planned(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    _land(root, "patents", "2026-11-01", "a.csv")
    _land(root, "patents", "2026-13-45", "a.csv")
    _land(root, "registry", "20261121", "r.csv")
    _land(root, "registry", "2019-12-31", "r.csv")  # before the calendar starts
    assert set(landing_files(root)) == {D("2026-11-01")}
    plan = plan_run(root, D("2026-11-01"), D("2026-11-01"))
    assert plan.ingest_dates == [D("2026-11-01")]
    assert [r.path for r in plan.rejected] == [
        "landing/patents/2026-13-45",
        "landing/registry/2019-12-31",
        "landing/registry/20261121",
    ]
    audit = table_named("quality.load_audit")
    patents = read_partition(root, audit, "patents", None)
    assert patents is not None and patents["status"].to_list() == ["rejected"]
    assert patents["error"][0].startswith("landing/patents/2026-13-45: '2026-13-45' is not a real")
    registry = read_partition(root, audit, "registry", None)
    assert registry is not None and registry["file"].to_list() == [
        "landing/registry/2019-12-31",
        "landing/registry/20261121",
    ]


def test_a_symlink_out_of_the_data_root_is_refused_not_followed(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path / "root")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text("x\n", encoding="utf-8")
    _land(root, "patents", "2026-11-01", "a.csv")
    (root.landing_partition("patents", "2026-11-01") / "link.csv").symlink_to(
        outside / "secret.csv"
    )
    root.landing_source("registry").mkdir(parents=True)
    (root.landing_source("registry") / "2026-11-02").symlink_to(outside, target_is_directory=True)
    assert landing_files(root) == {
        D("2026-11-01"): {
            "landing/patents/2026-11-01/a.csv",
            "landing/patents/2026-11-01/link.csv",
        },
        D("2026-11-02"): {"landing/registry/2026-11-02"},
    }
    plan = plan_run(root, D("2026-11-02"), D("2026-11-02"))
    assert plan.ingest_dates == [D("2026-11-01"), D("2026-11-02")]
