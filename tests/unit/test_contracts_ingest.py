"""Every bad-input kind of sources.md, through a drop read from a tmp data root and checked."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from capscore.landing.drops import discover
from capscore.landing.read import read_drop
from capscore.storage.paths import DataRoot
from capscore.storage.tables import SOURCES
from data_contracts.contract import load_contract
from data_contracts.ingest import LOAD_AUDIT_SCHEMA, IngestResult, ingest_files
from data_contracts.reconcile import reconcile
from data_contracts.schemas import QUARANTINE_SCHEMA, TYPE_DTYPES, raw_schema

DROP = date(2026, 11, 12)
CODE_A = "91350100M000100Y43"
CODE_B = "91110000600037341L"

REGISTRY = {
    "credit_code": CODE_A,
    "name": "浙江科亿国际智能悬架技术有限公司",
    "former_names": "科亿(浙江)悬架有限公司; 嘉兴科亿",
    "english_name": "",
    "legal_form": "有限责任公司",
    "established_date": "2015-03-02",
    "status": "存续",
    "registered_capital": "1000.5",
    "industry_code": "C3670",
    "region_code": "330402",
    "address": "浙江省嘉兴市南湖区",
    "legal_representative": "张三",
    "insured_staff": "52",
    "hnte_valid_until": "2027-12-31",
    "srdi_level": "provincial",
    "snapshot_date": "2026-11-10",
}
PATENT = {
    "application_number": "CN202310123456.6",
    "patent_type": "invention",
    "title": "一种智能悬架系统",
    "application_date": "2023-01-05",
    "publication_date": "2023-07-05",
    "grant_date": "",
    "applicants": "浙江科亿国际智能悬架技术有限公司;浙江大学",
    "applicant_address": "",
    "inventors": "张三;李四",
    "ipc_codes": "B60G17/015",
    "claims_count": "10",
    "cited_applications": "CN201710601862.3",
    "legal_status": "pending",
    "pct": "false",
    "family_size": "2",
}
RD = {
    "credit_code": CODE_A,
    "enterprise_name": "浙江科亿国际智能悬架技术有限公司",
    "fiscal_year": "2025",
    "revenue": "5000",
    "rd_expense": "400.5",
    "net_profit": "-120",
    "total_assets": "8000",
    "total_liabilities": "3000",
    "rd_staff": "30",
    "total_staff": "200",
    "reported_date": "2026-04-30",
}
BASE = {"registry": REGISTRY, "patents": PATENT, "rd_records": RD}


def csv_bytes(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def drop(tmp_path: Path, source: str, files: dict[str, bytes]) -> IngestResult:
    folder = tmp_path / "landing" / source / DROP.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return ingest_drop(tmp_path, source, datetime(2026, 11, 12, tzinfo=UTC))


def ingest_drop(tmp_path: Path, source: str, loaded_at: datetime) -> IngestResult:
    contract = load_contract(source)
    root = DataRoot(tmp_path)
    landing = discover(root, time.time_ns(), sources=[source], days=[DROP])
    files = read_drop(root, landing.drop(source, DROP), contract.hints)
    return ingest_files(files, contract, DROP, loaded_at)


def one_bad(tmp_path: Path, source: str, **changes: str) -> dict[str, Any]:
    """Load the base row plus one changed copy; return the changed row's quarantine row."""
    result = drop(
        tmp_path, source, {"a.csv": csv_bytes([BASE[source], {**BASE[source], **changes}])}
    )
    assert result.accepted.height == 1, result.quarantine["reason"].to_list()
    assert result.quarantine.height == 1
    row: dict[str, Any] = result.quarantine.row(0, named=True)
    assert row["row_number"] == 2
    return row


