import hashlib
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.partitions import RANGE_END_TAG, RANGE_START_TAG, daily_partitions
from assets.resources import CapscoreResource
from capscore.landing.drops import Seen
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from pipelines import sensors
from pipelines.run_plan import audited_files
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
from tests.busy_root import launched_while_busy

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


WINDOW = (date(2020, 1, 1), date(2026, 7, 21))


def scan(root: DataRoot, settle: float = 60.0, known: dict[str, Seen] | None = None) -> LandingScan:
    return scan_landing(root, NOW, settle, WINDOW, known or {})


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def audit(root: DataRoot, source: str, day: str, files: dict[Path, str | None], at: float) -> None:
    """A load audit partition saying `files` were loaded with these hashes at `at`."""
    frame = pl.DataFrame(
        {
            "file": [root.relative(p) for p in files],
            "sha256": list(files.values()),
            "loaded_at": [datetime.fromtimestamp(at, tz=UTC)] * len(files),
        },
        schema_overrides={"sha256": pl.String},
    )
    write_partition(root, table_named("quality.load_audit"), frame, source, day)


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
    # The resource has a lifecycle (it holds the data root's lock in runs): open it.
    with context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def requests(result: dg.SensorResult) -> list[dg.RunRequest]:
    return list(result.run_requests or [])


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot(tmp_path.resolve())


def test_scan_takes_drop_files_with_their_hash_and_skips_the_rest(root):
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
    assert result.settled["2026-07-15"]["landing/patents/2026-07-15/a.csv"].sha256 == sha(
        "a,b\n1,2\n"
    )
    assert [r.path for r in result.rejected] == [
        "landing/patents/2026-02-30",
        "landing/patents/not-a-date",
    ]
    assert result.ahead == ("landing/patents/2031-01-01",)


