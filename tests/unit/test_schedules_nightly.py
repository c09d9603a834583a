from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import daily_partitions
from pipelines import schedules
from pipelines.schedules import (
    CRON_ENV,
    TIMEZONE_ENV,
    build_nightly_schedule,
    completed_day,
    nightly_schedule,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def empty_data_root(monkeypatch, tmp_path_factory):
    # What a tick catches up on depends on the data root: an empty one by default.
    monkeypatch.setenv("CAPSCORE_DATA_ROOT", str(tmp_path_factory.mktemp("root")))


@dg.asset(partitions_def=daily_partitions)
def toy() -> None:
    return None


toy_job = dg.define_asset_job("toy_daily", selection=[toy], partitions_def=daily_partitions)


def request_at(schedule: dg.ScheduleDefinition, tick: datetime) -> dg.RunRequest:
    defs = dg.Definitions(assets=[toy], jobs=[toy_job], schedules=[schedule])
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    result = schedule.evaluate_tick(context)
    assert result.run_requests is not None and len(result.run_requests) == 1
    return result.run_requests[0]


def test_completed_day_is_the_previous_shanghai_day():
    assert completed_day(datetime(2026, 7, 16, 2, 0, tzinfo=SHANGHAI)) == date(2026, 7, 15)
    # 23:30 UTC on the 15th is already 07:30 on the 16th in Shanghai.
    assert completed_day(datetime(2026, 7, 15, 23, 30, tzinfo=ZoneInfo("UTC"))) == date(2026, 7, 15)
    assert completed_day(datetime(2026, 1, 1, 0, 5, tzinfo=SHANGHAI)) == date(2025, 12, 31)
    with pytest.raises(ValueError):
        completed_day(datetime(2026, 7, 16, 2, 0))


def test_default_schedule_runs_at_two_shanghai_for_yesterday_and_is_on():
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Asia/Shanghai"
    assert nightly_schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert nightly_schedule.job_name == "capscore_daily"

    schedule = build_nightly_schedule(toy_job, cron="0 2 * * *", timezone="Asia/Shanghai")
    request = request_at(schedule, datetime(2026, 7, 16, 2, 0, tzinfo=SHANGHAI))
    assert request.partition_key == "2026-07-15"
    assert request.run_key == "nightly:2026-07-15"


def test_ticks_in_another_timezone_still_pick_the_completed_shanghai_day():
    schedule = build_nightly_schedule(toy_job, cron="30 20 * * *", timezone="America/New_York")
    # 20:30 New York on 15 July = 08:30 Shanghai on 16 July: the 15th is complete.
    tick = datetime(2026, 7, 15, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    assert request_at(schedule, tick).partition_key == "2026-07-15"


def test_consecutive_ticks_cover_every_day_once_across_dst():
    berlin = ZoneInfo("Europe/Berlin")
    schedule = build_nightly_schedule(toy_job, cron="0 6 * * *", timezone="Europe/Berlin")
    # 06:00 Berlin is 12:00 or 13:00 Shanghai: the tick's own Berlin day is the completed one.
    ticks = [datetime(2026, 3, 1, 6, 0, tzinfo=berlin) + timedelta(days=i) for i in range(40)]
    keys = [request_at(schedule, tick).partition_key for tick in ticks]
    expected = daily_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2026-02-28", "2026-04-08")
    )
    assert keys == list(expected)


def test_cron_and_timezone_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(CRON_ENV, "15 4 * * 1-5")
    monkeypatch.setenv(TIMEZONE_ENV, "Europe/Berlin")
    schedule = build_nightly_schedule(toy_job)
    assert schedule.cron_schedule == "15 4 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("env", "value"), [(CRON_ENV, "61 2 * * *"), (TIMEZONE_ENV, "Mars/Olympus_Mons")]
)
def test_a_bad_setting_names_the_variable(monkeypatch, env, value):
    monkeypatch.setenv(env, value)
    with pytest.raises(ValueError, match=env):
        build_nightly_schedule(toy_job)


def test_a_night_catches_up_a_drop_that_landed_late(monkeypatch, tmp_path):
    # A drop for the 10th that no run has loaded: the night of the 15th starts there,
    # as `capscore run` would (every later as-of date must see it).
    late = tmp_path / "landing" / "patents" / "2026-07-10"
    late.mkdir(parents=True)
    (late / "p.csv").write_text("application_number\n", "utf-8")
    monkeypatch.setenv("CAPSCORE_DATA_ROOT", str(tmp_path))
    schedule = build_nightly_schedule(toy_job, cron="0 2 * * *", timezone="Asia/Shanghai")
    request = request_at(schedule, datetime(2026, 7, 16, 2, 0, tzinfo=SHANGHAI))
    assert request.partition_key is None
    assert request.tags["dagster/asset_partition_range_start"] == "2026-07-10"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-07-15"
    assert request.run_key == "nightly:2026-07-10..2026-07-15"


def test_a_night_skipped_while_the_root_was_busy_is_built_the_next_night(monkeypatch, tmp_path):
    # The tick of the 15th found the root locked (a sensor's run, a hand-started
    # `capscore run`) and skipped; the 14th had no drop, so neither the sensor nor a
    # freshness check would ever build it. The next night starts there.
    monkeypatch.setenv("CAPSCORE_DATA_ROOT", str(tmp_path))
    monkeypatch.setattr(schedules, "stale_dates", lambda _: {})
    monkeypatch.setattr(
        schedules, "built_as_of_dates", lambda _: [date(2026, 7, 12), date(2026, 7, 13)]
    )
    schedule = build_nightly_schedule(toy_job, cron="0 2 * * *", timezone="Asia/Shanghai")
    request = request_at(schedule, datetime(2026, 7, 16, 2, 0, tzinfo=SHANGHAI))
    assert request.tags["dagster/asset_partition_range_start"] == "2026-07-14"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-07-15"
    # Built up to the night before: the day alone, as before.
    monkeypatch.setattr(schedules, "built_as_of_dates", lambda _: [date(2026, 7, 14)])
    assert request_at(schedule, datetime(2026, 7, 16, 2, 0, tzinfo=SHANGHAI)).partition_key == (
        "2026-07-15"
    )
