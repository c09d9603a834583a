"""Identifiers, enterprise names and their noisy variants."""

from __future__ import annotations

import numpy as np
import opencc
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capscore.sample_data.codes import (
    INDEX_LIMIT,
    application_numbers,
    credit_codes,
    mistype_credit_codes,
    old_application_numbers,
    with_wrong_application_check,
    with_wrong_check_char,
)
from capscore.sample_data.names import (
    assemble,
    english_names,
    new_names,
    trade_names,
    unique_names,
)
from capscore.sample_data.noise import noisy_names
from capscore.sample_data.regions import county_table
from data_contracts.check_digits import (
    application_number_problem,
    application_type,
    credit_code_problem,
    org_code_check_char,
)


def test_credit_codes_verify_are_unique_and_embed_region_and_org_code() -> None:
    rng = np.random.default_rng(0)
    index = np.arange(5000)
    regions = np.array(["330402", "110108", "440305"])[index % 3]
    codes = credit_codes(index, regions, index % 2 == 0)
    assert len(set(codes.tolist())) == codes.size
    for code, region in zip(codes.tolist(), regions.tolist(), strict=True):
        assert credit_code_problem(code) is None
        assert code[:2] == "91" and code[2:8] == region
        assert code[16] == org_code_check_char(code[8:16])
    assert all(credit_code_problem(c) for c in mistype_credit_codes(codes, rng).tolist())
    wrong = with_wrong_check_char(codes, rng)
    assert all("check digit" in (credit_code_problem(c) or "") for c in wrong.tolist())


def test_application_numbers_verify_and_carry_the_type() -> None:
    rng = np.random.default_rng(0)
    digit = np.array([1, 2, 3, 8, 9] * 200)
    numbers = application_numbers(np.full(1000, 2023), digit, np.arange(1000) * 7919)
    for number, d in zip(numbers.tolist(), digit.tolist(), strict=True):
        assert application_number_problem(number) is None
        assert (
            application_type(number)
            == {
                1: "invention",
                2: "utility_model",
                3: "design",
                8: "invention",
                9: "utility_model",
            }[d]
        )
    old = old_application_numbers(np.array([1999, 2001]), np.array([1, 2]), np.array([12345, 7]))
    assert [application_number_problem(n) for n in old.tolist()] == [None, None]
    assert old.tolist()[0].startswith("CN99112345.")
    broken = with_wrong_application_check(numbers, rng)
    assert all("check digit" in (application_number_problem(n) or "") for n in broken.tolist())


def test_trade_names_are_two_to_four_characters_and_collide() -> None:
    zihao, english = trade_names(np.random.default_rng(1), 20_000)
    lengths = {len(z) for z in zihao.tolist()}
    assert lengths <= {2, 3, 4} and 2 in lengths
    assert all(e[0].isupper() for e in english.tolist())
    counts = pl.Series(zihao).value_counts()
    # Popular 字号 repeat across firms, as they do in a real registry.
    assert counts["count"].to_numpy().max() > 20


@pytest.fixture(scope="module")
def parts() -> pl.DataFrame:
    rng = np.random.default_rng(2)
    counties = county_table()
    places = counties[rng.choice(counties.height, size=3000, p=counties["weight"].to_numpy())]
    industry = rng.integers(0, 30, 3000)
    return unique_names(
        rng, new_names(rng, places, np.ones(3000, dtype=bool), industry, rng.standard_normal(3000))
    )


def test_names_follow_region_tradename_industry_form(parts: pl.DataFrame) -> None:
    names = assemble(parts)
    assert names.n_unique() == names.len()
    for row, name in zip(parts.iter_rows(named=True), names.to_list(), strict=True):
        paren = f"（{row['paren']}）" if row["paren"] else ""
        assert name == row["prefix"] + row["zihao"] + paren + row["word"] + row["orgform"]
        assert 2 <= len(row["zihao"]) <= 4
    assert (parts["prefix"] != "").mean() > 0.85  # type: ignore[operator]
    assert (parts["paren"] != "").sum() > 0


