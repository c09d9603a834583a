"""Retention: daily for the recent window, month-ends before; vacuum spares what is pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from capscore.storage import tables
from capscore.storage.lake import partitions, snapshot, write_partition
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import latest_snapshot, publish_warehouse
from capscore.warehouse.query import run_query
from capscore.warehouse.retention import RetentionPolicy, apply_retention, kept_dates
from pipelines.cli import main as capscore


def test_kept_dates_are_the_recent_days_and_earlier_month_ends() -> None:
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(200)]
    kept = kept_dates(days, daily_days=30)
    assert all(d in kept for d in days[-30:])
    earlier = sorted(d for d in kept if d < days[-30])
    assert earlier == [date(2026, m, [31, 28, 31, 30, 31][m - 1]) for m in range(1, 6)]
    assert kept_dates([], 30) == set()


def _forty_published_dates(tmp_path: Path) -> tuple[DataRoot, list[date]]:
    root = DataRoot.resolve(tmp_path)
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(40)]
    for day in days:
        write_partition(root, tables.ENTERPRISE, pl.DataFrame({"credit_code": ["C"]}), day)
    publish_warehouse(root)
    return root, days


def test_retention_deletes_old_dates_and_vacuum_keeps_the_published_files(tmp_path: Path) -> None:
    root, days = _forty_published_dates(tmp_path)
    pinned = snapshot(root, tables.ENTERPRISE)
    assert pinned is not None
    summary = apply_retention(
        root, RetentionPolicy(daily_days=10, published_days=1), now=datetime.now(UTC)
    )
    left = partitions(root, tables.ENTERPRISE)
    assert left == sorted({"2026-09-30", *[d.isoformat() for d in days[-10:]]})
    assert summary.deleted_dates["core.enterprise"][0] == "2026-09-01"
    # The published warehouse still reads every file it pinned, deleted dates included.
    assert all(Path(f).exists() for f in pinned[1])
    con = duckdb.connect(str(root.warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM core.enterprise_asof").fetchall() == [(40,)]
    finally:
        con.close()


def test_the_policy_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSCORE_RETAIN_DAILY_DAYS", "7")
    assert RetentionPolicy.from_env().daily_days == 7
    monkeypatch.setenv("CAPSCORE_RETAIN_DAILY_DAYS", "soon")
    with pytest.raises(ValueError, match="CAPSCORE_RETAIN_DAILY_DAYS"):
        RetentionPolicy.from_env()


def test_capscore_retain_publishes_without_the_deleted_dates(tmp_path: Path) -> None:
    root, _ = _forty_published_dates(tmp_path)
    before = latest_snapshot(root)
    assert before is not None
    assert capscore(["retain", "--data-root", str(root.root), "--daily-days", "10"]) == 0
    # Analysts see what the lake keeps; the earlier snapshot still reads every date.
    assert run_query(root, "SELECT count(*) AS n FROM core.enterprise_asof").item() == 11
    con = duckdb.connect(str(before), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM core.enterprise_asof").fetchall() == [(40,)]
    finally:
        con.close()


@pytest.mark.parametrize("days", ["0", "-5", "ten"])
def test_capscore_retain_refuses_a_window_of_no_days(
    tmp_path: Path, days: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # 0 read as "the default", and -5 as a window ending after the latest date (every
    # date but month-ends deleted): neither is what was asked; nothing may be deleted.
    root, _ = _forty_published_dates(tmp_path)
    for option in ("--daily-days", "--published-days"):
        with pytest.raises(SystemExit) as stopped:
            capscore(["retain", "--data-root", str(root.root), option, days])
        assert stopped.value.code == 2
        assert "whole number of days >= 1" in capsys.readouterr().err
    assert run_query(root, "SELECT count(*) AS n FROM core.enterprise_asof").item() == 40


@pytest.mark.parametrize(
    "variable", ["CAPSCORE_RETAIN_DAILY_DAYS", "CAPSCORE_RETAIN_PUBLISHED_DAYS"]
)
def test_capscore_retain_names_a_bad_environment_window_in_one_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    # CAPSCORE_RETAIN_DAILY_DAYS=0 made `capscore retain` print a ValueError traceback
    # (exit 1); the flags say the same in one line, exit 2. Nothing may be deleted.
    root, _ = _forty_published_dates(tmp_path)
    monkeypatch.setenv(variable, "0")
    assert capscore(["retain", "--data-root", str(root.root)]) == 2
    err = capsys.readouterr().err
    assert err == f"capscore retain: {variable}='0': expected a whole number of days >= 1\n"
    assert run_query(root, "SELECT count(*) AS n FROM core.enterprise_asof").item() == 40
