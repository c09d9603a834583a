"""CLI step progress from Dagster's event stream (pipelines/progress.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pytest

from assets.common import KEPT_ROWS
from pipelines.progress import StepProgress, following, progress_logger
from pipelines.step_memory import resident_bytes


@dg.asset
def first() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 12, KEPT_ROWS: 9})


@dg.asset(deps=[first])
def second() -> None:
    raise RuntimeError("boom")


def _run(progress: StepProgress, tmp_path: Path) -> None:
    job = dg.Definitions(
        assets=[first, second],
        jobs=[dg.define_asset_job("both")],
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    ).resolve_job_def("both")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance, following(progress):
        job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}, "progress": {}}
            },
        )


def test_each_step_is_shown_as_it_starts_and_ends_with_rows(tmp_path: Path) -> None:
    lines: list[str] = []
    _run(StepProgress(lines.append), tmp_path)
    assert [line.split()[:2] for line in lines] == [
        ["first", "started"],
        ["first", "done"],
        ["second", "started"],
        ["second", "FAILED"],
    ]
    assert lines[1].endswith("1 partition(s), 12 rows (9 kept from the date before)")


def test_a_terminal_gets_a_live_line_that_is_cleared(tmp_path: Path) -> None:
    lines: list[str] = []
    stream = io.StringIO()
    _run(StepProgress(lines.append, live=True, stream=stream), tmp_path)
    assert len(lines) == 4
    assert stream.getvalue().endswith("\r\033[K")


def test_no_run_followed_means_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The UI's runs and the daemon's: the logger is quiet when nobody follows.
    job = dg.Definitions(
        assets=[first], loggers={"progress": progress_logger}, jobs=[dg.define_asset_job("one")]
    ).resolve_job_def("one")
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        result = job.execute_in_process(instance=instance, run_config={"loggers": {"progress": {}}})
    assert result.success
    assert capsys.readouterr().out == ""


DAYS = dg.DailyPartitionsDefinition(start_date="2026-11-01")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 5})


def _progress_of(
    tmp_path: Path, assets: list[Any], **run: Any
) -> tuple[list[str], dg.ExecuteInProcessResult]:
    """The progress lines of one in-process run of `assets` (and its result)."""
    lines: list[str] = []
    job = dg.Definitions(
        assets=assets, jobs=[dg.define_asset_job("job")], loggers={"progress": progress_logger}
    ).resolve_job_def("job")
    with (
        dg.instance_for_test(temp_dir=str(tmp_path)) as instance,
        following(StepProgress(lines.append)),
    ):
        result = job.execute_in_process(
            instance=instance, run_config={"loggers": {"progress": {}}}, **run
        )
    return lines, result


def test_a_single_run_over_several_partitions_counts_its_rows_once(tmp_path: Path) -> None:
    # Dagster repeats the run's one metadata on every partition it materialized.
    lines, result = _progress_of(
        tmp_path,
        [daily],
        tags={
            "dagster/asset_partition_range_start": "2026-11-01",
            "dagster/asset_partition_range_end": "2026-11-03",
        },
    )
    assert result.success
    assert lines[-1].endswith("3 partition(s), 5 rows"), lines


@dg.multi_asset(
    specs=[dg.AssetSpec("quality"), dg.AssetSpec("indicators")],
    partitions_def=DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def both_tables() -> Iterator[dg.MaterializeResult]:
    yield dg.MaterializeResult(asset_key="quality", metadata={"dagster/row_count": 7})
    yield dg.MaterializeResult(asset_key="indicators", metadata={"dagster/row_count": 40})


def test_a_step_writing_two_assets_counts_dates_once_and_names_each_assets_rows(
    tmp_path: Path,
) -> None:
    lines, result = _progress_of(tmp_path, [both_tables], partition_key="2026-11-02")
    assert result.success
    assert lines[-1].endswith("1 partition(s), indicators 40 rows, quality 7 rows"), lines


@dg.asset
def holds_half_a_gigabyte() -> None:
    block = np.ones(512 * 1024**2 // 8)
    block[::512] += 1  # touched, so resident
    del block


@dg.asset(deps=[holds_half_a_gigabyte])
def small_after() -> None:
    np.ones(1024).sum()


@pytest.mark.skipif(resident_bytes() is None, reason="needs /proc to read the resident size")
def test_each_step_shows_its_own_peak_memory(tmp_path: Path) -> None:
    # The steps run one after another in one process: the second must not inherit the
    # first one's peak.
    lines, result = _progress_of(tmp_path, [holds_half_a_gigabyte, small_after])
    assert result.success
    found = {
        line.split()[0]: re.search(r"at peak ([\d.]+) GB \(([\d.]+) at its start\)", line)
        for line in lines
        if " done " in line
    }
    peaks = {step: float(m.group(1)) for step, m in found.items() if m}
    starts = {step: float(m.group(2)) for step, m in found.items() if m}
    # Shown to 0.1 GB: half a gigabyte shows as at least 0.4 (0.7 - 0.3 is 0.3999... in floats).
    assert peaks["holds_half_a_gigabyte"] - peaks["small_after"] >= 0.35, lines
    # The half gigabyte was allocated during the step, not held before it.
    assert peaks["holds_half_a_gigabyte"] - starts["holds_half_a_gigabyte"] >= 0.35, lines
