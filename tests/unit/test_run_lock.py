"""One run at a time per data root; a killed holder never leaves the root locked or littered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import CapscoreResource
from capscore.storage.paths import DataRoot
from capscore.storage.run_lock import RootBusy, holder, root_lock, sweep_temporary_files
from pipelines.runner import fail_abandoned_runs
from pipelines.sensors import failed_on_a_busy_root

HOLD = """
import sys, time
from capscore.storage.paths import DataRoot
from capscore.storage.run_lock import root_lock
with root_lock(DataRoot.resolve(sys.argv[1]), "a test holder"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def _hold_in_another_process(root: DataRoot) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root.root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_with_the_holders_name(root: DataRoot) -> None:
    proc = _hold_in_another_process(root)
    try:
        assert holder(root) is not None and "a test holder" in str(holder(root))
        with (
            pytest.raises(RootBusy, match=rf"a test holder \(pid {proc.pid}"),
            root_lock(root, "me"),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_kill_9_releases_the_lock(root: DataRoot) -> None:
    proc = _hold_in_another_process(root)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert holder(root) is None
    with root_lock(root, "next run") as fresh:
        assert fresh


def test_the_lock_is_reentrant_within_a_process(root: DataRoot) -> None:
    with root_lock(root, "cli") as fresh, root_lock(root, "dagster run") as again:
        assert fresh and not again
        assert holder(root) is not None
    assert holder(root) is None


def test_taking_the_lock_fresh_sweeps_what_a_killed_writer_left(root: DataRoot) -> None:
    leftover = root.lake / "core" / "x" / ".part-0.parquet.0a1b.tmp"
    kept = root.cache / "er_registry" / ".0f-1e-names.parquet.2c3d.tmp"
    recent = root.reports / ".pool_report.html.ffff.tmp"
    landing = root.landing / "patents" / "2026-11-20" / ".upload.csv.1.tmp"
    for path in (leftover, kept, recent, landing):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half", encoding="utf-8")
    old = time.time() - 3600
    for path in (leftover, kept, landing):
        os.utime(path, (old, old))
    assert sorted(sweep_temporary_files(root)) == sorted([leftover, kept])
    assert recent.exists() and landing.exists()  # too young / not ours


def test_runs_left_started_by_a_dead_process_are_marked_failed() -> None:
    with dg.instance_for_test() as instance:
        instance.add_run(
            dg.DagsterRun(job_name="g", run_id="dead", status=dg.DagsterRunStatus.STARTED)
        )
        instance.add_run(
            dg.DagsterRun(job_name="g", run_id="done", status=dg.DagsterRunStatus.SUCCESS)
        )
        assert fail_abandoned_runs(instance) == ["dead"]
        run = instance.get_run_by_id("dead")
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE


def test_a_dagster_run_on_a_held_root_is_known_to_have_failed_on_it(root: DataRoot) -> None:
    # What the landing sensor reads to launch such a run again (pipelines/sensors.py).
    @dg.asset
    def needs_the_root(capscore: CapscoreResource) -> None:
        pass

    proc = _hold_in_another_process(root)
    try:
        with dg.instance_for_test() as instance:
            result = dg.materialize(
                [needs_the_root],
                resources={"capscore": CapscoreResource(data_root=str(root.root))},
                instance=instance,
                raise_on_error=False,
            )
            assert not result.success
            assert failed_on_a_busy_root(instance, result.run_id)
    finally:
        proc.kill()
        proc.wait()
