from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from capscore.core.enterprise import enterprise_state
from data_contracts.schemas import landed_schema

D = date.fromisoformat
RAW_SCHEMA = landed_schema("registry")
A = "91350100M000100Y43"
B = "91110000600037341L"


def snap(code: str, name: str, snapshot: str, landing: str, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in RAW_SCHEMA}
    row.update(
        credit_code=code,
        name=name,
        former_names=[],
        legal_form="有限责任公司",
        established_date=D("2015-03-01"),
        status="存续",
        registered_capital=1000.0,
        industry_code="C3670",
        region_code="330402",
        snapshot_date=D(snapshot),
        landing_date=D(landing),
        _file=f"landing/registry/{landing}/a.csv",
        _row_number=1,
    )
    row.update(kw)
    return row


def raw(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=RAW_SCHEMA)


def test_rows_landed_or_dated_after_as_of_are_invisible() -> None:
    frame = raw(
        snap(A, "甲科技有限公司", "2024-01-01", "2024-01-02"),
        # dated before D but landed after D
        snap(A, "乙科技有限公司", "2024-02-01", "2024-03-05"),
        # landed before D but dated after D (a snapshot from the future)
        snap(A, "丙科技有限公司", "2024-03-10", "2024-02-02"),
        snap(B, "丁有限公司", "2024-03-02", "2024-03-02"),
    )
    enterprise, history = enterprise_state(frame, D("2024-03-01"))
    assert enterprise["credit_code"].to_list() == [A]
    assert enterprise["name"].to_list() == ["甲科技有限公司"]
    assert enterprise["former_names"].to_list() == [[]]
    assert history.height == 1
    later, _ = enterprise_state(frame, D("2024-03-10"))
    assert later.filter(pl.col("credit_code") == A)["name"].item() == "丙科技有限公司"


def test_rename_becomes_former_name_oldest_first_without_duplicates() -> None:
    frame = raw(
        snap(A, "老名有限公司", "2023-01-01", "2023-01-01", former_names=["最早名有限公司"]),
        snap(A, "中名有限公司", "2023-06-01", "2023-06-01", former_names=["最早名有限公司"]),
        # registry lists a former name it already knew plus the current name itself
        snap(
            A,
            "新名有限公司",
            "2024-01-01",
            "2024-01-02",
            former_names=["老名有限公司", "新名有限公司"],
        ),
    )
    enterprise, _ = enterprise_state(frame, D("2024-06-01"))
    row = enterprise.row(0, named=True)
    assert row["name"] == "新名有限公司"
    assert row["former_names"] == ["最早名有限公司", "老名有限公司", "中名有限公司"]
    assert row["first_seen_date"] == D("2023-01-01")
    # as of mid-2023 the newest name was not yet known
    mid, _ = enterprise_state(frame, D("2023-07-01"))
    assert mid["former_names"].item().to_list() == ["最早名有限公司", "老名有限公司"]


def test_latest_snapshot_wins_by_date_then_landing_then_row() -> None:
    frame = raw(
        snap(A, "一", "2024-01-01", "2024-01-05", status="存续"),
        # same snapshot_date re-sent in a later drop: a correction
        snap(A, "一", "2024-01-01", "2024-01-09", status="在业"),
        # an older snapshot arriving late does not override a newer one
        snap(A, "旧", "2023-12-01", "2024-01-10", status="吊销"),
    )
    enterprise, history = enterprise_state(frame, D("2024-02-01"))
    assert enterprise["status"].to_list() == ["在业"]
    assert enterprise["landing_date"].to_list() == [D("2024-01-09")]
    assert history["valid_from"].to_list() == [D("2023-12-01"), D("2024-01-01")]
    assert history["former_names"].to_list() == [[], ["旧"]]


def test_scd2_versions_open_only_on_tracked_changes() -> None:
    frame = raw(
        snap(A, "甲", "2023-01-01", "2023-01-01", address="一路"),
        snap(A, "甲", "2023-02-01", "2023-02-01", address="二路"),  # untracked change
        snap(A, "甲", "2023-03-01", "2023-03-01", registered_capital=2000.0),
        snap(A, "甲", "2023-04-01", "2023-04-01", registered_capital=2000.0, status="迁出"),
        snap(A, "乙", "2023-05-01", "2023-05-01", registered_capital=2000.0, status="迁出"),
        snap(A, "乙", "2023-06-01", "2023-06-01", registered_capital=2000.0, status="迁出"),
        snap(B, "丙", "2023-02-15", "2023-02-15", industry_code=None),
        snap(B, "丙", "2023-03-15", "2023-03-15", industry_code="C3670"),
    )
    _, history = enterprise_state(frame, D("2024-01-01"))
    a = history.filter(pl.col("credit_code") == A)
    assert a["valid_from"].to_list() == [
        D(x) for x in ["2023-01-01", "2023-03-01", "2023-04-01", "2023-05-01"]
    ]
    assert a["valid_to"].to_list() == [D("2023-03-01"), D("2023-04-01"), D("2023-05-01"), None]
    assert a["name"].to_list() == ["甲", "甲", "甲", "乙"]
    assert a["former_names"].to_list() == [[], [], [], ["甲"]]
    b = history.filter(pl.col("credit_code") == B)
    # null -> value is a change
    assert b["valid_from"].to_list() == [D("2023-02-15"), D("2023-03-15")]
    assert b["valid_to"].to_list() == [D("2023-03-15"), None]


def test_empty_input_gives_empty_tables() -> None:
    enterprise, history = enterprise_state(raw(), D("2024-01-01"))
    assert enterprise.is_empty() and history.is_empty()
    assert "first_seen_date" in enterprise.columns
    assert history.columns[:3] == ["credit_code", "valid_from", "valid_to"]
