from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

SQL = (Path(__file__).resolve().parents[2] / "sql" / "pool_tier_history.sql").read_text(
    encoding="utf-8"
)
D0 = date(2026, 1, 1)


def day(n: int) -> date:
    return D0 + timedelta(days=n)


# Tiers per enterprise per built day (None = in the partition but out of the
# pool; a missing key = absent from that day's partition).
TIERS: dict[int, dict[str, str | None]] = {
    0: {"a": "seed-B", "b": "growth-A", "c": None},
    1: {"a": "seed-B", "b": "growth-A", "c": "growth-C"},
    2: {"a": "seed-A", "b": "growth-A", "c": None},
    # day 3 was never built
    4: {"a": "seed-A", "c": "growth-C"},  # b absent from the partition
    5: {"a": "seed-A", "b": "growth-A", "c": "growth-C"},
}


def write_partition(root: Path, n: int) -> None:
    rows = TIERS[n]
    folder = root / f"as_of_date={day(n).isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "credit_code": list(rows),
            "in_pool": [tier is not None for tier in rows.values()],
            # an out-of-pool row may still carry a stale tier: only in_pool counts
            "tier": [tier or "mature-D" for tier in rows.values()],
            # a new pool policy from day 2 on
            "model_version": "pool_v1" if n < 2 else "pool_v2",
        }
    ).write_parquet(folder / "part-0.parquet")


def tier_history(root: Path) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA pool")
    con.execute(
        "CREATE VIEW pool.cultivation_pool AS SELECT * FROM read_parquet("
        f"'{root}/*/*.parquet', hive_partitioning = true)"
    )
    return con.execute(SQL).fetchall()


# A stretch names the version that placed the enterprise in its tier (b's first
# stretch outlives pool_v1).
EXPECTED = [
    ("a", day(0), day(2), "seed-B", "pool_v1"),
    ("a", day(2), None, "seed-A", "pool_v2"),
    ("b", day(0), day(4), "growth-A", "pool_v1"),
    ("b", day(5), None, "growth-A", "pool_v2"),
    ("c", day(1), day(2), "growth-C", "pool_v1"),
    ("c", day(4), None, "growth-C", "pool_v2"),
]


def test_history_intervals_in_build_order(tmp_path: Path) -> None:
    for n in sorted(TIERS):
        write_partition(tmp_path, n)
    assert tier_history(tmp_path) == EXPECTED


def test_out_of_order_backfill_and_rerun_give_the_same_history(tmp_path: Path) -> None:
    for n in (5, 2, 4):
        write_partition(tmp_path, n)
    partial = tier_history(tmp_path)
    # only days 2, 4, 5 built so far: b's absence on day 4 still splits its stretch
    assert ("b", day(2), day(4), "growth-A", "pool_v2") in partial
    for n in (0, 1, 5, 0):
        write_partition(tmp_path, n)
    assert tier_history(tmp_path) == EXPECTED


def test_latest_day_alone_gives_open_intervals(tmp_path: Path) -> None:
    write_partition(tmp_path, 5)
    assert tier_history(tmp_path) == [
        ("a", day(5), None, "seed-A", "pool_v2"),
        ("b", day(5), None, "growth-A", "pool_v2"),
        ("c", day(5), None, "growth-C", "pool_v2"),
    ]
