"""The analysts' sandbox: read only the published warehouse, write nothing, see no personal data."""

from __future__ import annotations

import os
import shutil
import threading
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from capscore.storage import tables
from capscore.storage.lake import snapshot, write_export, write_partition
from capscore.storage.paths import DataRoot
from capscore.warehouse.publish import publish_warehouse
from capscore.warehouse.query import (
    QueryRefused,
    QueryTimedOut,
    SettingInvalid,
    WarehouseMoved,
    analyst_connection,
    format_result,
    run_query,
)
from pipelines.cli import main as capscore

DAY = date(2026, 11, 20)


@pytest.fixture
def root(tmp_path: Path) -> DataRoot:
    root = DataRoot.resolve(tmp_path / "root")
    raw = pl.DataFrame(
        {"credit_code": ["C1"], "name": ["甲公司"], "legal_representative": ["张三丰"]}
    )
    write_partition(root, tables.RAW_REGISTRY, raw, DAY)
    write_partition(root, tables.ENTERPRISE, raw.drop("legal_representative"), DAY)
    limits = pl.DataFrame({"credit_code": ["C1"], "product": ["tech_credit"], "limit_wan": [9.0]})
    write_partition(root, tables.CREDIT_LIMIT, limits, DAY)
    write_export(root, tables.CREDIT_EXPORT, limits, DAY)
    quarantine = pl.DataFrame(
        {
            "raw_record": [
                '{"legal_representative": "李四光", "inventors": ["王五"]}',
                # A rejected row keeps the columns the contract does not know (a filer).
                '{"status": "营业", "填报人": "钱多多", "备注": "嘉兴华泰汽车零部件有限公司"}',
                # Unknown columns may hold several names (a list, a joined cell).
                '{"status": "在业", "联系人": "吴小美;郑大福", "股东": ["冯一", "陈二"]}',
                # A line that could not be split into columns: no field names to go by.
                '{"_line": "C2,嘉兴华泰汽车零部件有限公司,赵六,\\"孙七;周八\\",存续"}',
            ]
        }
    )
    write_partition(root, tables.QUARANTINE, quarantine, "registry", DAY)
    # A column the contract does not know, kept as landed: a filer's name.
    rd = pl.DataFrame(
        {
            "credit_code": ["C1"],
            "_extra": ['{"填报人": "王小明", "备注": "嘉兴华泰汽车零部件有限公司"}'],
        }
    )
    write_partition(root, tables.RAW_RD_RECORDS, rd, DAY)
    publish_warehouse(root)
    return root


def _raw_file(root: DataRoot) -> str:
    found = snapshot(root, tables.RAW_REGISTRY)
    assert found is not None
    return found[1][0]


def test_an_analyst_can_read_the_published_tables(root: DataRoot) -> None:
    assert run_query(root, "SELECT limit_wan FROM credit.credit_limit").item() == 9.0
    assert run_query(root, "SELECT name FROM core.enterprise").item() == "甲公司"


def test_no_statement_can_write_a_file(root: DataRoot) -> None:
    export = next((root.lake / "credit" / "credit_limit").rglob("*.parquet"))
    before = export.read_bytes()
    for sql in (
        f"COPY (SELECT 1 AS x) TO '{export}'",
        f"EXPORT DATABASE '{root.root / 'out'}'",
        "CREATE TABLE t AS SELECT 1",
        f"ATTACH '{root.root / 'x.duckdb'}'",
        "INSTALL httpfs",
    ):
        with pytest.raises(QueryRefused):
            run_query(root, sql)
    assert export.read_bytes() == before
    assert not (root.root / "out").exists()


