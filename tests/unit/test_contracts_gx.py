from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from data_contracts.contract import load_contract
from data_contracts.gx_suite import expectations, gx_frame, run_suite
from data_contracts.schemas import raw_schema

DROP = date(2026, 11, 12)


def patents(rows: int = 3) -> pl.DataFrame:
    numbers = ["CN202310123456.6", "CN201710601862.3", "CN202330123456.7"]
    return pl.DataFrame(
        {
            "application_number": numbers[:rows],
            "patent_type": ["invention", "invention", "design"][:rows],
            "title": ["一种悬架"] * rows,
            "application_date": [date(2023, 1, 5)] * rows,
            "publication_date": [date(2023, 7, 5)] * rows,
            "grant_date": [None, date(2024, 1, 2), None][:rows],
            "applicants": [["甲", "乙"]] * rows,
            "applicant_address": [None] * rows,
            "inventors": [None] * rows,
            "ipc_codes": [["B60G17/015"]] * rows,
            "claims_count": [10, None, 0][:rows],
            "cited_applications": [None] * rows,
            "legal_status": ["pending", "granted", "pending"][:rows],
            "pct": [False, None, True][:rows],
            "family_size": [1, 2, None][:rows],
            "_file": ["landing/patents/2026-11-12/a.csv"] * rows,
            "_row_number": list(range(1, rows + 1)),
            "_extra": [None] * rows,
        },
        schema=raw_schema("patents"),
    ).with_columns(pl.lit(DROP).alias("landing_date"))


def test_suite_has_built_in_expectations_for_what_gx_can_express() -> None:
    suite = expectations(load_contract("patents"))
    types = [e.expectation_type for e in suite]
    for expected in (
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_in_set",
        "expect_column_values_to_match_regex",
        "expect_column_values_to_be_between",
        "expect_column_pair_values_to_be_equal",
        "expect_column_pair_values_a_to_be_greater_than_b",
        "expect_compound_columns_to_be_unique",
    ):
        assert expected in types
    rules = {e.meta["rule"] for e in suite if e.meta}
    assert {"check_digit", "type_number_mismatch", "future_date", "date_order"} <= rules


def test_gx_frame_adds_helpers_and_flattens_lists() -> None:
    frame = gx_frame(patents(), load_contract("patents"))
    assert frame["application_number__check_expected"].to_list() == ["6", "3", "7"]
    assert frame["application_number__type"].to_list() == ["invention", "invention", "design"]
    assert frame["applicants"].to_list() == ["甲; 乙"] * 3
    assert frame.schema["application_date"] == pl.Datetime("ns")


def test_valid_rows_pass_every_expectation() -> None:
    summary = run_suite(patents(), load_contract("patents"))
    assert summary.success, summary.failed
    assert summary.rows == 3 and summary.unexpected_total == 0


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (pl.lit("CN202310123456.7").alias("application_number"), "check_digit"),
        (pl.lit("utility_model").alias("patent_type"), "type_number_mismatch"),
        (pl.lit("alive").alias("legal_status"), "unknown_value"),
        (pl.lit(date(2027, 1, 1)).alias("publication_date"), "future_date"),
        (pl.lit(date(2022, 1, 1)).alias("grant_date"), "date_order"),
        (pl.lit(-1, pl.Int64).alias("claims_count"), "negative_amount"),
        (pl.lit(None, pl.List(pl.String)).alias("applicants"), "missing_required"),
    ],
)
def test_a_contract_breach_fails_the_suite_with_unexpected_counts(
    change: pl.Expr, rule: str
) -> None:
    rows = patents()
    broken = pl.concat([rows.head(2), rows.tail(1).with_columns(change)])
    summary = run_suite(broken, load_contract("patents"))
    assert not summary.success
    assert rule in {o.rule for o in summary.failed}
    assert all(o.error is None for o in summary.outcomes)
    assert sum(o.unexpected_count or 0 for o in summary.failed if o.rule == rule) >= 1


def test_drops_are_validated_together_each_against_its_own_date() -> None:
    rows = patents()
    later = rows.with_columns(
        pl.lit(date(2026, 11, 20)).alias("landing_date"),
        pl.lit(date(2026, 11, 18)).alias("publication_date"),
        pl.lit("landing/patents/2026-11-20/a.csv").alias("_file"),
    )
    # The same applications again in a later drop, published after the first drop's date.
    assert run_suite(pl.concat([rows, later]), load_contract("patents")).success
    early = later.with_columns(pl.lit(DROP).alias("landing_date"))
    failed = run_suite(pl.concat([rows, early]), load_contract("patents")).failed
    assert {o.rule for o in failed} == {"future_date", "duplicate_key"}


def test_duplicates_and_rd_ratio_fail_the_suite() -> None:
    rows = patents()
    summary = run_suite(pl.concat([rows, rows.head(1)]), load_contract("patents"))
    assert "duplicate_key" in {o.rule for o in summary.failed}
    rd = pl.DataFrame(
        [
            {
                "credit_code": "x",
                "enterprise_name": "甲",
                "fiscal_year": 2025,
                "revenue": 10.0,
                "rd_expense": 25.0,
                "reported_date": date(2026, 4, 1),
                "credit_code_valid": False,
                "_file": "f",
                "_row_number": 1,
            }
        ],
        schema=raw_schema("rd_records"),
    ).with_columns(pl.lit(DROP).alias("landing_date"))
    summary = run_suite(rd, load_contract("rd_records"))
    assert [o.rule for o in summary.failed] == ["rd_expense_exceeds_revenue"]


def test_dates_beyond_nanoseconds_neither_fail_the_suite_nor_hide_a_breach() -> None:
    # Registries write 9999-12-31 for "no expiry": the cast to datetime64[ns] failed and,
    # with it, the blocking check and the whole drop's ingest.
    rows = patents().with_columns(
        pl.Series("grant_date", [None, date(9999, 12, 31), None]),
        pl.Series("application_date", [date(1500, 1, 1), date(2023, 1, 5), date(2023, 1, 5)]),
    )
    summary = run_suite(rows, load_contract("patents"))
    assert all(o.error is None for o in summary.outcomes)
    # A grant on 9999-12-31 is after the drop: still a future date.
    assert {o.rule for o in summary.failed} == {"future_date"}
    assert summary.unexpected_total == 1


def test_one_validation_and_one_per_column_set_give_the_same_outcomes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A small drop runs the suite as one validation, a large one per set of columns read.
    rows = patents()
    broken = pl.concat(
        [rows, rows.tail(1).with_columns(pl.lit(-1, pl.Int64).alias("claims_count"))]
    )
    contract = load_contract("patents")

    def outcomes() -> list[tuple[object, ...]]:
        summary = run_suite(broken, contract)
        return sorted(
            (o.expectation, o.target, o.rule or "", o.success, o.unexpected_count or 0)
            for o in summary.outcomes
        )

    whole = outcomes()
    monkeypatch.setattr("data_contracts.gx_suite.ONE_VALIDATION_ROWS", 0)
    assert outcomes() == whole
    assert any(not success for *_, success, _ in whole)
