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
from tests.e2e.conftest import (
    FIRM_CALLED_LIKE_A_PERSON,
    PERSON_FILERS,
    PLANTED_FILINGS,
    PLANTED_YEAR,
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


def _quarantined(root: DataRoot, source: str, column: str) -> list[str]:
    """Every name in `column` of the quarantined rows of `source` as read (a list, a
    `;`-joined cell or one name)."""
    records = scan(root, QUARANTINE).filter(pl.col("source") == source).collect()["raw_record"]
    return [
        name
        for record in records.drop_nulls()
        if record.startswith("{")
        for value in [json.loads(record).get(column)]
        if value
        for name in (value if isinstance(value, list) else str(value).split(";"))
        if isinstance(name, str)
    ]


def _persons(root: DataRoot) -> set[str]:
    """Every patent applicant and every R&D filer's name that landed (loaded or
    quarantined) and reads as a person."""
    from capscore.core.applicant_kinds import classify_kinds
    from capscore.storage.tables import RAW_PATENTS, RAW_RD_RECORDS

    loaded = scan(root, RAW_PATENTS).select(pl.col("applicants").explode()).collect()
    filers = scan(root, RAW_RD_RECORDS).select("enterprise_name").collect()
    names = pl.concat(
        [
            loaded["applicants"],
            pl.Series(_quarantined(root, "patents", "applicants"), dtype=pl.String),
            filers["enterprise_name"],
            pl.Series(_quarantined(root, "rd_records", "enterprise_name"), dtype=pl.String),
        ]
    )
    names = names.drop_nulls().str.strip_chars().unique()
    return set(names.filter(classify_kinds(names) == "individual").to_list()) - {""}


def test_no_individual_applicant_or_filer_is_readable_by_an_analyst(dirty_root: DataRoot) -> None:
    # A patent applicant who is a person is personal data like an inventor, and so is a
    # person's name written where an R&D filing's firm goes: masked in every relation
    # an analyst can query and in every file the sandbox may read.
    people = _persons(dirty_root)
    assert len(people) > 20 and set(PERSON_FILERS) <= people
    # A name as a JSON value, also inside a JSON text (a quarantined row as read); the
    # planted filers' anywhere (a reason quotes a duplicate key unquoted).
    quoted = [f'"{name}"' for name in people] + [f'\\"{name}\\"' for name in people]
    quoted += list(PERSON_FILERS)

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
        assert {
            "er.applicant_links_asof",
            "core.patent_asof",
            "quality.quarantine",
            "er.rd_links_asof",
            "core.rd_filing_asof",
            "er.review_queue_asof",
            "mart.er_review_queue",
        } <= set(seen)
        for relation in seen:
            assert not leaked(con, relation), relation
        files = con.sql("SELECT file FROM meta.analyst_files")["file"].to_list()
        assert any("/er/applicant_links" in f for f in files)
        assert any("/er/rd_links" in f for f in files)
        assert any("/core/rd_filing" in f for f in files)
        for file in files:
            assert not leaked(con, f"read_parquet('{file}')"), file
    # ...and the masked text says who it is not: 张三丰 -> 张**.
    links = run_query(dirty_root, "SELECT applicant, applicant_kind FROM er.applicant_links")
    individuals = links.filter(pl.col("applicant_kind") == "individual")["applicant"]
    assert individuals.len() > 0 and individuals.str.contains(r"^\S\*+$").all()


def test_a_filing_under_a_person_s_name_is_shown_masked_with_its_link(
    dirty_root: DataRoot,
) -> None:
    planted = f"%/{PLANTED_FILINGS}"
    links = run_query(
        dirty_root,
        "SELECT row_number, enterprise_name, credit_code_as_filed, credit_code, method, "
        f"decision FROM er.rd_links WHERE file LIKE '{planted}' ORDER BY row_number",
    )
    rows = links.rows_by_key("row_number", named=True, unique=True)
    # Row 2 is the quarantined copy of row 1.
    assert sorted(rows) == [1, 3, 4, 5]
    # Linked by its registered code whatever name it was filed under, masked.
    code = rows[1]["credit_code_as_filed"]
    assert (rows[1]["enterprise_name"], rows[1]["decision"], rows[1]["credit_code"]) == (
        "王**",
        "matched",
        code,
    )
    # By a person's name alone, no firm: shown masked with that decision.
    assert (rows[3]["enterprise_name"], rows[4]["enterprise_name"]) == ("王**", "L******")
    assert rows[3]["decision"] in ("unmatched", "review")
    assert rows[4]["decision"] in ("unmatched", "review")
    # A firm called like a person is shown as written.
    assert rows[5]["enterprise_name"] == FIRM_CALLED_LIKE_A_PERSON
    # The linked filing is the firm's filing of that year, masked in core too.
    filing = run_query(
        dirty_root,
        "SELECT enterprise_name, revenue FROM core.rd_filing "
        f"WHERE credit_code = '{code}' AND fiscal_year = {PLANTED_YEAR}",
    )
    assert filing.rows() == [("王**", 100.0)]
    # Its copy, quarantined, is masked in the row as read and in the reason.
    copy = run_query(
        dirty_root,
        "SELECT rule, reason, raw_record FROM quality.quarantine "
        f"WHERE file LIKE '{planted}' AND row_number = 2",
    )
    assert copy["rule"].to_list() == ["duplicate_key"]
    assert "enterprise_name=王**," in copy["reason"].item()
    assert '"enterprise_name":"王**"' in copy["raw_record"].item()