def test_a_write_wrapped_in_explain_analyze_is_refused(root: DataRoot) -> None:
    # EXPLAIN ANALYZE runs the statement it explains, and the sandbox may open the files
    # the views pin: a COPY without a temp file would overwrite a lake file in place.
    with analyst_connection(root) as con:
        pinned = con.sql("SELECT file FROM meta.analyst_files")["file"].to_list()
    target = Path(pinned[0])
    before = target.read_bytes()
    for sql in (
        f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{target}' (FORMAT csv, USE_TMP_FILE false)",
        f"explain /* a comment */ analyse COPY (SELECT 1 AS x) TO '{target}' (USE_TMP_FILE 0)",
        f"EXPLAIN (FORMAT json) COPY (SELECT 1 AS x) TO '{target}'",
        "EXPLAIN ANALYZE CREATE TEMP TABLE t AS SELECT 1",
        "SELECT 1; EXPLAIN ANALYZE CREATE TEMP MACRO m(a) AS a",
    ):
        with pytest.raises(QueryRefused):
            run_query(root, sql)
    assert target.read_bytes() == before
    # Explaining a read still works, with or without ANALYZE.
    for sql in (
        "EXPLAIN SELECT limit_wan FROM credit.credit_limit",
        "EXPLAIN ANALYZE SELECT limit_wan FROM credit.credit_limit",
        "EXPLAIN (FORMAT json) SELECT 1",
    ):
        assert run_query(root, sql).height >= 1


def test_nothing_outside_the_warehouse_can_be_read(root: DataRoot) -> None:
    for sql in (
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT * FROM read_parquet('{_raw_file(root)}')",  # raw: unmasked personal data
        f"SELECT * FROM glob('{root.lake}/**')",
    ):
        with pytest.raises(duckdb.Error, match=r"Permission|disabled"):
            run_query(root, sql)
    with analyst_connection(root) as con:
        with pytest.raises(QueryRefused):
            con.execute("SET enable_external_access = true")
        # Even a statement the filter lets through cannot change the locked settings.
        with pytest.raises(duckdb.Error, match="Cannot change configuration"):
            con.execute("PRAGMA enable_profiling")


def test_personal_data_is_masked_wherever_an_analyst_can_see_it(root: DataRoot) -> None:
    records = run_query(root, "SELECT raw_record FROM quality.quarantine")["raw_record"]
    text = " ".join(records)
    for name in (
        "李四光",
        "王五",
        "赵六",
        "孙七",
        "周八",
        "钱多多",
        "吴小美",
        "郑大福",
        "冯一",
        "陈二",
    ):
        assert name not in text
    assert "李**" in text and "赵**" in text and "嘉兴华泰汽车零部件有限公司" in text
    # As in `_extra`: an unknown column's short Han value is masked, a contract column's is not.
    assert '{"status":"营业","填报人":"钱**","备注":"嘉兴华泰汽车零部件有限公司"}' in records
    assert '{"status":"在业","联系人":"吴**;郑**","股东":["冯**","陈**"]}' in records
    # The raw rows keep what landed: an analyst is told where they are masked.
    for sql, where in (
        ("SELECT legal_representative FROM raw.registry", r"raw\.registry: .* core\.enterprise"),
        ('SELECT count(*) FROM (SELECT * FROM "RAW"."Registry")', r"raw\.registry"),
        ("SELECT _extra FROM raw.rd_records", r"raw\.rd_records: .* core\.rd_filing and er"),
    ):
        with pytest.raises(QueryRefused, match=where):
            run_query(root, sql)


def test_no_pinned_file_holds_a_name_the_views_mask(root: DataRoot) -> None:
    # The sandbox can read every file meta.analyst_files lists: masking in a view is
    # worth nothing if the file under it holds the name (raw R&D filings keep `_extra`
    # as landed, a filer's name included).
    found = snapshot(root, tables.RAW_RD_RECORDS)
    assert found is not None
    with analyst_connection(root) as con:
        pinned = set(con.sql("SELECT file FROM meta.analyst_files")["file"].to_list())
        for file in pinned:
            columns = con.sql(f"DESCRIBE SELECT * FROM read_parquet('{file}')")
            if "_extra" in columns["column_name"].to_list():
                text = " ".join(
                    con.sql(f"SELECT _extra FROM read_parquet('{file}')")["_extra"].drop_nulls()
                )
                assert "王小明" not in text, file
    for file in found[1]:
        with pytest.raises(duckdb.Error, match="Permission"):
            run_query(root, f"SELECT _extra FROM read_parquet('{file}')")