@pytest.mark.parametrize(
    ("source", "changes", "rule", "column", "reason"),
    [
        (
            "registry",
            {"credit_code": "91350100M000100Y47"},
            "check_digit",
            "credit_code",
            "credit_code check digit mismatch: expected 3, got 7",
        ),
        (
            "registry",
            {"credit_code": CODE_A.lower()[:-1] + "3"},
            "bad_format",
            "credit_code",
            "upper case",
        ),
        (
            "registry",
            {"credit_code": ""},
            "missing_required",
            "credit_code",
            "credit_code is required",
        ),
        (
            "registry",
            {"status": "营业"},
            "unknown_value",
            "status",
            "status '营业' is not one of 存续, 在业, 迁入, 迁出, 停业, 吊销, 注销",
        ),
        ("registry", {"region_code": "33040"}, "bad_format", "region_code", "must be 6 digits"),
        ("registry", {"industry_code": "C36701"}, "bad_format", "industry_code", "letter"),
        (
            "registry",
            {"registered_capital": "-5"},
            "negative_amount",
            "registered_capital",
            "negative",
        ),
        (
            "registry",
            {"registered_capital": "1,000"},
            "malformed_number",
            "registered_capital",
            "'1,000'",
        ),
        (
            "registry",
            {"established_date": "2015-02-30"},
            "malformed_date",
            "established_date",
            "'2015-02-30'",
        ),
        (
            "registry",
            {"snapshot_date": "2027-01-03"},
            "future_date",
            "snapshot_date",
            "snapshot_date 2027-01-03 is after the drop date 2026-11-12",
        ),
        (
            "registry",
            {"established_date": "2026-11-11"},
            "date_order",
            "established_date",
            "after snapshot_date",
        ),
        ("registry", {"srdi_level": "gold"}, "unknown_value", "srdi_level", "'gold'"),
        (
            "patents",
            {"application_number": "CN202310123456.7"},
            "check_digit",
            "application_number",
            "application_number check digit mismatch: expected 6, got 7",
        ),
        (
            "patents",
            {"application_number": "2023101234.6"},
            "bad_format",
            "application_number",
            "12 digits",
        ),
        (
            "patents",
            {"patent_type": "design"},
            "type_number_mismatch",
            "patent_type",
            "digit 5 means invention",
        ),
        ("patents", {"legal_status": "alive"}, "unknown_value", "legal_status", "'alive'"),
        (
            "patents",
            {"applicants": " ; "},
            "missing_required",
            "applicants",
            "applicants is required",
        ),
        (
            "patents",
            {"publication_date": "2026-11-13"},
            "future_date",
            "publication_date",
            "drop date",
        ),
        (
            "patents",
            {"grant_date": "2022-12-31"},
            "date_order",
            "grant_date",
            "before application_date",
        ),
        ("patents", {"claims_count": "ten"}, "malformed_number", "claims_count", "whole number"),
        ("patents", {"pct": "maybe"}, "bad_format", "pct", "true or false"),
        (
            "rd_records",
            {"rd_expense": "10000.5"},
            "rd_expense_exceeds_revenue",
            "rd_expense",
            "rd_expense 10000.5 exceeds 2 × revenue 5000",
        ),
        ("rd_records", {"revenue": "-1"}, "negative_amount", "revenue", "revenue -1 is negative"),
        (
            "rd_records",
            {"reported_date": "2026/04/30"},
            "malformed_date",
            "reported_date",
            "YYYY-MM-DD",
        ),
        ("rd_records", {"fiscal_year": "2027"}, "future_date", "fiscal_year", "drop year 2026"),
        ("rd_records", {"fiscal_year": "1900"}, "bad_format", "fiscal_year", "below 1949"),
        (
            "rd_records",
            {"fiscal_year": "2026", "reported_date": "2025-06-30"},
            "date_order",
            "fiscal_year",
            "fiscal_year 2026 is after reported_date 2025-06-30",
        ),
        ("rd_records", {"enterprise_name": " "}, "missing_required", "enterprise_name", "required"),
    ],
)
def test_each_bad_value_is_quarantined_with_an_actionable_reason(
    tmp_path: Path, source: str, changes: dict[str, str], rule: str, column: str, reason: str
) -> None:
    row = one_bad(tmp_path, source, **changes)
    assert (row["rule"], row["column"]) == (rule, column)
    assert reason in row["reason"]
    assert row["file"] == f"landing/{source}/{DROP}/a.csv"
    raw = json.loads(row["raw_record"])
    scalar = {k: v for k, v in changes.items() if k not in load_contract(source).list_columns}
    assert {k: raw[k] for k in scalar} == {k: v or None for k, v in scalar.items()}


def test_one_problem_gives_one_rule(tmp_path: Path) -> None:
    assert one_bad(tmp_path / "a", "patents", patent_type="design")["rules"] == [
        "type_number_mismatch"
    ]
    future = one_bad(tmp_path / "b", "rd_records", fiscal_year="2027")
    assert future["rules"] == ["future_date", "date_order"]
    negative = one_bad(tmp_path / "c", "rd_records", revenue="-1")
    assert negative["rules"] == ["negative_amount"]


def test_raw_record_is_the_row_as_read(tmp_path: Path) -> None:
    row = one_bad(tmp_path, "registry", status="营业", registered_capital=" 1,000 ")
    raw = json.loads(row["raw_record"])
    assert raw["status"] == "营业" and raw["registered_capital"] == " 1,000 "
    assert raw["former_names"] == ["科亿(浙江)悬架有限公司", "嘉兴科亿"]