def _mentions(parts: pl.DataFrame) -> pl.DataFrame:
    return parts.select(
        assemble(parts).alias("name"),
        *[pl.col(c).alias(f"cur_{c}") for c in ("prefix", "paren", "zihao", "word", "orgform")],
        pl.lit("浙江").alias("province_short"),
        pl.lit("嘉兴").alias("prefecture_short"),
        pl.lit("Jiaxing Test Co., Ltd.").alias("english_name"),
        english_names(parts).alias("romanized"),
        pl.lit(False).alias("in_english"),
    )


@pytest.mark.parametrize(
    "kind",
    [
        "region_dropped",
        "region_added",
        "region_parenthesized",
        "legal_form_variant",
        "width_punct",
        "typo",
        "traditional",
        "english",
        "pinyin",
    ],
)
def test_each_noise_kind_changes_the_name_as_labelled(parts: pl.DataFrame, kind: str) -> None:
    mentions = _mentions(parts)
    out = noisy_names(
        np.random.default_rng(3), mentions, {kind: 1.0}, pl.Series([], dtype=pl.String)
    )
    both = out.with_columns(mentions["name"])
    labelled = both.filter(pl.col("noise") == kind)
    assert labelled.height > 0.5 * mentions.height
    assert (labelled["text"] != labelled["name"]).all()
    assert set(both["noise"]) <= {kind, "exact"}
    assert (
        both.filter(pl.col("noise") == "exact")
        .select((pl.col("text") == pl.col("name")).all())
        .item()
    )
    if kind == "traditional":
        back = opencc.OpenCC("t2s")
        assert all(back.convert(t) == n for t, n in labelled.select("text", "name").iter_rows())
    if kind == "typo":
        assert all(
            sum(a != b for a, b in zip(t, n, strict=True)) == 1
            for t, n in labelled.select("text", "name").iter_rows()
        )


def test_a_filing_in_english_carries_the_registered_english_name_or_else_pinyin(
    parts: pl.DataFrame,
) -> None:
    registered = pl.int_range(pl.len()) % 2 == 0
    mentions = _mentions(parts).with_columns(
        pl.when(registered).then(pl.col("english_name")).alias("english_name"),
        pl.lit(True).alias("in_english"),
    )
    out = noisy_names(
        np.random.default_rng(5), mentions, {"exact": 1.0}, pl.Series([], dtype=pl.String), 1.0
    ).with_columns(mentions["english_name"], mentions["romanized"])
    english = out.filter(pl.col("english_name").is_not_null())
    assert (english["noise"] == "english").all()
    assert (english["text"] == english["english_name"]).all()
    pinyin = out.filter(pl.col("english_name").is_null())
    assert (pinyin["noise"] == "pinyin").all()
    assert (pinyin["text"].str.to_lowercase() == pinyin["romanized"].str.to_lowercase()).all()
    assert pinyin["text"].str.contains(r"\p{Han}").not_().all()


def test_a_variant_that_is_another_registered_name_falls_back_to_exact(parts: pl.DataFrame) -> None:
    mentions = _mentions(parts)
    first = noisy_names(
        np.random.default_rng(4), mentions, {"region_dropped": 1.0}, pl.Series([], dtype=pl.String)
    )
    taken = first["text"]
    again = noisy_names(np.random.default_rng(4), mentions, {"region_dropped": 1.0}, taken)
    assert (again["noise"] == "exact").all() and (again["text"] == mentions["name"]).all()


@given(
    index=st.lists(st.integers(0, INDEX_LIMIT - 1), min_size=1, max_size=50, unique=True),
    region=st.sampled_from(["110101", "330402", "440305", "650102"]),
    new_style=st.booleans(),
)
def test_any_distinct_indices_give_distinct_valid_codes(
    index: list[int], region: str, new_style: bool
) -> None:
    codes = credit_codes(
        np.array(index), np.array([region] * len(index)), np.full(len(index), new_style)
    )
    assert len(set(codes.tolist())) == len(index)
    assert all(credit_code_problem(c) is None for c in codes.tolist())
