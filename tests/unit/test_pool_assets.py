from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from assets.credit import credit_assets
from assets.partitions import range_tags
from assets.pool import POOL_KEY, pool_assets
from assets.resources import CapscoreResource
from capscore.storage.lake import MissingPartition, read_partition, write_partition
from capscore.storage.manifest import verify_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from scoring_models.policy_config import load_pool_policy
from tests.models_v1 import band_middle, cutoff
from tests.unit.test_pool_cultivation import enterprise, frames

DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(4)]
# The assets grade with the packaged (default) pool policy, so the composites
# are placed against the ladder of the firms' life stage and the margin.
POLICY = load_pool_policy()
STAGE = "growth"
B, MARGIN = cutoff(POLICY, "B", STAGE), POLICY.hysteresis_margin
# composites per day: "a" jitters around B's cut-off within the margin, "b" climbs,
# "c" leaves the pool on day 3
COMPOSITES = {
    "a": [B + MARGIN / 2, B - MARGIN / 2, B - 0.75 * MARGIN, B + 0.75 * MARGIN],
    "b": [
        band_middle(POLICY, "C", STAGE),
        B + MARGIN / 2,
        B + MARGIN,
        band_middle(POLICY, "A", STAGE),
    ],
    "c": [band_middle(POLICY, "B", STAGE)] * 4,
}
ACTIVE, INACTIVE = POLICY.active_statuses[0], "注销"
assert INACTIVE not in POLICY.active_statuses


def seed_upstream(root: DataRoot) -> None:
    for i, day in enumerate(DAYS):
        rows = [
            enterprise(
                code,
                values[i],
                life_stage=STAGE,
                status=INACTIVE if code == "c" and i >= 2 else ACTIVE,
            )
            for code, values in COMPOSITES.items()
        ]
        score, profile = frames(*rows)
        write_partition(root, table_named("scoring.enterprise_score"), score, day)
        write_partition(root, table_named("scoring.enterprise_profile"), profile, day)
        write_partition(
            root,
            table_named("core.patent"),
            pl.DataFrame(
                {
                    "application_number": ["CN1"],
                    "patent_type": ["invention"],
                    "application_date": [date(2020, 1, 1)],
                    "legal_status": ["granted"],
                    "grant_date": [date(2021, 1, 1)],
                }
            ),
            day,
        )
        write_partition(
            root,
            table_named("er.applicant_links"),
            pl.DataFrame(
                {
                    "application_number": ["CN1"],
                    "applicant_position": [0],
                    "credit_code": ["b"],
                    "decision": ["matched"],
                }
            ),
            day,
        )
        write_partition(
            root,
            table_named("scoring.patent_quality"),
            pl.DataFrame({"application_number": ["CN1"], "quality_index": [0.8]}),
            day,
        )


def materialize(root: Path, start: date, end: date) -> None:
    result = dg.materialize(
        [*pool_assets, *credit_assets],
        resources={"capscore": CapscoreResource(data_root=str(root))},
        tags=range_tags(start, end),
    )
    assert result.success


def partitions(root: Path, schema: str, table: str) -> dict[date, pl.DataFrame]:
    out = {}
    for day in DAYS:
        frame = read_partition(DataRoot(root), table_named(f"{schema}.{table}"), day.isoformat())
        assert frame is not None
        out[day] = frame
    return out


def test_pool_self_dependency_is_declared_on_the_previous_day() -> None:
    (pool,) = pool_assets
    mapping = pool.get_partition_mapping(POOL_KEY)
    assert isinstance(mapping, dg.TimeWindowPartitionMapping)
    assert (mapping.start_offset, mapping.end_offset) == (-1, -1)


