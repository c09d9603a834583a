"""rows_read = rows_loaded + rows_quarantined for every file of any drop, and
every source row ends up exactly once: loaded or quarantined."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, date, datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from capscore.landing.read import parse_bytes
from data_contracts.contract import load_contract
from data_contracts.ingest import ingest_files
from data_contracts.reconcile import reconcile

DROP = date(2026, 11, 12)
CONTRACT = load_contract("rd_records")
CODES = ["91350100M000100Y43", "91110000600037341L", "91350100M000100Y47", ""]
ROW = {
    "credit_code": CODES[0],
    "enterprise_name": "甲科技有限公司",
    "fiscal_year": "2025",
    "revenue": "100",
    "rd_expense": "10",
    "net_profit": "-3",
    "total_assets": "",
    "total_liabilities": "",
    "rd_staff": "",
    "total_staff": "",
    "reported_date": "2026-04-30",
}
# Each kind of row, valid or not; duplicates come from the small key space.
DEFECTS: dict[str, dict[str, str]] = {
    "valid": {},
    "negative": {"revenue": "-1"},
    "ratio": {"rd_expense": "250"},
    "bad_date": {"reported_date": "2026-02-30"},
    "future": {"reported_date": "2026-12-01"},
    "bad_number": {"revenue": "12,5"},
    "missing": {"enterprise_name": ""},
}

rows = st.tuples(
    st.sampled_from(sorted(DEFECTS)),
    st.sampled_from(CODES),
    st.sampled_from(["2023", "2024", "2025"]),
    st.booleans(),  # a broken record (wrong field count / invalid JSON)
)
files = st.lists(
    st.tuples(st.sampled_from(["csv", "jsonl", "csv.gz"]), st.lists(rows, max_size=12)),
    min_size=1,
    max_size=4,
)


def render(fmt: str, items: list[tuple[str, str, str, bool]]) -> bytes:
    records = [
        ({**ROW, **DEFECTS[defect], "credit_code": code, "fiscal_year": year}, broken)
        for defect, code, year, broken in items
    ]
    if fmt.startswith("jsonl"):
        lines = [
            json.dumps(r, ensure_ascii=False)[: -1 if broken else None] for r, broken in records
        ]
        data = "\n".join(lines).encode()
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(ROW)
        for record, broken in records:
            values = list(record.values())
            writer.writerow(values[:-2] if broken else values)
        data = buffer.getvalue().encode()
    return gzip.compress(data) if fmt.endswith(".gz") else data


@settings(max_examples=100, deadline=None)
@given(files)
def test_every_row_is_loaded_or_quarantined_once(
    drop: list[tuple[str, list[tuple[str, str, str, bool]]]],
) -> None:
    landing = [
        parse_bytes(
            render(fmt, items), fmt, CONTRACT.hints, f"landing/rd_records/{DROP}/f{i}.{fmt}"
        )
        for i, (fmt, items) in enumerate(drop)
    ]
    result = ingest_files(landing, CONTRACT, DROP, datetime(2026, 11, 12, tzinfo=UTC))
    audit = result.audit
    assert audit.height == len(drop)
    assert (audit["rows_read"] == audit["rows_loaded"] + audit["rows_quarantined"]).all()
    assert reconcile(audit, result.quarantine, result.accepted)["problem"].is_null().all()
    for (fmt, items), file in zip(drop, audit["file"].to_list(), strict=True):
        loaded = result.accepted.filter(pl.col("_file") == file)["_row_number"].to_list()
        held = result.quarantine.filter(pl.col("file") == file)["row_number"].to_list()
        if not items:
            continue  # an empty file is rejected whole
        assert sorted(loaded + held) == list(range(1, len(items) + 1)), fmt
    keys = result.accepted.select(CONTRACT.key)
    assert keys.unique().height == keys.height
