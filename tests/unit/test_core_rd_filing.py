from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from capscore.core.rd_filing import LINK_SCHEMA as RD_LINKS
from capscore.core.rd_filing import rd_filing_state
from data_contracts.schemas import landed_schema

D = date.fromisoformat
A = "91350100M000100Y43"
B = "91110000600037341L"
RAW_SCHEMA = landed_schema("rd_records")
LINK_SCHEMA = RD_LINKS


def filing(
    row: int, year: int, revenue: float, reported: str, landing: str, code: str | None = A
) -> dict[str, Any]:
    out: dict[str, Any] = {c: None for c in RAW_SCHEMA}
    out.update(
        credit_code=code,
        enterprise_name="甲科技有限公司",
        fiscal_year=year,
        revenue=revenue,
        rd_expense=revenue / 10,
        reported_date=D(reported),
        landing_date=D(landing),
        _file=f"landing/rd_records/{landing}/a.csv",
        _row_number=row,
    )
    return out


def link(
    f: dict[str, Any], code: str, decision: str = "matched", method: str = "credit_code"
) -> dict[str, Any]:
    return {
        "file": f["_file"],
        "row_number": f["_row_number"],
        "credit_code": code,
        "method": method,
        "match_probability": 1.0,
        "decision": decision,
    }


def test_refiling_supersedes_and_point_in_time() -> None:
    first = filing(1, 2023, 100.0, "2024-04-01", "2024-04-02")
    refiled = filing(1, 2023, 120.0, "2024-05-01", "2024-05-03")
    late = filing(2, 2023, 999.0, "2024-05-02", "2024-07-01")  # landed after D
    filings = pl.DataFrame([first, refiled, late], schema=RAW_SCHEMA)
    links = pl.DataFrame([link(first, A), link(refiled, A), link(late, A)], schema=LINK_SCHEMA)
    assert rd_filing_state(filings, links, D("2024-04-15"))["revenue"].to_list() == [100.0]
    on_june = rd_filing_state(filings, links, D("2024-06-01"))
    assert on_june["revenue"].to_list() == [120.0]
    assert on_june["reported_date"].to_list() == [D("2024-05-01")]
    assert rd_filing_state(filings, links, D("2024-07-01"))["revenue"].to_list() == [999.0]


def test_only_matched_links_resolve_and_the_resolved_code_is_used() -> None:
    mistyped = filing(1, 2022, 50.0, "2023-04-01", "2023-04-01", code="91350100M000100Y44")
    review = filing(2, 2022, 70.0, "2023-04-01", "2023-04-01", code=None)
    filings = pl.DataFrame([mistyped, review], schema=RAW_SCHEMA)
    links = pl.DataFrame(
        [link(mistyped, A, method="normalized_name"), link(review, B, decision="review")],
        schema=LINK_SCHEMA,
    )
    out = rd_filing_state(filings, links, D("2024-01-01"))
    assert out.select("credit_code", "credit_code_as_filed", "link_method").rows() == [
        (A, "91350100M000100Y44", "normalized_name")
    ]


def test_filings_of_different_years_and_enterprises_are_kept_apart() -> None:
    rows = [
        filing(1, 2022, 10.0, "2023-04-01", "2023-04-01"),
        filing(2, 2023, 20.0, "2024-04-01", "2024-04-01"),
        filing(3, 2023, 30.0, "2024-04-01", "2024-04-01", code=B),
    ]
    filings = pl.DataFrame(rows, schema=RAW_SCHEMA)
    links = pl.DataFrame([link(r, r["credit_code"]) for r in rows], schema=LINK_SCHEMA)
    out = rd_filing_state(filings, links, D("2024-06-01"))
    assert out.select("credit_code", "fiscal_year", "revenue").rows() == [
        (B, 2023, 30.0),
        (A, 2022, 10.0),
        (A, 2023, 20.0),
    ]


def test_a_filer_s_name_read_as_a_person_is_stored_masked() -> None:
    # A filer wrote the legal representative's name where the firm's goes: the filing
    # is resolved (here by its code) and kept, its name masked as an individual
    # applicant's; a firm called like a person keeps its name.
    person = {**filing(1, 2023, 100.0, "2024-04-01", "2024-04-02"), "enterprise_name": "王小明"}
    firm = {
        **filing(2, 2023, 50.0, "2024-04-01", "2024-04-02", B),
        "enterprise_name": "王小明科技有限公司",
    }
    filings = pl.DataFrame([person, firm], schema=RAW_SCHEMA)
    links = pl.DataFrame([link(person, A), link(firm, B)], schema=LINK_SCHEMA)
    state = rd_filing_state(filings, links, D("2024-05-01"))
    assert state["enterprise_name"].to_list() == ["王小明科技有限公司", "王**"]
    assert state["revenue"].to_list() == [50.0, 100.0]
