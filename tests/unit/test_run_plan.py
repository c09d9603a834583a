"""Run planning: what to ingest and which as-of dates to rebuild."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.run_plan import contiguous_ranges, plan_run

D = date.fromisoformat


def _land(root: DataRoot, source: str, day: str, name: str) -> None:
    folder = root.landing_partition(source, day)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("x\n", encoding="utf-8")


def _audit(root: DataRoot, source: str, day: str, files: list[str]) -> None:
    frame = pl.DataFrame(
        {
            "file": files,
            "rows_read": [0] * len(files),
            "loaded_at": [datetime.now(UTC)] * len(files),
        }
    )
    write_partition(root, table_named("quality.load_audit"), frame, source, day)


def _built(root: DataRoot, day: str) -> None:
    write_partition(root, table_named("credit.credit_limit"), pl.DataFrame({"x": [1]}), day)


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


def test_reloading_a_drop_rebuilds_the_dates_it_can_change(tmp_path: Path) -> None:
    root = DataRoot.resolve(tmp_path)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        _built(root, day)
    _land(root, "patents", "2026-11-02", "late.csv")
    plan = plan_run(root, D("2026-11-03"), D("2026-11-03"))
    assert plan.ingest_dates == [D("2026-11-02")]
    assert plan.as_of_ranges == [(D("2026-11-02"), D("2026-11-03"))]