def test_one_backfill_run_equals_nightly_runs_and_hysteresis_carries_over(tmp_path: Path) -> None:
    backfill, nightly = tmp_path / "backfill", tmp_path / "nightly"
    for root in (backfill, nightly):
        seed_upstream(DataRoot(root))
    materialize(backfill, DAYS[0], DAYS[-1])
    for day in DAYS:
        materialize(nightly, day, day)
    ignore = ["written_at"]
    for schema, table in [
        ("pool", "cultivation_pool"),
        ("pool", "tier_transitions"),
        ("credit", "credit_limit"),
    ]:
        ran_once, ran_daily = (
            partitions(backfill, schema, table),
            partitions(nightly, schema, table),
        )
        for day in DAYS:
            assert (
                ran_once[day]
                .drop(ignore, strict=False)
                .equals(ran_daily[day].drop(ignore, strict=False))
            )

    pools = partitions(backfill, "pool", "cultivation_pool")
    grades = {day: dict(pools[day].select("credit_code", "grade").iter_rows()) for day in DAYS}
    # a: B on day 0, held at B below the cut-off (within the margin), still B above it
    assert [grades[d]["a"] for d in DAYS] == ["B", "B", "B", "B"]
    # b climbs: not promoted inside the margin; promoted at B's cut-off plus the margin,
    # then at A's
    assert [grades[d]["b"] for d in DAYS] == ["C", "C", "B", "A"]
    assert set(pools[DAYS[0]]["grade_basis"]) == {"cutoff_no_previous_partition"}
    assert set(pools[DAYS[1]]["grade_basis"]) == {"hysteresis"}

    moves = pl.concat(
        [
            f.with_columns(pl.lit(d).alias("day"))
            for d, f in partitions(backfill, "pool", "tier_transitions").items()
        ]
    )
    assert moves.select("day", "credit_code", "change").sort("day", "credit_code").rows() == [
        (DAYS[0], "a", "entered"),
        (DAYS[0], "b", "entered"),
        (DAYS[0], "c", "entered"),
        (DAYS[2], "b", "promoted"),
        (DAYS[2], "c", "exited"),
        (DAYS[3], "b", "promoted"),
    ]
    for day in DAYS:
        verify_partition(
            backfill / "lake" / "credit" / "credit_limit" / f"as_of_date={day.isoformat()}"
        )


def test_a_later_range_reads_the_day_before_from_the_lake(tmp_path: Path) -> None:
    seed_upstream(DataRoot(tmp_path))
    materialize(tmp_path, DAYS[0], DAYS[1])
    materialize(tmp_path, DAYS[2], DAYS[3])
    pools = partitions(tmp_path, "pool", "cultivation_pool")
    assert set(pools[DAYS[2]]["grade_basis"]) == {"hysteresis"}
    assert dict(pools[DAYS[2]].select("credit_code", "grade").iter_rows())["a"] == "B"


def test_a_day_after_a_gap_compares_with_the_last_built_day(tmp_path: Path) -> None:
    """Drops do not land every day: day 2 built after day 0 (day 1 never built) holds
    day 0's grades and lists only real moves, against day 0 (not every member as
    `entered` against nothing)."""

    def built(table: str, day: date) -> pl.DataFrame:
        frame = read_partition(DataRoot(tmp_path), table_named(table), day.isoformat())
        assert frame is not None
        return frame

    seed_upstream(DataRoot(tmp_path))
    materialize(tmp_path, DAYS[0], DAYS[0])
    materialize(tmp_path, DAYS[2], DAYS[2])
    assert set(built("pool.cultivation_pool", DAYS[2])["grade_basis"]) == {"hysteresis"}
    moves = built("pool.tier_transitions", DAYS[2])
    assert moves.select("credit_code", "change", "previous_as_of_date").sort(
        "credit_code"
    ).rows() == [("b", "promoted", DAYS[0]), ("c", "exited", DAYS[0])]
    # Day 1 built late changes nothing for day 3, which compares with day 2.
    materialize(tmp_path, DAYS[1], DAYS[1])
    materialize(tmp_path, DAYS[3], DAYS[3])
    assert set(built("pool.tier_transitions", DAYS[3])["previous_as_of_date"]) == {DAYS[2]}


def test_missing_upstream_partition_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(
        MissingPartition, match="scoring/enterprise_score as of 2026-03-01 is missing"
    ):
        dg.materialize(
            pool_assets,
            resources={"capscore": CapscoreResource(data_root=str(tmp_path))},
            partition_key="2026-03-01",
        )
