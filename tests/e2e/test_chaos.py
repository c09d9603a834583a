"""Chaos: kill -9 a backfill at random points, rerun, and get exactly a clean run's outputs;
an analyst looping during a run never sees two runs at once and cannot write or escape."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from capscore.storage import lake, tables
from capscore.storage.paths import DataRoot
from capscore.warehouse.query import QueryRefused, analyst_connection
from tests.e2e.conftest import copy_landing_up_to, landing_dates

pytestmark = pytest.mark.e2e

KILLS = 3
# Columns that record when, not what: they differ between any two runs.
WHEN = {"loaded_at"}


def _backfill(root: DataRoot) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DAGSTER_HOME": str(root.dagster_home), "GX_ANALYTICS_ENABLED": "false"}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "backfill", "--data-root", str(root.root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _outputs(root: DataRoot) -> dict[str, pl.DataFrame]:
    found = {}
    for table in tables.LAKE_TABLES:
        frame = lake.scan(root, table).collect()
        frame = frame.drop([c for c in frame.columns if c in WHEN])
        found[table.relation] = frame.sort(frame.columns, nulls_last=True)
    for path in sorted((root.lake / "credit" / "credit_limit").rglob("*.parquet")):
        found[str(path.relative_to(root.root))] = pl.read_parquet(path)
    return found


def test_kill_9_at_random_points_then_rerun_equals_a_clean_run(
    clean_sample: DataRoot, tmp_path: Path
) -> None:
    # Four landing days (five dates built): every kill lands within the first 14 s, so
    # more days would only lengthen the clean runs (the suite's time).
    last = landing_dates(clean_sample)[3]
    clean = copy_landing_up_to(clean_sample, tmp_path / "clean", last)
    assert _backfill(clean).wait() == 0
    expected = _outputs(clean)

    chaos = copy_landing_up_to(clean_sample, tmp_path / "chaos", last)
    pick = random.Random(20261204)
    killed = 0
    for _ in range(KILLS):
        proc = _backfill(chaos)
        time.sleep(pick.uniform(2.0, 14.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed == KILLS, "a backfill ended before its kill: the test did not test"
    assert _backfill(chaos).wait() == 0
    got = _outputs(chaos)
    assert got.keys() == expected.keys()
    differing = []
    for name, frame in expected.items():
        try:
            assert_frame_equal(got[name], frame)
        except AssertionError as exc:
            differing.append(f"{name}: {exc}")
    assert differing == []
    leftovers = [p for p in chaos.root.rglob(".*.tmp") if "landing" not in p.parts]
    assert leftovers == []


CONSISTENT = """
WITH d AS (SELECT max(as_of_date) AS day FROM scoring.patent_quality)
SELECT
    (SELECT count(*) FROM core.patent_asof, d WHERE as_of_date = d.day),
    (SELECT count(*) FROM scoring.patent_quality, d WHERE as_of_date = d.day),
    (SELECT count(DISTINCT credit_code) FROM credit.credit_limit, d WHERE as_of_date = d.day),
    (SELECT count(*) FROM pool.cultivation_pool, d WHERE as_of_date = d.day)
"""


def test_a_looping_analyst_sees_one_run_at_a_time_and_cannot_break_anything(
    clean_sample: DataRoot, tmp_path: Path
) -> None:
    # Four landing days are run enough for the analyst to loop through (the suite's time).
    dates = landing_dates(clean_sample)[:4]
    root = copy_landing_up_to(clean_sample, tmp_path / "root", dates[-2])
    assert _backfill(root).wait() == 0
    # A drop lands late: the next run rebuilds every date while the analyst loops.
    for day_dir in clean_sample.landing.glob(f"*/{dates[-1].isoformat()}"):
        shutil.copytree(day_dir, root.landing / day_dir.parent.name / day_dir.name)
    mixed: list[tuple[object, ...]] = []
    refused: list[str] = []
    answers = 0
    stop = threading.Event()

    def analyst() -> None:
        nonlocal answers
        export = next((root.lake / "credit" / "credit_limit").rglob("*.parquet"))
        while not stop.is_set():
            with analyst_connection(root) as con:
                row = con.execute(CONSISTENT)[0]
                answers += 1
                if row[0] != row[1] or row[2] != row[3]:
                    mixed.append(row)
                for sql in (
                    f"COPY (SELECT 1) TO '{export}'",
                    "SELECT * FROM read_csv('/etc/passwd')",
                ):
                    try:
                        con.execute(sql)
                    except (QueryRefused, duckdb.Error) as exc:
                        refused.append(type(exc).__name__)
                    else:
                        refused.append("ALLOWED")

    worker = threading.Thread(target=analyst, daemon=True)
    worker.start()
    try:
        assert _backfill(root).wait() == 0
    finally:
        stop.set()
        worker.join(timeout=120)
    assert answers > 3, "the analyst loop did not run during the pipeline run"
    assert mixed == [], f"answers mixing two runs: {mixed[:3]}"
    assert "ALLOWED" not in refused
