"""Ingest on dirty generated data: reconciliation, and quarantine exactly = the injected bad rows."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pytest

from capscore.storage.lake import scan
from capscore.storage.paths import DataRoot
from capscore.storage.tables import LOAD_AUDIT, QUARANTINE
from capscore.warehouse.query import (
    CLOSED_TO_ANALYSTS,
    AnalystConnection,
    analyst_connection,
    run_query,
)

pytestmark = pytest.mark.e2e


def _truth_bad_rows(root: DataRoot) -> pl.DataFrame:
    return pl.read_csv(
        root.truth / "bad_rows.csv",
        schema_overrides={"row_number": pl.Int64, "partition_date": pl.Utf8},
    )


def test_every_file_reconciles(dirty_root: DataRoot) -> None:
    audit = scan(dirty_root, LOAD_AUDIT).collect()
    landed = {p.relative_to(dirty_root.root).as_posix() for p in dirty_root.landing.glob("*/*/*")}
    assert set(audit["file"]) == landed
    broken = audit.filter(pl.col("rows_read") != pl.col("rows_loaded") + pl.col("rows_quarantined"))
    assert broken.is_empty(), broken
    quarantine = scan(dirty_root, QUARANTINE).collect()
    per_file = quarantine.filter(pl.col("row_number").is_not_null()).group_by("file").len()
    joined = audit.join(per_file, on="file", how="left").with_columns(pl.col("len").fill_null(0))
    mismatched = joined.filter(pl.col("len") != pl.col("rows_quarantined"))
    assert mismatched.is_empty(), mismatched


def test_every_injected_bad_row_is_quarantined_with_its_rule(dirty_root: DataRoot) -> None:
    truth = _truth_bad_rows(dirty_root)
    assert truth.height > 0
    quarantine = scan(dirty_root, QUARANTINE).collect()
    found = truth.join(
        quarantine.select("file", "row_number", "rules", "reason"),
        on=["file", "row_number"],
        how="left",
        nulls_equal=True,
    )
    missing = found.filter(pl.col("reason").is_null())
    assert missing.is_empty(), f"injected bad rows not in quarantine:\n{missing}"
    wrong_rule = found.filter(~pl.col("rules").list.contains(pl.col("rule")))
    assert wrong_rule.is_empty(), f"quarantined for another reason:\n{wrong_rule}"


def test_no_clean_row_is_quarantined(dirty_root: DataRoot) -> None:
    truth = _truth_bad_rows(dirty_root).select("file", "row_number")
    whole_files = truth.filter(pl.col("row_number").is_null()).select("file")
    quarantine = scan(dirty_root, QUARANTINE).collect()
    # Rows of a file rejected whole are kept in quarantine too (as read), not lost.
    in_clean_files = quarantine.join(whole_files, on="file", how="anti")
    extra = in_clean_files.join(truth, on=["file", "row_number"], how="anti", nulls_equal=True)
    assert extra.is_empty(), f"clean rows quarantined:\n{extra}"


def test_warehouse_exposes_quality_with_masked_personal_data(dirty_root: DataRoot) -> None:
    con = duckdb.connect(str(dirty_root.warehouse), read_only=True)
    try:
        audit_rows = con.execute("SELECT count(*) FROM quality.load_audit").fetchall()[0]
        assert audit_rows is not None and audit_rows[0] > 0
        reps = con.sql(
            "SELECT legal_representative FROM core.enterprise WHERE legal_representative IS NOT NULL"
        ).fetchall()
        assert reps and all(r[0][1:] == "*" * (len(r[0]) - 1) for r in reps)
    finally:
        con.close()


def _individual_applicants(root: DataRoot) -> set[str]:
    """Every applicant name that landed (loaded or quarantined) and reads as a person."""
    from capscore.core.applicant_kinds import classify_kinds
    from capscore.storage.tables import RAW_PATENTS

    loaded = scan(root, RAW_PATENTS).select(pl.col("applicants").explode()).collect()
    records = scan(root, QUARANTINE).filter(pl.col("source") == "patents").collect()["raw_record"]
    quarantined = [
        name
        for record in records.drop_nulls()
        if record.startswith("{")
        for value in [json.loads(record).get("applicants")]
        if value
        for name in (value if isinstance(value, list) else str(value).split(";"))
        if isinstance(name, str)
    ]
    names = pl.concat([loaded["applicants"], pl.Series(quarantined, dtype=pl.String)])
    names = names.drop_nulls().str.strip_chars().unique()
    return set(names.filter(classify_kinds(names) == "individual").to_list()) - {""}


def test_no_individual_applicant_is_readable_by_an_analyst(dirty_root: DataRoot) -> None:
    # A patent applicant who is a person is personal data like an inventor: masked in
    # every relation an analyst can query and in every file the sandbox may read.
    people = _individual_applicants(dirty_root)
    assert len(people) > 20
    quoted = [f'"{name}"' for name in people]

    def leaked(con: AnalystConnection, source: str) -> list[str]:
        rows = con.sql(f"SELECT to_json(t)::VARCHAR AS j FROM {source} AS t")["j"]
        text = "\n".join(rows.drop_nulls().to_list())
        return [name for name in quoted if name in text]

    with analyst_connection(dirty_root) as con:
        relations = con.sql(
            "SELECT schema_name || '.' || view_name AS r FROM duckdb_views() WHERE NOT internal "
            "UNION SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT internal"
        )["r"].to_list()
        seen = [r for r in relations if r not in CLOSED_TO_ANALYSTS and not r.startswith("meta.")]
        assert {"er.applicant_links_asof", "core.patent_asof", "quality.quarantine"} <= set(seen)
        for relation in seen:
            assert not leaked(con, relation), relation
        files = con.sql("SELECT file FROM meta.analyst_files")["file"].to_list()
        assert any("/er/applicant_links" in f for f in files)
        for file in files:
            assert not leaked(con, f"read_parquet('{file}')"), file
    # ...and the masked text says who it is not: 张三丰 -> 张**.
    links = run_query(dirty_root, "SELECT applicant, applicant_kind FROM er.applicant_links")
    individuals = links.filter(pl.col("applicant_kind") == "individual")["applicant"]
    assert individuals.len() > 0 and individuals.str.contains(r"^\S\*+$").all()
