"""The generated drops against the source contracts, read back with an independent reader.

A small dirty data set is generated once per module. Every file is parsed
here without the generator's code (csv/json/pyarrow only), every row is
checked against the rules of sources.md, and the result is compared with
truth/bad_rows.csv: clean rows break nothing, each injected row breaks
exactly the rule it is recorded with.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq
import pytest

from capscore.sample_data.generate import generate
from data_contracts.check_digits import (
    application_number_problem,
    application_type,
    credit_code_problem,
)

REQUIRED = {
    "registry": (
        "credit_code",
        "name",
        "established_date",
        "status",
        "region_code",
        "snapshot_date",
    ),
    "patents": (
        "application_number",
        "patent_type",
        "title",
        "application_date",
        "publication_date",
        "applicants",
        "legal_status",
    ),
    "rd_records": ("enterprise_name", "fiscal_year", "revenue", "rd_expense", "reported_date"),
}
LISTS = {"former_names", "applicants", "inventors", "ipc_codes", "cited_applications"}
DATES = {
    "established_date",
    "hnte_valid_until",
    "snapshot_date",
    "application_date",
    "publication_date",
    "grant_date",
    "reported_date",
}
FLOATS = {
    "registered_capital",
    "revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "total_liabilities",
}
INTS = {"insured_staff", "claims_count", "family_size", "fiscal_year", "rd_staff", "total_staff"}
STATUSES = {"存续", "在业", "迁入", "迁出", "停业", "吊销", "注销"}
LEGAL_STATUSES = {"pending", "granted", "rejected", "withdrawn", "lapsed", "expired"}
GRANTED = {"granted", "lapsed", "expired"}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
MALFORMED = object()  # a value that did not parse


@pytest.fixture(scope="module")
def dirty_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dirty")
    generate(root, 400, seed=11, dirty=True)
    return root


def _decode_csv(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _parse(column: str, value: Any) -> Any:
    """Contract value from what a file holds; MALFORMED when it does not parse."""
    if value is None or value == "":
        return None
    if column in LISTS:
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(";")]
        return items or None
    if column in DATES:
        if isinstance(value, date):
            return value
        if not _ISO.match(str(value)):
            return MALFORMED
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return MALFORMED
    if column in FLOATS or column in INTS:
        if isinstance(value, bool):
            return MALFORMED
        if isinstance(value, int | float):
            return value
        if not _NUMBER.match(str(value)):
            return MALFORMED
        return float(value) if column in FLOATS else int(value)
    if column == "pct" and isinstance(value, str):
        return value == "true"
    return value


def read_rows(path: Path) -> tuple[list[str], list[dict[str, Any] | None]]:
    """(columns, rows) of a landing file; None for a row that cannot be parsed."""
    data = path.read_bytes()
    name = path.name
    if name.endswith(".gz"):
        data = gzip.decompress(data)
        name = name[:-3]
    if name.endswith(".parquet"):
        table = pq.read_table(io.BytesIO(data))
        return table.column_names, table.to_pylist()
    if name.endswith(".jsonl"):
        rows: list[dict[str, Any] | None] = []
        columns: list[str] = []
        for line in data.decode("utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                rows.append(None)
                continue
            columns = columns or list(record)
            rows.append(record)
        return columns, rows
    reader = csv.reader(io.StringIO(_decode_csv(data), newline=""))
    header = next(reader)
    return header, [
        dict(zip(header, r, strict=True)) if len(r) == len(header) else None for r in reader
    ]


def problems(source: str, raw: dict[str, Any], landing: date) -> set[tuple[str, str | None]]:
    """(rule, column) pairs a row breaks, as sources.md defines them."""
    out: set[tuple[str, str | None]] = set()
    row: dict[str, Any] = {}
    for column, value in raw.items():
        parsed = _parse(column, value)
        if parsed is MALFORMED:
            out.add(("malformed_date" if column in DATES else "malformed_number", column))
            parsed = None
        row[column] = parsed
    for column in REQUIRED[source]:
        if row.get(column) is None and not any(c == column for _, c in out):
            out.add(("missing_required", column))
    for column in DATES & row.keys():
        if column != "hnte_valid_until" and row[column] is not None and row[column] > landing:
            out.add(("future_date", column))
    if source == "registry":
        code = row.get("credit_code")
        if code is not None:
            problem = credit_code_problem(code)
            if problem:
                out.add(
                    ("check_digit" if "check digit" in problem else "bad_format", "credit_code")
                )
        region = row.get("region_code")
        if region is not None and not re.fullmatch(r"\d{6}", region):
            out.add(("bad_format", "region_code"))
        if row.get("status") is not None and row["status"] not in STATUSES:
            out.add(("unknown_value", "status"))
        if row.get("srdi_level") not in (None, "none", "provincial", "national"):
            out.add(("unknown_value", "srdi_level"))
        if (row.get("registered_capital") or 0) < 0:
            out.add(("negative_amount", "registered_capital"))
        est, snap = row.get("established_date"), row.get("snapshot_date")
        if est and snap and est > snap and ("future_date", "established_date") not in out:
            out.add(("date_order", "established_date"))
    elif source == "patents":
        number = row.get("application_number")
        if number is not None:
            problem = application_number_problem(number)
            if problem:
                out.add(
                    (
                        "check_digit" if "check digit" in problem else "bad_format",
                        "application_number",
                    )
                )
            elif row.get("patent_type") and application_type(number) not in (
                None,
                row["patent_type"],
            ):
                out.add(("type_number_mismatch", "patent_type"))
        if row.get("legal_status") is not None and row["legal_status"] not in LEGAL_STATUSES:
            out.add(("unknown_value", "legal_status"))
        app, pub, grant = (
            row.get("application_date"),
            row.get("publication_date"),
            row.get("grant_date"),
        )
        if app and pub and pub < app:
            out.add(("date_order", "publication_date"))
        if app and grant and grant < app:
            out.add(("date_order", "grant_date"))
        status = row.get("legal_status")
        if status in LEGAL_STATUSES and (status in GRANTED) != (grant is not None):
            out.add(
                ("status_dates", "legal_status")
            )  # not a contract rule: the generator's own promise
    else:
        for column in (
            "revenue",
            "rd_expense",
            "total_assets",
            "total_liabilities",
            "rd_staff",
            "total_staff",
        ):
            if (row.get(column) or 0) < 0:
                out.add(("negative_amount", column))
        revenue, rd = row.get("revenue"), row.get("rd_expense")
        if revenue is not None and rd is not None and rd >= 0 and rd > 2 * revenue:
            out.add(("rd_expense_exceeds_revenue", "rd_expense"))
    return out


# Key columns per source (data_contracts/<source>.yaml); nulls compare equal.
KEYS = {
    "registry": ("credit_code", "snapshot_date"),
    "patents": ("application_number",),
    "rd_records": ("credit_code", "enterprise_name", "fiscal_year", "reported_date"),
}


def _key(source: str, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(str(_parse(c, row.get(c))) for c in KEYS[source])


def _landing_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "landing").rglob("*") if p.is_file())


def _bad_rows(root: Path) -> pl.DataFrame:
    return pl.read_csv(root / "truth" / "bad_rows.csv", schema_overrides={"row_number": pl.Int64})


def test_every_row_breaks_exactly_what_truth_says(dirty_root: Path) -> None:
    assert check_rows_against_truth(dirty_root) > 2000


def check_rows_against_truth(dirty_root: Path) -> int:
    """Every landing row of a dirty data root breaks exactly what bad_rows.csv says; rows checked."""
    bad = _bad_rows(dirty_root)
    recorded = {
        (r["file"], r["row_number"]): (r["rule"], r["column"])
        for r in bad.filter(pl.col("row_number").is_not_null()).iter_rows(named=True)
    }
    whole_file = set(bad.filter(pl.col("row_number").is_null())["file"].to_list())
    seen: dict[tuple[str, str], set[tuple[Any, ...]]] = defaultdict(set)
    found: dict[tuple[str, int], set[tuple[str, str | None]]] = {}
    checked = 0
    # File-name then row order inside a drop: the first row of a key that breaks nothing
    # else loads, a later one breaks the key.
    for path in _landing_files(dirty_root):
        relative = path.relative_to(dirty_root).as_posix()
        if relative in whole_file:
            continue
        source, day = path.parts[-3], date.fromisoformat(path.parts[-2])
        _, rows = read_rows(path)
        for number, row in enumerate(rows, start=1):
            checked += 1
            if row is None:
                found[(relative, number)] = {("malformed_row", None)}
                continue
            rules = problems(source, row, day)
            if not rules:
                key = _key(source, row)
                if key in seen[(source, day.isoformat())]:
                    rules = {("duplicate_key", KEYS[source][0])}
                seen[(source, day.isoformat())].add(key)
            found[(relative, number)] = rules
    for (relative, number), rules in found.items():
        expected = recorded.get((relative, number))
        if expected is None:
            assert rules == set(), f"clean row {relative}#{number} breaks {rules}"
        else:
            rule, column = expected
            assert {r for r, _ in rules} == {rule}, (
                f"{relative}#{number}: recorded {expected}, found {rules}"
            )
            if rule not in ("malformed_row",):
                assert (rule, column) in rules
    assert set(recorded) <= set(found)
    return checked


def test_dirty_covers_every_rule(dirty_root: Path) -> None:
    bad = _bad_rows(dirty_root)
    by_source = bad.group_by("source").agg(pl.col("rule").unique()).rows()
    rules = {source: set(r) for source, r in by_source}
    common = {
        "missing_required",
        "malformed_date",
        "future_date",
        "duplicate_key",
        "malformed_row",
        "malformed_number",
    }
    assert rules["registry"] >= common | {
        "check_digit",
        "bad_format",
        "date_order",
        "negative_amount",
        "unknown_value",
        "missing_column",
    }
    assert rules["patents"] >= common | {
        "check_digit",
        "bad_format",
        "date_order",
        "type_number_mismatch",
        "unknown_value",
        "unreadable_file",
    }
    assert rules["rd_records"] >= common | {
        "negative_amount",
        "rd_expense_exceeds_revenue",
        "encoding",
        "empty_file",
    }
    assert "check_digit" not in rules["rd_records"]


def test_whole_file_problems_are_real(dirty_root: Path) -> None:
    bad = _bad_rows(dirty_root).filter(pl.col("row_number").is_null())
    for file, rule, column in bad.select("file", "rule", "column").rows():
        data = (dirty_root / file).read_bytes()
        if rule == "empty_file":
            assert data == b""
        elif rule == "encoding":
            for encoding in ("utf-8", "gb18030"):
                with pytest.raises(UnicodeDecodeError):
                    data.decode(encoding)
        elif rule == "unreadable_file":
            with pytest.raises(Exception):  # noqa: B017 - gzip and Parquet raise different errors
                read_rows(dirty_root / file)
        else:
            assert rule == "missing_column"
            columns, rows = read_rows(dirty_root / file)
            assert column not in columns and rows


def test_formats_encodings_and_extras_all_appear(dirty_root: Path) -> None:
    broken = set(_bad_rows(dirty_root).filter(pl.col("row_number").is_null())["file"].to_list())
    files = [
        p for p in _landing_files(dirty_root) if p.relative_to(dirty_root).as_posix() not in broken
    ]
    suffixes = {p.name.split(".", 1)[1] for p in files}
    assert suffixes == {"csv", "csv.gz", "parquet", "jsonl", "jsonl.gz"}
    csv_files = [p for p in files if p.name.endswith(".csv")]
    encodings = set()
    for path in csv_files:
        data = path.read_bytes()
        if data.startswith(b"\xef\xbb\xbf"):
            encodings.add("utf-8-sig")
            continue
        try:
            data.decode("utf-8")
            encodings.add("utf-8")
        except UnicodeDecodeError:
            data.decode("gb18030")
            encodings.add("gb18030")
    assert encodings == {"utf-8", "utf-8-sig", "gb18030"}
    contract = set(REQUIRED["registry"]) | set(REQUIRED["patents"]) | set(REQUIRED["rd_records"])
    extras = {c for p in files for c in read_rows(p)[0]} - contract
    assert {"登记机关", "source_system", "remark"} <= extras


def test_parquet_types_follow_the_contract(dirty_root: Path) -> None:
    seen = set()
    for path in (dirty_root / "landing").rglob("*.parquet"):
        try:
            schema = pq.read_schema(path)
        except Exception:
            continue
        for field in schema:
            if field.name in LISTS:
                assert str(field.type) == "list<element: string>"
            if field.name in DATES:
                seen.add(str(field.type))
                assert str(field.type) in ("date32[day]", "string")
    assert seen == {"date32[day]", "string"}
