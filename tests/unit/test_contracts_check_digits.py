from __future__ import annotations

import polars as pl
import pytest

from data_contracts.check_digits import (
    APPLICATION_PATTERN,
    application_check_char,
    application_check_char_expr,
    application_number_problem,
    application_type,
    application_type_expr,
    credit_code_check_char,
    credit_code_check_char_expr,
    credit_code_problem,
    org_code_check_char,
)

CREDIT_CODES = ["91350100M000100Y43", "91110000600037341L"]
APPLICATIONS = ["201710601862.3", "202310123456.6", "CN202310123456.6"]


@pytest.mark.parametrize("code", CREDIT_CODES)
def test_published_credit_codes_verify(code: str) -> None:
    assert credit_code_problem(code) is None
    assert credit_code_check_char(code[:17]) == code[17]
    # Positions 9-17 are the GB 11714 organization code with its own check.
    assert org_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize("number", APPLICATIONS)
def test_published_application_numbers_verify(number: str) -> None:
    assert application_number_problem(number) is None
    assert application_type(number) == "invention"


def test_problems_say_what_is_wrong() -> None:
    assert credit_code_problem("91350100M000100Y47") == (
        "credit_code check digit mismatch: expected 3, got 7"
    )
    assert "18 characters" in (credit_code_problem("91350100M000100Y4") or "")
    assert "upper case" in (credit_code_problem("91350100m000100Y43") or "")
    assert application_number_problem("CN202310123456.7") == (
        "application_number check digit mismatch: expected 6, got 7"
    )
    assert application_check_char("98123456") == "9"


def test_vectorised_forms_agree_with_the_examples() -> None:
    codes = pl.DataFrame({"code": [*CREDIT_CODES, "91350100M000100Y4", "9135010OM000100Y43", None]})
    expected = codes.select(credit_code_check_char_expr(pl.col("code").str.head(17)))
    assert expected.to_series().to_list()[:2] == ["3", "L"]
    assert expected.to_series().to_list()[3:] == [None, None]
    numbers = pl.DataFrame({"n": [*APPLICATIONS, "CN202330123456.1", "98123456.9"]})
    digits = numbers.select(pl.col("n").str.extract(APPLICATION_PATTERN, 1).alias("d"))
    checks = digits.select(application_check_char_expr(pl.col("d"))).to_series().to_list()
    assert checks == ["3", "6", "6", "7", "9"]
    types = digits.select(application_type_expr(pl.col("d"))).to_series().to_list()
    assert types == ["invention", "invention", "invention", "design", None]
