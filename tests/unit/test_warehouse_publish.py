"""Publishing the warehouse: views over the lake, masking, atomic swap under open readers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from capscore.scoring.scores import INDICATOR_VALUE_SCHEMA, indicator_columns, indicator_rows
from capscore.storage import lake
from capscore.storage.lake import read_partition, write_partition
from capscore.storage.paths import DataRoot
from capscore.storage.tables import table_named
from capscore.warehouse import publish
from capscore.warehouse.publish import publish_warehouse, unpublished_writes
from capscore.warehouse.query import WarehouseMissing, format_result, run_query
from scoring_models.config import load_scoring_model
from tests.models_v1 import scoring_v1


def _enterprise(root: DataRoot, day: str, names: list[str]) -> None:
    frame = pl.DataFrame(
        {
            "credit_code": [f"C{i}" for i in range(len(names))],
            "name": names,
            "legal_representative": ["张三丰"] * len(names),
        }
    )
    write_partition(root, table_named("core.enterprise"), frame, day)


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    return DataRoot.resolve(tmp_path)


def test_latest_only_tables_show_the_latest_date_and_keep_history(root: DataRoot) -> None:
    _enterprise(root, "2026-11-01", ["甲", "乙"])
    _enterprise(root, "2026-11-02", ["甲", "乙", "丙"])
    summary = publish_warehouse(root)
    assert "core.enterprise" in summary.views and "scoring.enterprise_score" in summary.missing
    latest = run_query(root, "SELECT count(*) AS n, max(as_of_date) AS d FROM core.enterprise")
    assert latest.row(0) == (3, date(2026, 11, 2))
    every = run_query(root, "SELECT count(*) FROM core.enterprise_asof")
    assert every.item() == 5


def test_a_keyed_table_s_views_show_each_date_s_state_changes_and_bases_alike(
    root: DataRoot,
) -> None:
    names = [f"企业{i}" for i in range(40)]
    _enterprise(root, "2026-11-01", names)
    # two renames, one firm gone, one new: stored as changes against 11-01's base
    _enterprise(root, "2026-11-02", ["改名甲", "改名乙", *names[2:39], "新企业"])
    _enterprise(root, "2026-11-03", [])  # nothing left: an empty state
    stored = read_partition(root, table_named("core.enterprise"), "2026-11-02")
    assert stored is not None and stored.height == 40
    publish_warehouse(root)
    every = run_query(
        root,
        "SELECT as_of_date::VARCHAR AS d, credit_code, name FROM core.enterprise_asof "
        "ORDER BY d, credit_code",
    )
    expected = (
        lake.scan(root, table_named("core.enterprise"))
        .select(pl.col("as_of_date").cast(pl.String).alias("d"), "credit_code", "name")
        .sort("d", "credit_code")
        .collect()
    )
    assert every.height == 80
    assert every.equals(expected)
    # the latest date is 11-03, built empty: the latest view is empty, not 11-02's rows
    assert run_query(root, "SELECT count(*) FROM core.enterprise").item() == 0


def test_a_table_without_rows_leaves_no_holder_table_for_the_analysts(root: DataRoot) -> None:
    # QA on clean data of another generator (no row ever quarantined): the warehouse
    # showed the analysts an undocumented table `quality._empty_quarantine`, the empty
    # stand-in the view read, and the data dictionary found it without a meaning.
    empty = pl.DataFrame(schema={"raw_record": pl.String, "row_number": pl.Int64})
    write_partition(root, table_named("quality.quarantine"), empty, "registry", "2026-11-20")
    publish_warehouse(root)
    tables = run_query(
        root,
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables "
        "WHERE table_schema = 'quality'",
    )["t"].to_list()
    assert "quality.quarantine" in tables
    assert not [t for t in tables if "_empty" in t], tables
    # The view is there, typed, and empty.
    assert run_query(root, "SELECT count(*) FROM quality.quarantine").item() == 0
    columns = run_query(root, "DESCRIBE quality.quarantine")
    types = dict(zip(columns["column_name"], columns["column_type"], strict=True))
    assert types["raw_record"] == "VARCHAR" and types["row_number"] == "BIGINT"


def test_personal_data_is_masked(root: DataRoot) -> None:
    _enterprise(root, "2026-11-01", ["甲"])
    quarantine = pl.DataFrame(
        {"raw_record": ['{"name": "x", "legal_representative": "李四光"}'], "row_number": [1]}
    )
    write_partition(root, table_named("quality.quarantine"), quarantine, "registry", "2026-11-20")
    publish_warehouse(root)
    assert run_query(root, "SELECT legal_representative FROM core.enterprise").item() == "张**"
    record = run_query(root, "SELECT raw_record FROM quality.quarantine").item()
    assert "李四光" not in record and '"legal_representative": "李**"' in record


def test_a_quarantined_filing_under_a_person_s_name_is_masked(root: DataRoot) -> None:
    # A filer wrote a person's name where the firm's goes, and sent the filing twice: the
    # copy is quarantined, its reason quoting the key. Both masked; a firm's name stays.
    reason = (
        "duplicate key credit_code=null, enterprise_name={}, fiscal_year=2016, "
        "reported_date=2026-11-03: first loaded from landing/rd_records/2026-11-03/a.csv row 1"
    )
    quarantine = pl.DataFrame(
        {
            "row_number": [2, 4],
            "reason": [reason.format("王小明"), reason.format("王小明科技有限公司")],
            "raw_record": [
                '{"credit_code":null,"enterprise_name":"王小明","fiscal_year":2016}',
                '{"credit_code":null,"enterprise_name":"王小明科技有限公司","fiscal_year":2016}',
            ],
        }
    )
    write_partition(root, table_named("quality.quarantine"), quarantine, "rd_records", "2026-11-03")
    publish_warehouse(root)
    rows = run_query(
        root, "SELECT reason, raw_record FROM quality.quarantine ORDER BY row_number"
    ).rows()
    assert rows == [
        (
            reason.format("王**"),
            '{"credit_code":null,"enterprise_name":"王**","fiscal_year":2016}',
        ),
        (reason.format("王小明科技有限公司"), quarantine["raw_record"][1]),
    ]


def test_an_open_reader_keeps_its_view_and_a_new_one_sees_the_new_data(root: DataRoot) -> None:
    _enterprise(root, "2026-11-01", ["甲"])
    publish_warehouse(root)
    reader = duckdb.connect(str(root.warehouse), read_only=True)
    try:
        before = reader.execute("SELECT count(*) FROM core.enterprise").fetchone()
        _enterprise(root, "2026-11-02", ["甲", "乙"])
        publish_warehouse(root)  # must not fail although `reader` holds the old file
        assert reader.execute("SELECT count(*) FROM core.enterprise").fetchone() is not None
    finally:
        reader.close()
    assert before == (1,)
    assert run_query(root, "SELECT count(*) FROM core.enterprise").item() == 2
    leftovers = [p.name for p in root.root.iterdir() if p.name.startswith(".warehouse")]
    assert leftovers == []


def test_query_without_a_warehouse_says_what_to_do(root: DataRoot) -> None:
    with pytest.raises(WarehouseMissing, match="capscore run"):
        run_query(root, "SELECT 1")


def test_csv_and_json_formats_handle_lists() -> None:
    frame = pl.DataFrame({"a": [1], "reasons": [["x", "y"]]})
    assert format_result(frame, "csv").splitlines() == ["a,reasons", "1,x; y"]
    assert '"reasons":["x","y"]' in format_result(frame, "json")


def test_csv_writes_a_list_of_structs_as_json_text() -> None:
    """mart.er_review_queue.candidates: not a polars Series' printout."""
    frame = pl.DataFrame(
        {"candidates": [[{"credit_code": "X", "p": 0.5}], None], "s": [{"l": [1, 2]}, None]}
    )
    lines = format_result(frame, "csv").splitlines()
    assert lines[1] == '"[{""credit_code"": ""X"", ""p"": 0.5}]","{""l"": [1, 2]}"'
    assert lines[2] == ","


