"""An analyst's open read-only DuckDB session never breaks a run, nor sees a half-written table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from capscore.storage.paths import DataRoot
from tests.e2e.conftest import copy_landing_up_to, landing_dates

pytestmark = pytest.mark.e2e

QUERIES = (
    "SELECT count(*), count(DISTINCT as_of_date) FROM scoring.enterprise_score",
    "SELECT count(*) FROM pool.cultivation_pool WHERE in_pool",
    "SELECT sum(limit_wan) FROM credit.credit_limit",
    "SELECT count(*) FROM core.patent",
)


def test_open_analyst_session_during_a_run(
    clean_sample: DataRoot, tmp_path: Path, run_cli: Callable[..., int]
) -> None:
    first, second = landing_dates(clean_sample)[:2]
    root = copy_landing_up_to(clean_sample, tmp_path / "root", date.max)
    assert run_cli(["run", "--data-root", str(root.root), "--as-of", first.isoformat()]) == 0

    analyst = duckdb.connect(str(root.warehouse), read_only=True)
    errors: list[BaseException] = []
    seen: list[tuple[object, ...]] = []
    stop = threading.Event()

    def query_in_a_loop() -> None:
        while not stop.is_set():
            for sql in QUERIES:
                try:
                    row = analyst.execute(sql).fetchall()[0]
                except BaseException as exc:  # the assertion below reports any error
                    errors.append(exc)
                    return
                assert row is not None
                seen.append(row)

    worker = threading.Thread(target=query_in_a_loop, daemon=True)
    worker.start()
    try:
        assert run_cli(["run", "--data-root", str(root.root), "--as-of", second.isoformat()]) == 0
    finally:
        stop.set()
        worker.join(timeout=60)
        analyst.close()

    assert not errors, f"the analyst session saw errors during the run: {errors[:3]}"
    assert len(seen) > len(QUERIES), "the analyst loop did not run during the pipeline run"

    fresh = duckdb.connect(str(root.warehouse), read_only=True)
    try:
        dates = fresh.execute("SELECT max(as_of_date) FROM scoring.enterprise_score").fetchall()[0]
        assert dates is not None and dates[0] == second
    finally:
        fresh.close()