def test_an_analyst_query_neither_spills_into_the_root_nor_takes_all_memory(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read-only session spills a large sort to `<warehouse>.tmp/`, in the data root,
    # up to 90% of the free disk by default: an analyst could fill the disk the nightly
    # run writes to. Its memory is capped (CAPSCORE_ANALYST_MEMORY_LIMIT) and it spills
    # nowhere: past the cap the query fails, alone.
    monkeypatch.setenv("CAPSCORE_ANALYST_MEMORY_LIMIT", "64MB")
    with analyst_connection(root) as con:
        settings = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        )
        assert settings == [("61.0 MiB", "")]
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute("SELECT count(*) FROM (SELECT * FROM range(20000000) ORDER BY random())")
    assert not list(root.root.glob("*.tmp"))
    monkeypatch.delenv("CAPSCORE_ANALYST_MEMORY_LIMIT")
    with analyst_connection(root) as con:
        limit = con.execute("SELECT current_setting('memory_limit')")[0][0]
        default = duckdb.connect().execute("SELECT current_setting('memory_limit')").fetchone()
        assert default is not None and limit != default[0]


def test_a_sql_error_is_one_line(root: DataRoot, capsys: pytest.CaptureFixture[str]) -> None:
    code = capscore(["query", "--data-root", str(root.root), "SELEC nonsense"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("capscore query:")
    assert "Traceback" not in err


def test_any_column_type_prints_in_every_format(
    root: DataRoot, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = (
        "SELECT map {'a': 1::UBIGINT} AS m, {'x': 1, 'y': [1, 2]} AS s, [{'a': 1}] AS ls, "
        "['甲', '乙'] AS l, interval 3 day AS iv, 'ab'::BLOB AS b, sum(2::HUGEINT) AS h"
    )
    printed = {}
    for fmt in ("table", "csv", "json"):
        assert capscore(["query", "--data-root", str(root.root), "--format", fmt, sql]) == 0
        printed[fmt] = capsys.readouterr().out
    assert printed["csv"].splitlines()[1].startswith('"{""a"": 1}",')
    assert "甲; 乙" in printed["csv"] and "3 days" in printed["csv"]
    assert '"h":2' in printed["json"] and '"iv":"3 days"' in printed["json"]


def test_a_copied_root_never_reads_the_original_lake(
    root: DataRoot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = DataRoot.resolve(tmp_path / "copy")
    shutil.copytree(root.root, copy.root)
    with pytest.raises(WarehouseMoved, match="capscore publish"):
        run_query(copy, "SELECT 1")
    (copy.landing / "registry" / DAY.isoformat()).mkdir(parents=True)
    assert capscore(["status", "--data-root", str(copy.root)]) == 1
    assert f"published for the data root {root.root}" in capsys.readouterr().out
    assert capscore(["publish", "--data-root", str(copy.root)]) == 0
    assert run_query(copy, "SELECT limit_wan FROM credit.credit_limit").item() == 9.0
    with analyst_connection(copy) as con:
        files = con.sql("SELECT file FROM meta.analyst_files")["file"].to_list()
    assert files and all(f.startswith(str(copy.root)) for f in files)


# A cross join of 10^14 pairs that no optimizer can skip: hours of CPU, never a result.
RUNAWAY = "SELECT count(*) FROM range(100000000) a, range(1000000) b WHERE a.range + b.range < 0"


def _watches() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "capscore-analyst-timeout"]


def test_a_runaway_query_is_stopped_at_the_time_limit_and_the_session_goes_on(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An analyst's runaway cross join held the CPU the nightly run needs for hours: each
    # query gets a time limit (CAPSCORE_ANALYST_TIMEOUT), past which DuckDB is
    # interrupted; the session stays usable and nothing is written.
    monkeypatch.setenv("CAPSCORE_ANALYST_TIMEOUT", "0.5")
    with analyst_connection(root) as con:
        for run in (con.sql, con.execute):
            started = time.monotonic()
            with pytest.raises(QueryTimedOut, match=r"0\.5 s.*--timeout.*CAPSCORE_ANALYST_TIMEOUT"):
                run(RUNAWAY)
            # Generous for a loaded machine: without the limit the query runs for hours.
            assert time.monotonic() - started < 60
            assert con.execute("SELECT limit_wan FROM credit.credit_limit") == [(9.0,)]
            assert con.sql("SELECT name FROM core.enterprise").item() == "甲公司"
        # The watch over each query ends with it: no thread is left to fire later.
        assert not _watches()
    monkeypatch.delenv("CAPSCORE_ANALYST_TIMEOUT")
    with analyst_connection(root, timeout=0.5) as con, pytest.raises(QueryTimedOut):
        con.sql(RUNAWAY)
    assert not _watches()


def test_a_call_that_returns_past_the_limit_is_stopped_and_the_interrupt_stops_nothing_later(
    root: DataRoot,
) -> None:
    # The limit covers the whole call, fetching the rows too: DuckDB finished in time, but
    # the call returns after the limit (here: it sleeps after fetching, as a slow
    # conversion of the rows would, where DuckDB cannot be interrupted), so it fails like
    # a query DuckDB was interrupted in. The interrupt the watch sent meanwhile, to an
    # idle connection, stops nothing later.
    with analyst_connection(root, timeout=0.2) as con:

        def fetched_then_slow() -> list[tuple[object, ...]]:
            rows = con._con.execute("SELECT 41 + 1").fetchall()
            time.sleep(1.5)
            return rows

        with pytest.raises(QueryTimedOut, match=r"0\.2 s"):
            con._within_limit(fetched_then_slow)
        for _ in range(50):
            assert con.execute("SELECT limit_wan FROM credit.credit_limit") == [(9.0,)]
    assert not _watches()


def test_an_analyst_session_leaves_cores_to_the_nightly_run(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    cores = os.cpu_count()
    assert cores is not None
    monkeypatch.setenv("CAPSCORE_ANALYST_THREADS", str(cores))  # the most it may ask for
    with analyst_connection(root) as con:
        assert con.execute("SELECT current_setting('threads')") == [(cores,)]
    monkeypatch.delenv("CAPSCORE_ANALYST_THREADS")
    with analyst_connection(root) as con:
        (threads,) = con.execute("SELECT current_setting('threads')")[0]
    assert 1 <= threads <= max(1, len(os.sched_getaffinity(0)) // 4)


def test_a_query_past_the_time_limit_is_one_line_saying_how_to_raise_it(
    root: DataRoot, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--data-root", str(root.root)]
    assert capscore(["query", *where, "--timeout", "0.5", RUNAWAY]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("capscore query: ") and "0.5 s" in err
    assert "--timeout SECONDS" in err and "CAPSCORE_ANALYST_TIMEOUT" in err
    assert capscore(["query", *where, "--timeout", "0.5", "SELECT 42 AS x"]) == 0
    assert "42" in capsys.readouterr().out
    for bad in ("0", "-1", "nan", "soon"):
        with pytest.raises(SystemExit):
            capscore(["query", *where, "--timeout", bad, "SELECT 1"])
        assert "--timeout" in capsys.readouterr().err


def test_more_analyst_threads_than_the_machine_has_cores_are_refused(
    root: DataRoot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # $CAPSCORE_ANALYST_THREADS above the cores was handed to DuckDB as asked: threads
    # fighting over the cores the nightly run needs, which is what the setting exists
    # to prevent. Refused like a number below one, saying the most it may be.
    cores = os.cpu_count()
    assert cores is not None
    where = ["query", "--data-root", str(root.root), "SELECT 42 AS x"]
    for bad in (str(cores + 1), str(cores * 8), "0", "-1", "two"):
        monkeypatch.setenv("CAPSCORE_ANALYST_THREADS", bad)
        with pytest.raises(
            SettingInvalid,
            match=rf"CAPSCORE_ANALYST_THREADS must be a whole number of threads from 1 to "
            rf"{cores} \(this machine's cores\), got '{bad}'",
        ):
            analyst_connection(root)
        assert capscore(where) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("capscore query: $CAPSCORE_ANALYST")
        assert f"to {cores} " in err
    monkeypatch.setenv("CAPSCORE_ANALYST_THREADS", str(cores))
    assert capscore(where) == 0 and "42" in capsys.readouterr().out


# Two million rows, each a list of structs: DuckDB runs the query and hands the rows over
# in a fraction of a second, but CSV has no nested values, so each one is written as JSON
# text, seconds of work on any machine.
SLOW_TO_WRITE = "SELECT range AS i, [{'a': range}] AS ls FROM range(2000000)"


def test_the_time_limit_covers_fetching_and_writing_the_answer(
    root: DataRoot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The limit interrupted DuckDB while the query ran, but not what `capscore query`
    # does with the rows after: turned into CSV and written to --out, they took many
    # times the limit, and the file was written anyway. Now the whole answer is inside
    # the limit: past it the command fails as a runaway query does, writes nothing and
    # prints nothing.
    limit = 2.0
    with analyst_connection(root, timeout=limit) as con:
        # The premise: running the query and fetching its rows fits the limit.
        assert con.sql(SLOW_TO_WRITE).height == 2_000_000
    where = ["query", "--data-root", str(root.root), "--timeout", str(limit), "--format", "csv"]
    folder = tmp_path / "answers"
    folder.mkdir()
    out = folder / "rows.csv"
    started = time.monotonic()
    code = capscore([*where, "--out", str(out), SLOW_TO_WRITE])
    took = time.monotonic() - started
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.err.startswith("capscore query: the query ran past the time limit of 2 s")
    assert captured.err.count("\n") == 1 and captured.out == ""
    assert list(folder.iterdir()) == []  # no file, no temporary file left behind
    # Stopped near the limit, not after writing every row (a generous margin for a
    # loaded machine: what is left over is at most one slice of rows).
    assert took < limit + 4, took
    # To stdout: nothing printed, not the rows written before the limit.
    assert capscore([*where, SLOW_TO_WRITE]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "time limit of 2 s" in captured.err
    # An answer in time is written whole, in one rename, with nothing else left.
    assert capscore([*where, "--out", str(out), "SELECT 1 AS x UNION ALL SELECT 2"]) == 0
    assert out.read_text(encoding="utf-8").splitlines() == ["x", "1", "2"]
    assert [p.name for p in folder.iterdir()] == ["rows.csv"]
    # Past the limit, a file already there is left as it was.
    assert capscore([*where, "--out", str(out), SLOW_TO_WRITE]) == 2
    assert "time limit of 2 s" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8").splitlines() == ["x", "1", "2"]
    assert [p.name for p in folder.iterdir()] == ["rows.csv"]


def test_an_answer_written_in_slices_reads_as_one_written_whole() -> None:
    # The answer is formatted a slice of rows at a time (so that the limit can stop it
    # between slices): a header once, one JSON array, every type as before.
    from capscore.warehouse.query import _pieces

    frame = pl.DataFrame(
        {
            "i": list(range(7)),
            "l": [["甲", "乙"], None, [], ["a"], ["b", "c"], None, ["d"]],
            "ls": [[{"a": i}] for i in range(7)],
            "s": [None, "x", "y,z", 'q"', "", "5", "6"],
            "h": pl.Series([1, 2, None, 4, 5, 6, 7], dtype=pl.Decimal(38, 0)),
        }
    )
    for fmt in ("table", "csv", "json"):
        whole = format_result(frame, fmt)
        for rows in (1, 3, 7, 100):
            assert "".join(_pieces(frame, fmt, rows)) == whole, (fmt, rows)
        empty = frame.head(0)
        assert "".join(_pieces(empty, fmt, 3)) == format_result(empty, fmt)
