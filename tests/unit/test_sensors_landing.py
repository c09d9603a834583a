import json
import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.partitions import RANGE_END_TAG, RANGE_START_TAG, daily_partitions
from assets.resources import CapscoreResource
from capscore.storage.lake import write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines.sensors import (
    LandingScan,
    audited_baseline,
    build_landing_sensor,
    changed_dates,
    decode_cursor,
    encode_cursor,
    landing_sensor,
    plan_landing_run,
    run_range,
    scan_landing,
)

NOW = datetime(2026, 7, 20, 12, 0, tzinfo=UTC).timestamp()
OLD = NOW - 3600


@dg.asset(partitions_def=daily_partitions)
def toy() -> None:
    return None


toy_job = dg.define_asset_job("toy_daily", selection=[toy], partitions_def=daily_partitions)


def drop(
    root: DataRoot, source: str, day: str, name: str, text: str = "a,b\n1,2\n", mtime: float = OLD
) -> Path:
    path = root.landing_partition(source, day) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path


def scan(root: DataRoot, settle: float = 60.0) -> LandingScan:
    return scan_landing(root, NOW, settle, lambda day: "2020-01-01" <= day <= "2026-07-21")


def built(root: DataRoot, *days: str) -> None:
    for day in days:
        write_partition(root, table_named("credit.credit_limit"), pl.DataFrame({"x": [1]}), day)


def sensor_context(
    root: DataRoot, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorEvaluationContext:
    return dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"capscore": CapscoreResource(data_root=str(root.root))},
    )


def evaluate(sensor: dg.SensorDefinition, context: dg.SensorEvaluationContext) -> dg.SensorResult:
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def requests(result: dg.SensorResult) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path.resolve())


