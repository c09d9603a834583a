"""The data dictionary generator, on a small hand-made warehouse."""

from pathlib import Path

import duckdb
import pytest

from capscore.sql_library import SQL_DIR
from capscore.storage.paths import DataRoot
from capscore.warehouse.data_dictionary import (
    UNDOCUMENTED,
    describe_warehouse,
    main,
    parse_sql_header,
    render,
    sql_view_docs,
    undocumented,
)
from tests.unit.test_report_asset import build_warehouse


def test_header_parsing():
    relation, description, columns = parse_sql_header(
        "-- mart.x\n-- First line\n-- second line.\n--\n-- columns:\n"
        '--   a: the a\n--   "column": quoted name\n--     continued here\nSELECT 1\n-- a: not header\n'
    )
    assert relation == "mart.x"
    assert description == "First line second line."
    assert columns == {"a": "the a", "column": "quoted name continued here"}
    with pytest.raises(ValueError):
        parse_sql_header("SELECT 1")


def test_every_view_file_documents_every_column_it_returns(tmp_path: Path):
    build_warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    docs = sql_view_docs()
    for path in SQL_DIR.glob("mart_*.sql"):
        relation = f"mart.{path.stem.removeprefix('mart_')}"
        returned = [r[0] for r in con.sql(f"DESCRIBE {relation}").fetchall()]
        assert list(docs[relation].columns) == returned, relation
        assert docs[relation].description
        assert "sql/" in docs[relation].source
    con.close()


def test_dictionary_lists_every_relation_and_column_with_its_meaning(tmp_path: Path):
    build_warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    con_rel = describe_warehouse(con)
    con.close()
    names = [r.qualified for r in con_rel]
    assert (
        names.index("quality.load_audit")
        < names.index("core.enterprise_asof")
        < names.index("mart.data_quality")
    )
    scorecard = next(r for r in con_rel if r.qualified == "mart.enterprise_scorecard")
    assert (
        "over `core.enterprise_asof`" in scorecard.source
        or "`core.enterprise_asof`" in scorecard.source
    )
    meanings = {c.name: c.meaning for c in scorecard.columns}
    assert meanings["legal_representative_masked"].startswith("legal representative")
    audit = next(r for r in con_rel if r.qualified == "quality.load_audit")
    assert {c.name: c.meaning for c in audit.columns}[
        "status"
    ] == "loaded or rejected (the whole file)"
    assert "written by assets `raw/registry`, `raw/patents`, `raw/rd_records`" in audit.source
    assert not [item for item in undocumented(con_rel) if item.startswith("mart.")]
    text = render(con_rel)
    assert "### mart.tier_movers" in text
    assert "| `composite_change` | DOUBLE | to_composite - from_composite |" in text


def test_undocumented_columns_are_flagged(tmp_path: Path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    con.execute("CREATE TABLE core.enterprise_asof (credit_code VARCHAR, mystery_score DOUBLE)")
    relations = describe_warehouse(con)
    assert undocumented(relations) == ["core.enterprise_asof.mystery_score"]
    assert f"| `mystery_score` | DOUBLE | {UNDOCUMENTED} |" in render(relations)


def test_cli_writes_then_checks(tmp_path: Path, capsys):
    root = DataRoot(tmp_path.resolve())
    build_warehouse(root.warehouse)
    out = tmp_path / "dictionary.md"
    assert main(["--data-root", str(root.root), "--output", str(out), "--check"]) == 1
    assert main(["--data-root", str(root.root), "--output", str(out)]) == 0
    assert main(["--data-root", str(root.root), "--output", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited\n", encoding="utf-8")
    assert main(["--data-root", str(root.root), "--output", str(out), "--check"]) == 1
    assert main(["--data-root", str(tmp_path / "nowhere"), "--output", str(out)]) == 2
