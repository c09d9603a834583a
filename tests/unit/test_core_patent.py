from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from capscore.core.patent import patent_state
from data_contracts.schemas import landed_schema

D = date.fromisoformat
RAW_SCHEMA = landed_schema("patents")
P1, P2, P3, P4 = "CN202310123456.6", "CN201710601862.3", "CN202320000001.X", "CN202330000002.1"


def version(number: str, published: str, landing: str, row: int = 1, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {c: None for c in RAW_SCHEMA}
    out.update(
        application_number=number,
        patent_type="invention",
        title="一种悬架",
        application_date=D("2023-01-01"),
        publication_date=D(published),
        applicants=["甲科技有限公司"],
        cited_applications=[],
        legal_status="pending",
        landing_date=D(landing),
        _file=f"landing/patents/{landing}/a.csv",
        _row_number=row,
    )
    out.update(kw)
    return out


def raw(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=RAW_SCHEMA)


def test_point_in_time_visibility() -> None:
    frame = raw(
        version(P1, "2024-01-10", "2024-01-11"),
        version(P2, "2024-01-10", "2024-02-11"),  # landed after D
        version(P3, "2024-02-10", "2024-01-11"),  # published after D
    )
    patent = patent_state(frame, D("2024-02-01"))
    assert patent["application_number"].to_list() == [P1]


def test_latest_drop_wins_and_first_landing_is_kept() -> None:
    frame = raw(
        version(P1, "2024-01-10", "2024-01-11", legal_status="pending"),
        version(P1, "2024-01-10", "2024-03-01", legal_status="granted", grant_date=D("2024-02-20")),
        # same drop, two rows: the later row wins
        version(P1, "2024-01-10", "2024-04-01", row=1, legal_status="lapsed"),
        version(P1, "2024-01-10", "2024-04-01", row=2, legal_status="expired"),
    )
    on_march = patent_state(frame, D("2024-03-15")).row(0, named=True)
    assert on_march["legal_status"] == "granted"
    assert on_march["first_landing_date"] == D("2024-01-11")
    assert patent_state(frame, D("2024-04-01"))["legal_status"].item() == "expired"
    assert patent_state(frame, D("2024-02-01"))["legal_status"].item() == "pending"


def test_forward_citations_count_visible_distinct_citers() -> None:
    frame = raw(
        version(P1, "2024-01-10", "2024-01-11"),
        version(P2, "2024-01-12", "2024-01-13", cited_applications=[P1, P1]),
        version(P3, "2024-01-12", "2024-01-13", cited_applications=[P1, P3, P2]),
        # cites P1 but is published only later
        version(P4, "2024-05-01", "2024-01-13", cited_applications=[P1]),
    )
    counts = dict(
        patent_state(frame, D("2024-02-01"))
        .select("application_number", "forward_citations")
        .iter_rows()
    )
    assert counts == {P1: 2, P2: 1, P3: 0}
    later = patent_state(frame, D("2024-05-01"))
    assert later.filter(pl.col("application_number") == P1)["forward_citations"].item() == 3


def test_citations_follow_the_latest_version_of_the_citing_patent() -> None:
    frame = raw(
        version(P1, "2024-01-10", "2024-01-11"),
        version(P2, "2024-01-12", "2024-01-13", cited_applications=[P1]),
        version(P2, "2024-01-12", "2024-03-01", cited_applications=[]),
    )

    def counts(as_of: str) -> dict[str, int]:
        state = patent_state(frame, D(as_of))
        return dict(state.select("application_number", "forward_citations").iter_rows())

    assert counts("2024-02-01") == {P1: 1, P2: 0}
    assert counts("2024-03-01") == {P1: 0, P2: 0}


def test_a_citation_without_the_cn_prefix_counts() -> None:
    """201710601862.3 in a citation list is the application CN201710601862.3."""
    frame = raw(
        version(P2, "2024-01-10", "2024-01-11"),
        version(P1, "2024-01-12", "2024-01-13", cited_applications=[P2.removeprefix("CN")]),
        version(P3, "2024-01-12", "2024-01-13", cited_applications=[" cn" + P2[2:]]),
    )
    counts = dict(
        patent_state(frame, D("2024-02-01"))
        .select("application_number", "forward_citations")
        .iter_rows()
    )
    assert counts[P2] == 2


def test_a_number_written_without_cn_is_the_same_application() -> None:
    """A later drop writing 202310123456.6 updates CN202310123456.6: one row, the
    contract's form, the latest version."""
    frame = raw(
        version(P1, "2024-01-10", "2024-01-11", legal_status="pending"),
        version(P1.removeprefix("CN"), "2024-01-10", "2024-02-11", legal_status="granted"),
    )
    patent = patent_state(frame, D("2024-03-01"))
    assert patent.select("application_number", "legal_status", "first_landing_date").rows() == [
        (P1, "granted", D("2024-01-11"))
    ]