def test_scan_stamps_drop_files_and_skips_the_rest(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    drop(root, "registry", "2026-07-15", "r.jsonl", "{}\n")
    drop(root, "patents", "2026-07-15", ".a.csv.swp")
    drop(root, "patents", "2026-07-15", "b.csv.part")
    drop(root, "unknown_source", "2026-07-15", "x.csv")
    drop(root, "patents", "not-a-date", "a.csv")
    drop(root, "patents", "2026-02-30", "a.csv")
    drop(root, "patents", "2031-01-01", "a.csv")  # ahead of the calendar
    result = scan(root)
    assert set(result.settled) == {"2026-07-15"}
    assert set(result.settled["2026-07-15"]) == {
        "landing/patents/2026-07-15/a.csv",
        "landing/registry/2026-07-15/r.jsonl",
    }
    assert result.settled["2026-07-15"]["landing/patents/2026-07-15/a.csv"][0] == 8
    assert result.not_partitions == (
        "landing/patents/2026-02-30",
        "landing/patents/2031-01-01",
        "landing/patents/not-a-date",
    )


def test_a_date_with_a_file_still_being_written_waits(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    drop(root, "registry", "2026-07-15", "r.csv", mtime=NOW - 5)
    drop(root, "patents", "2026-07-16", "a.csv")
    result = scan(root)
    assert result.unsettled == {"2026-07-15"}
    assert set(result.settled) == {"2026-07-16"}
    # The waiting date is neither new nor removed; the cursor keeps what it had.
    previous = {"2026-07-15": {"landing/patents/2026-07-15/a.csv": (8, 1)}}
    plan = plan_landing_run(previous, result, [])
    assert plan.changed == ("2026-07-16",)
    assert plan.cursor["2026-07-15"] == previous["2026-07-15"]
    assert set(scan(root, settle=0).settled) == {"2026-07-15", "2026-07-16"}


def test_changes_are_new_rewritten_added_and_removed_files(root):
    drop(root, "patents", "2026-07-10", "a.csv")
    drop(root, "patents", "2026-07-11", "a.csv")
    drop(root, "patents", "2026-07-12", "a.csv")
    first = scan(root)
    assert changed_dates({}, first) == ["2026-07-10", "2026-07-11", "2026-07-12"]
    cursor = plan_landing_run({}, first, []).cursor
    assert changed_dates(cursor, scan(root)) == []

    drop(root, "patents", "2026-07-10", "a.csv", text="a,b\n1,2\n3,4\n")  # rewritten
    drop(root, "rd_records", "2026-07-11", "r.csv")  # new file in an existing date
    (root.landing_partition("patents", "2026-07-12") / "a.csv").unlink()  # folder emptied
    drop(root, "patents", "2026-07-13", "a.csv")  # new date
    root.landing_partition("registry", "2026-07-14").mkdir(parents=True)  # empty folder: no drop
    assert changed_dates(cursor, scan(root)) == [
        "2026-07-10",
        "2026-07-11",
        "2026-07-12",
        "2026-07-13",
    ]


def test_same_size_rewrite_is_seen_through_mtime(root):
    path = drop(root, "patents", "2026-07-10", "a.csv", text="a,b\n1,2\n")
    cursor = plan_landing_run({}, scan(root), []).cursor
    drop(root, "patents", "2026-07-10", "a.csv", text="a,b\n9,9\n", mtime=OLD + 1)
    assert path.stat().st_size == 8
    assert changed_dates(cursor, scan(root)) == ["2026-07-10"]


def test_range_runs_from_the_earliest_change_through_later_built_dates():
    assert run_range(["2026-07-15"], []) == ("2026-07-15", "2026-07-15")
    assert run_range(["2026-07-15"], ["2026-07-01", "2026-07-14"]) == ("2026-07-15", "2026-07-15")
    assert run_range(["2026-07-15"], ["2026-07-14", "2026-07-19"]) == ("2026-07-15", "2026-07-19")
    assert run_range(["2026-07-20", "2026-07-12"], ["2026-07-14"]) == ("2026-07-12", "2026-07-20")


def test_cursor_round_trips_and_a_broken_one_is_ignored():
    state = {"2026-07-15": {"landing/patents/2026-07-15/专利.csv": (12, 1_700_000_000_123_456_789)}}
    assert decode_cursor(encode_cursor(state)) == state
    assert decode_cursor(None) is None
    assert decode_cursor("not json") is None
    assert decode_cursor(json.dumps({"version": 99, "dates": {}})) is None
    assert decode_cursor(json.dumps({"version": 1, "dates": {"d": {"f": [1]}}})) is None


def test_audit_baseline_counts_files_loaded_after_their_last_write(root):
    a = drop(root, "patents", "2026-07-10", "a.csv")
    drop(root, "patents", "2026-07-11", "a.csv")
    b = drop(root, "patents", "2026-07-12", "a.csv", mtime=OLD)
    drop(root, "patents", "2026-07-12", "late.csv")  # landed after the load: not audited
    audit = pl.DataFrame(
        {
            "file": [root.relative(a), root.relative(b), "landing/patents/2026-07-11/a.csv"],
            "loaded_at": [
                datetime.fromtimestamp(OLD + 10, tz=UTC),
                datetime.fromtimestamp(OLD + 10, tz=UTC),
                datetime.fromtimestamp(OLD - 10, tz=UTC),  # loaded before it was rewritten
            ],
        }
    )
    write_partition(root, table_named("quality.load_audit"), audit, "patents", "x")
    assert set(audited_baseline(root, scan(root))) == {"2026-07-10"}


def test_sensor_requests_one_ranged_run_and_records_the_cursor(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    built(root, "2026-07-10", "2026-07-16", "2026-07-18")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
        [request] = requests(result)
        assert request.tags[RANGE_START_TAG] == "2026-07-15"
        assert request.tags[RANGE_END_TAG] == "2026-07-18"
        assert request.partition_key is None
        cursor = result.cursor

        # Re-evaluating from the old cursor (the daemon died before saving it) asks for the
        # same run key, which Dagster launches only once; from the new cursor nothing runs.
        again = evaluate(sensor, sensor_context(root, instance, None))
        assert requests(again)[0].run_key == request.run_key
        idle = evaluate(sensor, sensor_context(root, instance, cursor))
        assert not idle.run_requests
        assert idle.skip_reason is not None

        # New files for a date later: a one-day run with a different key.
        drop(root, "patents", "2026-07-19", "b.csv")
        later = evaluate(sensor, sensor_context(root, instance, cursor))
        [single] = requests(later)
        assert single.partition_key == "2026-07-19"
        assert RANGE_START_TAG not in single.tags
        assert single.run_key != request.run_key


def test_sensor_waits_while_a_run_of_the_job_is_in_flight(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        run = instance.create_run_for_job(
            dg.Definitions(assets=[toy], jobs=[toy_job]).resolve_job_def("toy_daily"),
            tags={"capscore/trigger": "nightly"},
            status=dg.DagsterRunStatus.STARTED,
        )
        result = evaluate(sensor, sensor_context(root, instance, None))
        assert not result.run_requests
        assert result.skip_reason is not None
        assert run.run_id in (result.skip_reason.skip_message or "")
        assert result.cursor is None  # nothing recorded: the change is picked up afterwards
        instance.report_run_failed(run)
        assert evaluate(sensor, sensor_context(root, instance, None)).run_requests


def test_first_tick_skips_drops_the_cli_already_loaded(root):
    a = drop(root, "patents", "2026-07-15", "a.csv")
    audit = pl.DataFrame(
        {"file": [root.relative(a)], "loaded_at": [datetime.fromtimestamp(OLD + 1, tz=UTC)]}
    )
    write_partition(root, table_named("quality.load_audit"), audit, "patents", "x")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
    assert not result.run_requests
    assert decode_cursor(result.cursor) == scan(root).settled


def test_the_shipped_sensor_is_on_and_targets_the_daily_job():
    assert landing_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert landing_sensor.job_name == "capscore_daily"