def test_a_row_with_several_problems_lists_them_all_first_failing_column_first(
    tmp_path: Path,
) -> None:
    row = one_bad(
        tmp_path, "registry", status="营业", credit_code="91350100M000100Y47", region_code="x"
    )
    assert row["column"] == "credit_code" and row["rule"] == "check_digit"
    assert row["rules"] == ["check_digit", "unknown_value", "bad_format"]
    assert (
        row["reason"].split("; ")[1]
        == "status '营业' is not one of 存续, 在业, 迁入, 迁出, 停业, 吊销, 注销"
    )


def test_rd_credit_code_that_fails_is_kept_as_filed_and_flagged(tmp_path: Path) -> None:
    rows = [RD, {**RD, "credit_code": "91350100M000100Y47", "fiscal_year": "2024"}]
    rows.append({**RD, "credit_code": "", "fiscal_year": "2023"})
    rows.append({**RD, "credit_code": "not-a-code", "fiscal_year": "2022"})
    result = drop(tmp_path, "rd_records", {"a.csv": csv_bytes(rows)})
    assert result.quarantine.is_empty()
    assert result.accepted["credit_code"].to_list() == [
        CODE_A,
        "91350100M000100Y47",
        None,
        "not-a-code",
    ]
    assert result.accepted["credit_code_valid"].to_list() == [True, False, False, False]
    assert result.accepted["net_profit"].to_list() == [-120.0] * 4


def test_accepted_rows_are_typed_exactly_as_the_contract_types_them(tmp_path: Path) -> None:
    for source in SOURCES:
        contract = load_contract(source)
        lake = raw_schema(source)
        assert {c.name: lake[c.name] for c in contract.columns} == {
            c.name: TYPE_DTYPES[c.type] for c in contract.columns
        }
        result = drop(tmp_path / source, source, {"a.csv": csv_bytes([BASE[source]])})
        assert result.accepted.schema == lake
        assert result.quarantine.schema == QUARANTINE_SCHEMA
        assert result.audit.schema == LOAD_AUDIT_SCHEMA
    registry = drop(tmp_path / "r2", "registry", {"a.csv": csv_bytes([REGISTRY])}).accepted.row(
        0, named=True
    )
    assert registry["established_date"] == date(2015, 3, 2)
    assert registry["registered_capital"] == 1000.5 and registry["insured_staff"] == 52
    assert registry["former_names"] == ["科亿(浙江)悬架有限公司", "嘉兴科亿"]
    assert registry["english_name"] is None and registry["_extra"] is None
    assert registry["_file"] == f"landing/registry/{DROP}/a.csv" and registry["_row_number"] == 1


def test_duplicate_keys_across_files_keep_the_first_valid_row(tmp_path: Path) -> None:
    invalid_first = {**REGISTRY, "status": "营业"}
    files = {
        "b.csv": csv_bytes([{**REGISTRY, "name": "second file"}]),
        "a.csv": csv_bytes([invalid_first, REGISTRY, {**REGISTRY, "name": "same file, later"}]),
    }
    result = drop(tmp_path, "registry", files)
    assert result.accepted["name"].to_list() == [REGISTRY["name"]]
    assert result.accepted["_row_number"].to_list() == [2]
    dup = result.quarantine.filter(pl.col("rule") == "duplicate_key")
    assert dup.select("file", "row_number").rows() == [
        (f"landing/registry/{DROP}/a.csv", 3),
        (f"landing/registry/{DROP}/b.csv", 1),
    ]
    assert dup["reason"][1] == (
        f"duplicate key credit_code={CODE_A}, snapshot_date=2026-11-10: "
        f"first loaded from landing/registry/{DROP}/a.csv row 2"
    )
    assert json.loads(dup["raw_record"][1])["name"] == "second file"
    audit = result.audit.sort("file")
    assert audit.select("rows_read", "rows_loaded", "rows_quarantined").rows() == [
        (3, 1, 2),
        (1, 0, 1),
    ]


def test_an_application_number_with_and_without_cn_is_one_key(tmp_path: Path) -> None:
    number = str(BASE["patents"]["application_number"])
    bare = number.removeprefix("CN")
    assert bare != number
    rows = [{**BASE["patents"], "application_number": bare}, BASE["patents"]]
    result = drop(tmp_path, "patents", {"a.csv": csv_bytes(rows)})
    assert result.accepted["application_number"].to_list() == [bare]
    dup = result.quarantine.filter(pl.col("rule") == "duplicate_key")
    assert dup["reason"].to_list() == [
        f"duplicate key application_number={number}: "
        f"first loaded from landing/patents/{DROP}/a.csv row 1"
    ]