def test_a_date_with_a_file_still_being_written_waits(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    drop(root, "registry", "2026-07-15", "r.csv", mtime=NOW - 5)
    drop(root, "patents", "2026-07-16", "a.csv")
    result = scan(root)
    assert result.unsettled == {"2026-07-15"}
    assert set(result.settled) == {"2026-07-16"}
    # The waiting date is neither new nor removed; the cursor keeps what it had.
    previous = {"2026-07-15": {"landing/patents/2026-07-15/a.csv": Seen("x", 1)}}
    plan = plan_landing_run(previous, result, [])
    assert plan.changed == ("2026-07-16",)
    assert plan.cursor["2026-07-15"] == previous["2026-07-15"]
    assert set(scan(root, settle=0).settled) == {"2026-07-15", "2026-07-16"}


def test_a_success_marker_makes_a_drop_complete_without_waiting(root):
    drop(root, "registry", "2026-07-15", "r.csv", mtime=NOW - 5)
    assert scan(root).unsettled == {"2026-07-15"}
    drop(root, "registry", "2026-07-15", "_SUCCESS", text="")
    result = scan(root)
    assert not result.unsettled
    assert set(result.settled["2026-07-15"]) == {"landing/registry/2026-07-15/r.csv"}


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


def test_a_rewrite_keeping_size_and_mtime_is_seen_through_the_hash(root):
    path = drop(root, "patents", "2026-07-10", "a.csv", text="a,b\n1,2\n")
    cursor = plan_landing_run({}, scan(root), []).cursor
    # Same size, and the old mtime put back (as `cp -p`, `rsync -t` or an unpacked archive do).
    drop(root, "patents", "2026-07-10", "a.csv", text="a,b\n9,9\n", mtime=OLD)
    assert path.stat().st_size == 8 and path.stat().st_mtime == OLD
    assert changed_dates(cursor, scan(root, known=_flat(cursor))) == ["2026-07-10"]


def test_a_touch_that_keeps_the_bytes_is_no_change(root):
    path = drop(root, "patents", "2026-07-10", "a.csv")
    cursor = plan_landing_run({}, scan(root), []).cursor
    os.utime(path, (OLD + 100, OLD + 100))
    assert changed_dates(cursor, scan(root, known=_flat(cursor))) == []


def test_an_untouched_file_is_not_hashed_again(root, monkeypatch):
    drop(root, "patents", "2026-07-10", "a.csv")
    hashed_long_ago = {"landing/patents/2026-07-10/a.csv": Seen("hash-from-before", 2**62)}
    monkeypatch.setattr("capscore.landing.drops.sha256_of", lambda path: pytest.fail("hashed"))
    settled = scan(root, known=hashed_long_ago).settled
    assert settled["2026-07-10"]["landing/patents/2026-07-10/a.csv"].sha256 == "hash-from-before"


def _flat(state: dict[str, dict[str, Seen]]) -> dict[str, Seen]:
    return {path: seen for files in state.values() for path, seen in files.items()}


def test_range_runs_from_the_earliest_change_through_later_built_dates():
    assert run_range(["2026-07-15"], []) == ("2026-07-15", "2026-07-15")
    assert run_range(["2026-07-15"], ["2026-07-01", "2026-07-14"]) == ("2026-07-15", "2026-07-15")
    assert run_range(["2026-07-15"], ["2026-07-14", "2026-07-19"]) == ("2026-07-15", "2026-07-19")
    assert run_range(["2026-07-20", "2026-07-12"], ["2026-07-14"]) == ("2026-07-12", "2026-07-20")


def test_cursor_round_trips_and_a_broken_one_is_ignored():
    state = {
        "2026-07-15": {
            "landing/patents/2026-07-15/专利.csv": Seen("ab" * 32, 1_700_000_000_123_456_789),
            "landing/patents/2026-07-15/link.csv": Seen(None, 5),
        }
    }
    assert decode_cursor(encode_cursor(state)) == state
    assert decode_cursor(None) is None
    assert decode_cursor("not json") is None
    assert decode_cursor(json.dumps({"version": 99, "dates": {}})) is None
    assert decode_cursor(json.dumps({"version": 2, "dates": {"d": {"f": [1]}}})) is None
    assert decode_cursor(json.dumps({"version": 2, "dates": {"d": {"f": [1, 2]}}})) is None
    # A cursor of the size+mtime era is dropped: the first tick's audit baseline takes over.
    assert decode_cursor(json.dumps({"version": 1, "dates": {"d": {"f": [8, 1]}}})) is None


def test_audit_baseline_takes_dates_loaded_with_the_content_they_have_now(root):
    a = drop(root, "patents", "2026-07-10", "a.csv")
    b = drop(root, "patents", "2026-07-11", "a.csv")
    c = drop(root, "patents", "2026-07-12", "a.csv")
    drop(root, "patents", "2026-07-12", "late.csv")  # landed after the load: not audited
    audit(root, "patents", "2026-07-10", {a: sha("a,b\n1,2\n")}, OLD + 10)
    audit(root, "patents", "2026-07-11", {b: sha("loaded, then rewritten")}, OLD + 10)
    audit(root, "patents", "2026-07-12", {c: sha("a,b\n1,2\n")}, OLD + 10)
    audited = audited_files(root)
    assert set(audited_baseline(audited, scan(root))) == {"2026-07-10"}


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
    audit(root, "patents", "2026-07-15", {a: sha("a,b\n1,2\n")}, OLD + 1)
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
    assert not result.run_requests
    state = decode_cursor(result.cursor)
    assert state is not None
    assert {day: {p: s.sha256 for p, s in files.items()} for day, files in state.items()} == {
        "2026-07-15": {"landing/patents/2026-07-15/a.csv": sha("a,b\n1,2\n")}
    }


def test_first_tick_reloads_a_date_the_cli_loaded_whose_folder_is_gone(root):
    # Loaded by the CLI, then moved away before the daemon's first tick: an empty drop
    # now, whose rows must go as they do when the folder goes under a running sensor.
    a = drop(root, "patents", "2026-07-15", "a.csv")
    audit(root, "patents", "2026-07-15", {a: sha("a,b\n1,2\n")}, OLD + 1)
    a.unlink()
    a.parent.rmdir()
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
    [request] = requests(result)
    assert request.partition_key == "2026-07-15"


def test_first_tick_reloads_a_file_rewritten_in_place_since_the_cli_loaded_it(root):
    a = drop(root, "patents", "2026-07-15", "a.csv", text="a,b\n9,9\n")
    audit(root, "patents", "2026-07-15", {a: sha("a,b\n1,2\n")}, OLD + 1)
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
    [request] = requests(result)
    assert request.partition_key == "2026-07-15"


def test_bad_landing_folders_are_recorded_and_never_stop_the_sensor(root):
    drop(root, "patents", "2026-07-15", "a.csv")
    drop(root, "patents", "2026-13-45", "a.csv")
    drop(root, "patents", "20260716", "a.csv")
    outside = root.root.parent / f"{root.root.name}-outside"
    outside.mkdir()
    (outside / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root.landing_partition("patents", "2026-07-15") / "link.csv").symlink_to(outside / "x.csv")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    with dg.instance_for_test() as instance:
        result = evaluate(sensor, sensor_context(root, instance, None))
    [request] = requests(result)
    assert request.partition_key == "2026-07-15"
    recorded = read_partition(root, table_named("quality.load_audit"), "patents", None)
    assert recorded is not None
    assert recorded["file"].to_list() == ["landing/patents/2026-13-45", "landing/patents/20260716"]
    assert recorded["status"].unique().to_list() == ["rejected"]
    assert "not a real calendar date" in recorded["error"][0]
    state = decode_cursor(result.cursor)
    assert state is not None
    # The refused symlink is part of the drop (recorded as a rejected file), never read.
    assert state["2026-07-15"]["landing/patents/2026-07-15/link.csv"].sha256 is None


def test_the_shipped_sensor_is_on_and_targets_the_daily_job():
    assert landing_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert landing_sensor.job_name == "capscore_daily"


@pytest.mark.parametrize("stale", [False, True])
def test_a_drop_the_cli_loaded_while_the_sensor_waited_is_not_run_again(root, monkeypatch, stale):
    # The sensor has seen 07-15; 07-16 lands and a `capscore run` started by hand loads
    # and builds it while the sensor skips (the root is locked). On the next tick the
    # drop is new to the cursor, but the load audit has it with this content and the
    # date is built: running the range again would redo the CLI's work. Only when a
    # date from it on is stale (the CLI run stopped after loading) does it run.
    a = drop(root, "patents", "2026-07-15", "a.csv")
    audit(root, "patents", "2026-07-15", {a: sha("a,b\n1,2\n")}, OLD + 1)
    built(root, "2026-07-15")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    monkeypatch.setattr(
        sensors, "stale_dates", lambda _: {date(2026, 7, 16): ["x"]} if stale else {}
    )
    with dg.instance_for_test() as instance:
        first = evaluate(sensor, sensor_context(root, instance, None))
        assert not first.run_requests
        b = drop(root, "patents", "2026-07-16", "b.csv")
        audit(root, "patents", "2026-07-16", {b: sha("a,b\n1,2\n")}, OLD + 2)
        built(root, "2026-07-16")
        result = evaluate(sensor, sensor_context(root, instance, first.cursor))
    if stale:
        [request] = requests(result)
        assert request.partition_key == "2026-07-16"
    else:
        assert not result.run_requests
    state = decode_cursor(result.cursor)
    assert state is not None and set(state) == {"2026-07-15", "2026-07-16"}


@dg.op
def fails_on_its_own() -> None:
    raise ValueError("a bug")


@dg.job
def launched_and_broken() -> None:
    fails_on_its_own()


LANDING_RUN_TAGS = {
    "capscore/trigger": "landing",
    "dagster/partition": "2026-07-15",
    "dagster/run_key": "landing:2026-07-15..2026-07-15:abc",
}


@pytest.mark.parametrize("built_since", [False, True])
def test_a_landing_run_that_found_the_root_busy_is_requested_again(root, monkeypatch, built_since):
    # The sensor saw 07-15 and launched its run, which failed before any step: a
    # `capscore run` started by hand held the data root. The cursor has the drop, so
    # without a retry it waited for the next night. It is requested again (a key of its
    # own) once no run is in flight, unless the dates were built meanwhile.
    drop(root, "patents", "2026-07-15", "a.csv")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    monkeypatch.setattr(sensors, "stale_dates", lambda _: {})
    with dg.instance_for_test() as instance:
        first = evaluate(sensor, sensor_context(root, instance, None))
        [launched] = requests(first)
        failed = launched_while_busy.execute_in_process(
            instance=instance, raise_on_error=False, tags=LANDING_RUN_TAGS
        )
        assert not failed.success
        if built_since:
            built(root, "2026-07-15")
        result = evaluate(sensor, sensor_context(root, instance, first.cursor))
    if built_since:
        assert not result.run_requests
    else:
        [retry] = requests(result)
        assert retry.partition_key == "2026-07-15"
        assert retry.run_key != launched.run_key
        assert retry.tags["capscore/retry_of"] == failed.run_id
    assert result.cursor == first.cursor


def test_a_landing_run_that_failed_otherwise_is_not_requested_again(root, monkeypatch):
    drop(root, "patents", "2026-07-15", "a.csv")
    sensor = build_landing_sensor(toy_job, settle_seconds=60, clock=lambda: NOW)
    monkeypatch.setattr(sensors, "stale_dates", lambda _: {})
    with dg.instance_for_test() as instance:
        first = evaluate(sensor, sensor_context(root, instance, None))
        launched_and_broken.execute_in_process(
            instance=instance, raise_on_error=False, tags=LANDING_RUN_TAGS
        )
        result = evaluate(sensor, sensor_context(root, instance, first.cursor))
    # A failing step fails again: retrying it every tick would loop; the nightly run and
    # the failure alert take it from here.
    assert not result.run_requests
