from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from data_contracts.check_digits import (
    CREDIT_CODE_CHARSET,
    application_check_char,
    application_check_char_expr,
    credit_code_check_char,
    credit_code_check_char_expr,
    credit_code_problem,
)

bodies = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17)
digit_strings = st.one_of(
    st.text(alphabet="0123456789", min_size=12, max_size=12),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)


@settings(max_examples=50, deadline=None)
@given(st.lists(bodies, min_size=1, max_size=30))
def test_vectorised_credit_check_matches_the_scalar_one(codes: list[str]) -> None:
    frame = pl.DataFrame({"body": codes})
    vectorised = frame.select(credit_code_check_char_expr(pl.col("body"))).to_series().to_list()
    assert vectorised == [credit_code_check_char(code) for code in codes]


@settings(max_examples=50, deadline=None)
@given(st.lists(digit_strings, min_size=1, max_size=30))
def test_vectorised_application_check_matches_the_scalar_one(numbers: list[str]) -> None:
    frame = pl.DataFrame({"digits": numbers})
    vectorised = frame.select(application_check_char_expr(pl.col("digits"))).to_series().to_list()
    assert vectorised == [application_check_char(n) for n in numbers]


@settings(max_examples=100, deadline=None)
@given(bodies, st.sampled_from(CREDIT_CODE_CHARSET))
def test_exactly_one_check_character_verifies(body: str, last: str) -> None:
    verifies = credit_code_problem(body + last) is None
    assert verifies == (last == credit_code_check_char(body))
