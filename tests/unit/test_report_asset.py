"""The `reports/pool_report` asset against a small hand-made warehouse file."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.report import pool_report, report_path
from assets.resources import CapscoreResource
from capscore.reports.inputs import comparison_date
from capscore.sql_library import SQL_DIR, with_macros
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import MASK_MACRO
from tests.unit.test_report_mart_views import (
    TABLES,
    enterprise,
    insert,
    mart_files,
    pool,
    score,
)

DAYS = [date(2026, 5, 1), date(2026, 6, 10), date(2026, 6, 11)]


def build_warehouse(path: Path) -> None:
    con = duckdb.connect(str(path))
    for schema in ("core", "scoring", "pool", "credit", "er", "quality", "mart"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute(MASK_MACRO)
    with_macros(con)
    for relation, columns in TABLES.items():
        con.execute(f"CREATE TABLE {relation} ({columns})")
    for stem in mart_files():
        sql = (SQL_DIR / f"{stem}.sql").read_text(encoding="utf-8").strip().rstrip(";")
        con.execute(f"CREATE VIEW mart.{stem.removeprefix('mart_')} AS {sql}")
    for i, day in enumerate(DAYS):
        insert(con, "core.enterprise_asof", [enterprise(c, day, f"{c}科技") for c in "ABC"])
        insert(
            con,
            "scoring.enterprise_score",
            [score(c, day, 40.0 + 10 * i + j) for j, c in enumerate("ABC")],
        )
        insert(
            con,
            "pool.cultivation_pool",
            [pool("A", day, True), pool("B", day, i > 0), pool("C", day, False)],
        )
        insert(
            con,
            "credit.credit_limit",
            [("A", day, "tech_credit", 100.0 * (i + 1), "v1", "stage_cap", "r")],
        )
        insert(
            con,
            "quality.load_audit",
            [
                (
                    "registry",
                    day,
                    f"landing/registry/{day}/r.csv",
                    "csv",
                    "utf-8",
                    3,
                    3,
                    0,
                    "loaded",
                    None,
                    f"{day} 01:00:00+00",
                ),
            ],
        )
    # As publish_warehouse lists them (tested end to end against the tables themselves).
    con.execute("CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.as_of_dates AS SELECT DISTINCT 'scoring.enterprise_score' AS "
        "relation, as_of_date FROM scoring.enterprise_score"
    )
    con.close()


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    root = DataRoot(tmp_path.resolve())
    build_warehouse(root.warehouse)
    return root


def test_comparison_date_looks_a_month_back_else_to_the_first_date(root):
    con = duckdb.connect(str(root.warehouse), read_only=True)
    assert comparison_date(con, DAYS[2]) == DAYS[0]
    assert comparison_date(con, DAYS[1]) == DAYS[0]
    assert comparison_date(con, DAYS[0]) is None
    con.close()


def test_asset_writes_one_report_per_date_of_a_ranged_run(root):
    # An analyst holding the warehouse open read-only does not disturb the report.
    analyst = duckdb.connect(str(root.warehouse), read_only=True)
    result = dg.materialize(
        [pool_report],
        resources={"capscore": CapscoreResource(data_root=str(root.root))},
        tags={
            "dagster/asset_partition_range_start": "2026-06-10",
            "dagster/asset_partition_range_end": "2026-06-11",
        },
    )
    analyst.close()
    assert result.success
    for day in DAYS[1:]:
        page = report_path(root, day).read_text(encoding="utf-8")
        assert f"As of {day.isoformat()}" in page
        assert "Composite change since 2026-05-01" in page
    assert not report_path(root, DAYS[0]).exists()
    assert not [p for p in root.reports.iterdir() if p.name.endswith(".tmp")]
    [mat] = [e.materialization for e in result.get_asset_materialization_events()][-1:]
    assert mat.metadata["path"] == dg.MetadataValue.path(str(report_path(root, DAYS[2])))
    assert mat.metadata["in_pool"] == dg.MetadataValue.int(2)
    assert "| in the pool | 2 |" in str(mat.metadata["preview"].value)


def test_asset_fails_clearly_for_a_built_registry_date_without_scores(root):
    with pytest.raises(dg.Failure, match="no scores as of 2026-06-12 although registry rows"):
        dg.materialize(
            [pool_report],
            resources={"capscore": CapscoreResource(data_root=str(root.root))},
            partition_key="2026-06-12",
        )


def _audit_row(source: str, day: date, rows: int) -> tuple:
    file = f"landing/{source}/{day}/{source}.csv"
    return (source, day, file, "csv", "utf-8", rows, rows, 0, "loaded", None, f"{day} 01:00+00")


def test_dates_before_the_first_registry_snapshot_are_reported_empty_and_explained(root):
    con = duckdb.connect(str(root.warehouse))
    insert(con, "quality.load_audit", [_audit_row("patents", date(2026, 4, 20), 946)])
    insert(con, "quality.load_audit", [_audit_row("rd_records", date(2026, 4, 21), 437)])
    con.close()
    result = dg.materialize(
        [pool_report],
        resources={"capscore": CapscoreResource(data_root=str(root.root))},
        tags={
            "dagster/asset_partition_range_start": "2026-04-19",
            "dagster/asset_partition_range_end": "2026-05-01",
        },
    )
    assert result.success
    early = report_path(root, date(2026, 4, 19)).read_text(encoding="utf-8")
    assert "Nothing to report yet as of 2026-04-19" in early
    assert "no registry snapshot is visible as of 2026-04-19" in early
    waiting = report_path(root, date(2026, 4, 25)).read_text(encoding="utf-8")
    assert "the 946 patent record(s) and 437 R&amp;D filing(s) landed by then wait" in waiting
    # The first date with a registry has its full report, without the notice.
    first = report_path(root, date(2026, 5, 1)).read_text(encoding="utf-8")
    assert "Nothing to report" not in first and "As of 2026-05-01" in first
    [mat] = [e.materialization for e in result.get_asset_materialization_events()][-1:]
    empty = mat.metadata["dates_with_nothing_to_report"].value
    assert isinstance(empty, list) and len(empty) == 12 and "2026-05-01" not in empty