def test_same_key_in_another_snapshot_is_not_a_duplicate(tmp_path: Path) -> None:
    rows = [REGISTRY, {**REGISTRY, "snapshot_date": "2026-11-11"}]
    assert drop(tmp_path, "registry", {"a.csv": csv_bytes(rows)}).accepted.height == 2


def test_whole_file_problems_and_the_other_files_still_load(tmp_path: Path) -> None:
    good = csv_bytes([REGISTRY])
    no_status = csv_bytes([{k: v for k, v in REGISTRY.items() if k != "status"}])
    other = {**REGISTRY, "credit_code": CODE_B}
    truncated = csv_bytes([other, {**other, "snapshot_date": "2026-11-11"}])[:-40]
    gz = gzip.compress(csv_bytes([{**REGISTRY, "credit_code": CODE_B}] * 50))
    files = {
        "a_good.csv": good,
        "b_missing_column.csv": no_status,
        "c_empty.csv": b"",
        "d_truncated.csv": truncated,
        "e_truncated.csv.gz": gz[: len(gz) // 2],
        "f_utf16.csv": "credit_code,name\nX,Café Müller\n".encode("utf-16"),
        "g_notes.txt": b"see attached",
    }
    result = drop(tmp_path, "registry", files)
    base = f"landing/registry/{DROP}/"
    assert result.accepted["_file"].to_list() == [base + "a_good.csv", base + "d_truncated.csv"]
    problems = result.quarantine.select("file", "row_number", "column", "rule").rows()
    assert problems == [
        (base + "b_missing_column.csv", None, "status", "missing_column"),
        # The file is rejected whole, yet its readable row is kept as read.
        (base + "b_missing_column.csv", 1, "status", "missing_column"),
        (base + "c_empty.csv", None, None, "empty_file"),
        (base + "d_truncated.csv", 2, None, "malformed_row"),
        (base + "e_truncated.csv.gz", None, None, "unreadable_file"),
        (base + "f_utf16.csv", None, None, "encoding"),
        (base + "g_notes.txt", None, None, "unreadable_file"),
    ]
    missing = result.quarantine.filter(pl.col("rule") == "missing_column")["reason"][0]
    assert "b_missing_column.csv" in missing and "status" in missing
    assert "offset" in result.quarantine.filter(pl.col("rule") == "encoding")["reason"][0]
    audit = result.audit
    assert audit["status"].to_list() == [
        "loaded",
        "rejected",
        "rejected",
        "loaded",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert audit.select("rows_read", "rows_loaded", "rows_quarantined").rows() == [
        (1, 1, 0),
        (1, 0, 1),
        (0, 0, 0),
        (2, 1, 1),
        (0, 0, 0),
        (0, 0, 0),
        (0, 0, 0),
    ]
    assert reconcile(result.audit, result.quarantine, result.accepted)["problem"].null_count() == 7


def test_every_file_reconciles_and_tampering_is_caught(tmp_path: Path) -> None:
    rows = [PATENT, {**PATENT, "patent_type": "design"}, {**PATENT, "legal_status": "x"}]
    result = drop(tmp_path, "patents", {"a.csv": csv_bytes(rows), "b.csv": b""})
    audit = result.audit
    assert (audit["rows_read"] == audit["rows_loaded"] + audit["rows_quarantined"]).all()
    assert reconcile(audit, result.quarantine, result.accepted)["problem"].is_null().all()
    bad_audit = audit.with_columns(pl.col("rows_loaded") + 1)
    problems = reconcile(bad_audit, result.quarantine, result.accepted)["problem"].to_list()
    assert problems[0] == "rows_read 3 != rows_loaded 2 + rows_quarantined 2"
    lost_rows = reconcile(audit, result.quarantine.head(0), result.accepted)["problem"].to_list()
    assert lost_rows == [
        "0 quarantine rows stored, audit says 2",
        "rejected file has 0 whole-file quarantine rows, expected 1",
    ]


def test_a_day_without_a_folder_is_an_empty_drop(tmp_path: Path) -> None:
    result = ingest_drop(tmp_path, "patents", datetime(2026, 11, 12, tzinfo=UTC))
    assert result.accepted.is_empty() and result.accepted.schema == raw_schema("patents")
    assert result.quarantine.is_empty() and result.audit.is_empty()


def test_mixed_formats_in_one_drop(tmp_path: Path) -> None:
    jsonl = json.dumps(
        {**RD, "credit_code": CODE_B, "fiscal_year": 2024, "revenue": 100, "rd_expense": 5.5}
    ).encode()
    parquet = io.BytesIO()
    pl.DataFrame([{**RD, "fiscal_year": 2023}]).with_columns(
        pl.col("reported_date").str.to_date()
    ).write_parquet(parquet)
    files = {"a.csv": csv_bytes([RD], "gb18030"), "b.jsonl": jsonl, "c.parquet": parquet.getvalue()}
    result = drop(tmp_path, "rd_records", files)
    assert result.quarantine.is_empty()
    assert result.accepted["fiscal_year"].to_list() == [2025, 2024, 2023]
    assert result.accepted["rd_expense"].to_list() == [400.5, 5.5, 400.5]
    assert result.audit["encoding"].to_list() == ["gb18030", "utf-8", None]
    assert result.audit["format"].to_list() == ["csv", "jsonl", "parquet"]


def test_unknown_columns_are_kept_in_extra(tmp_path: Path) -> None:
    result = drop(tmp_path, "patents", {"a.csv": csv_bytes([{**PATENT, "agency": "某代理所"}])})
    assert json.loads(result.accepted["_extra"][0]) == {"agency": "某代理所"}


def test_contract_keys_name_contract_columns() -> None:
    for source in ("registry", "patents", "rd_records"):
        contract = load_contract(source)
        assert set(contract.key) <= set(contract.names)


def test_a_gb18030_cell_in_a_utf8_csv_quarantines_its_row_only(tmp_path: Path) -> None:
    other = {**REGISTRY, "credit_code": CODE_B, "name": "北京某某科技股份有限公司"}
    good = csv_bytes([REGISTRY, other])
    header, first, second = good.decode().splitlines(keepends=True)
    gb_row = second.replace("北京某某科技股份有限公司", "\0").encode()
    gb_row = gb_row.replace(b"\0", "北京某某科技股份有限公司".encode("gb18030"))
    data = (header + first).encode() + gb_row
    result = drop(tmp_path, "registry", {"a.csv": data})
    assert result.accepted["credit_code"].to_list() == [CODE_A]
    [held] = result.quarantine.to_dicts()
    assert (held["row_number"], held["rule"], held["rules"]) == (2, "encoding", ["encoding"])
    assert held["reason"].startswith("line 3: bytes \\xb1\\xb1")
    assert "not UTF-8" in held["reason"]
    assert json.loads(held["raw_record"])["credit_code"] == CODE_B
    [audit] = result.audit.to_dicts()
    assert (audit["status"], audit["encoding"]) == ("loaded", "utf-8")
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_quarantined"]) == (2, 1, 1)
    assert reconcile(result.audit, result.quarantine, result.accepted)["problem"].is_null().all()


def test_a_gb18030_value_in_a_utf8_jsonl_quarantines_its_line_only(tmp_path: Path) -> None:
    lines = [
        json.dumps({**PATENT, "title": title}, ensure_ascii=False).encode() for title in "甲乙丙"
    ]
    lines[1] = lines[1].replace("乙".encode(), "乙".encode("gb18030"))
    result = drop(tmp_path, "patents", {"a.jsonl": b"\n".join(lines) + b"\n"})
    assert result.accepted.height == 1  # the third line repeats the first one's key
    rules = result.quarantine.select("row_number", "rule").rows()
    assert rules == [(2, "encoding"), (3, "duplicate_key")]
    assert result.quarantine["reason"][0].startswith("line 2: bytes \\xd2\\xd2")
    [audit] = result.audit.to_dicts()
    assert (audit["rows_read"], audit["rows_loaded"], audit["rows_quarantined"]) == (3, 1, 2)


def test_a_consistently_gb18030_file_is_still_read_whole(tmp_path: Path) -> None:
    rows = [REGISTRY, {**REGISTRY, "credit_code": CODE_B, "name": "北京某某科技股份有限公司"}]
    result = drop(tmp_path, "registry", {"a.csv": csv_bytes(rows, "gb18030")})
    assert result.quarantine.is_empty()
    assert result.accepted["name"].to_list() == [REGISTRY["name"], "北京某某科技股份有限公司"]
    assert result.audit["encoding"].to_list() == ["gb18030"]


def test_the_audit_records_the_hash_of_the_bytes_loaded(tmp_path: Path) -> None:
    data = csv_bytes([REGISTRY])
    result = drop(tmp_path, "registry", {"a.csv": data, "b.csv": b""})
    assert result.audit["sha256"].to_list() == [
        hashlib.sha256(data).hexdigest(),
        hashlib.sha256(b"").hexdigest(),
    ]