def test_indicator_values_stored_as_columns_are_rows_in_the_warehouse(root: DataRoot) -> None:
    """scoring.indicator_value: dates of two models with other indicators, and a date
    stored in rows before the column layout, each read back row for row."""
    table = table_named("scoring.indicator_value")
    codes = [f"C{i}" for i in range(6)]
    profile = pl.DataFrame(
        {"credit_code": codes, "industry_section": ["C"] * 6, "life_stage": ["growth"] * 6}
    )
    expected = []
    for day, model, as_rows in (
        ("2026-11-01", scoring_v1(), True),
        ("2026-11-02", scoring_v1(), False),
        ("2026-11-03", load_scoring_model(), False),
    ):
        # every indicator of the model, one in three missing
        wide = pl.DataFrame(
            {"credit_code": codes}
            | {
                n: [None if (i + j) % 3 == 0 else float(i * j) for i in range(6)]
                for j, n in enumerate(model.indicator_names)
            }
        )
        stored = indicator_columns(wide, profile, model)
        rows = indicator_rows(stored)
        write_partition(root, table, rows if as_rows else stored, day)
        expected.append(rows.with_columns(pl.lit(date.fromisoformat(day)).alias("as_of_date")))
    publish_warehouse(root)
    columns = [*INDICATOR_VALUE_SCHEMA, "as_of_date"]
    order = ["as_of_date", "credit_code", "indicator"]
    view = run_query(root, f"SELECT {', '.join(columns)} FROM scoring.indicator_value")
    want = pl.concat(expected).with_columns(pl.col(pl.Categorical).cast(pl.String))
    assert view.sort(order).equals(want.select(columns).sort(order))
    # in the rows' column order
    assert run_query(root, "SELECT * FROM scoring.indicator_value LIMIT 0").columns == columns


def test_the_score_view_joins_the_reasons_stored_apart_as_changes(root: DataRoot) -> None:
    scores = table_named("scoring.enterprise_score")
    reasons = table_named("scoring.score_reasons")
    codes = [f"C{i}" for i in range(30)]
    for day, composite, first_reason in (("2026-11-01", 10.0, "+ a"), ("2026-11-02", 20.0, "- b")):
        write_partition(
            root, scores, pl.DataFrame({"credit_code": codes, "composite": composite}), day
        )
        said = [[first_reason]] + [["+ same"]] * (len(codes) - 1)
        write_partition(
            root, reasons, pl.DataFrame({"credit_code": codes, "top_reasons": said}), day
        )
    # the second date's reasons are stored as the one change
    stored = lake._read_stored(root, reasons, ["2026-11-02"])
    assert stored is not None and stored.height < len(codes)
    publish_warehouse(root)
    view = run_query(
        root,
        "SELECT as_of_date::VARCHAR AS d, credit_code, composite, top_reasons "
        "FROM scoring.enterprise_score WHERE credit_code IN ('C0', 'C1') ORDER BY d, credit_code",
    )
    assert view.rows() == [
        ("2026-11-01", "C0", 10.0, ["+ a"]),
        ("2026-11-01", "C1", 10.0, ["+ same"]),
        ("2026-11-02", "C0", 20.0, ["- b"]),
        ("2026-11-02", "C1", 20.0, ["+ same"]),
    ]
    assert run_query(root, "SELECT count(*) FROM scoring.enterprise_score").item() == 60


def test_status_tells_which_lake_writes_the_published_warehouse_does_not_show(
    root: DataRoot,
) -> None:
    assert unpublished_writes(root) is None  # nothing published yet
    _enterprise(root, "2026-11-01", ["甲", "乙"])
    publish_warehouse(root)
    assert unpublished_writes(root) == {}
    # A run that writes and stops before its warehouse step: the rebuilt date and the
    # new one are written after the warehouse pinned the table.
    _enterprise(root, "2026-11-01", ["甲", "乙", "丙"])
    _enterprise(root, "2026-11-02", ["甲"])
    assert unpublished_writes(root) == {"core.enterprise": ["2026-11-01", "2026-11-02"]}
    publish_warehouse(root)
    assert unpublished_writes(root) == {}


def test_status_reads_what_analysts_query_not_a_snapshot_never_swapped_in(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run killed in its warehouse step after writing the new snapshot under published/
    # and before swapping warehouse.duckdb to it: analysts still query the old one, which
    # does not show the run's writes, so status must not say it shows every lake write.
    _enterprise(root, "2026-11-01", ["甲", "乙"])
    publish_warehouse(root)
    _enterprise(root, "2026-11-02", ["甲"])
    real = publish.atomic_write
    calls: list[Path] = []

    def killed_before_the_swap(path: Path, write: Callable[[Path], object]) -> Path:
        calls.append(path)
        if path == root.warehouse:
            raise KeyboardInterrupt("killed")
        return real(path, write)

    monkeypatch.setattr(publish, "atomic_write", killed_before_the_swap)
    with pytest.raises(KeyboardInterrupt):
        publish_warehouse(root)
    assert len(calls) == 2  # the snapshot was written, the swap was not
    assert unpublished_writes(root) == {"core.enterprise": ["2026-11-02"]}
