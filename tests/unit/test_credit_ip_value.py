from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from capscore.credit.ip_value import enterprise_ip_values, patent_values
from tests.models_v1 import credit_v1

D = date(2026, 11, 20)
POLICY = credit_v1()


def years_to(day: date) -> float:
    """Years from `day` to D, in days / 365.25 as the policy counts them."""
    return (D - day).days / 365.25


def patents(*rows: tuple[str, str, date, str, date | None]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "application_number": pl.String,
            "patent_type": pl.String,
            "application_date": pl.Date,
            "legal_status": pl.String,
            "grant_date": pl.Date,
        },
        orient="row",
    )


def links(*rows: tuple[str, int, str | None, str]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "application_number": pl.String,
            "applicant_position": pl.Int64,
            "credit_code": pl.String,
            "decision": pl.String,
        },
        orient="row",
    )


def test_value_proxy_share_term_and_validity() -> None:
    granted = date(2022, 6, 1)
    um_filed = date(2016, 11, 1)
    # the utility model's statutory term is over by D, the invention's and design's are not
    assert years_to(um_filed) > POLICY.statutory_term_years["utility_model"]
    patent = patents(
        ("inv", "invention", date(2021, 11, 20), "granted", granted),
        ("um", "utility_model", um_filed, "granted", granted),  # term over
        ("pending", "invention", date(2024, 1, 1), "pending", None),
        ("future_grant", "invention", date(2024, 1, 1), "granted", date(2026, 12, 1)),
        ("design", "design", date(2020, 1, 1), "granted", None),
    )
    link = links(
        ("inv", 0, "X", "matched"),
        ("inv", 1, None, "unmatched"),  # a university co-applicant
        ("um", 0, "X", "matched"),
        ("pending", 0, "X", "matched"),
        ("future_grant", 0, "X", "matched"),
        ("design", 0, "X", "matched"),
        ("design", 1, "Y", "review"),  # not matched: Y owns nothing yet
    )
    inv_quality = 0.5
    quality = pl.DataFrame({"application_number": ["inv"], "quality_index": [inv_quality]})
    values = patent_values(patent, link, quality, POLICY, D)
    assert values["application_number"].to_list() == ["design", "inv"]

    def value(kind: str, quality_index: float, remaining: float, share: float) -> float:
        """base x (floor + slope x quality) x remaining / statutory term x share"""
        term = POLICY.statutory_term_years[kind]
        factor = POLICY.quality_floor + POLICY.quality_slope * quality_index
        return POLICY.base_value[kind] * factor * remaining / term * share

    inv = values.filter(pl.col("application_number") == "inv").row(0, named=True)
    remaining = POLICY.statutory_term_years["invention"] - years_to(date(2021, 11, 20))
    assert inv["share"] == 0.5
    assert inv["remaining_years"] == pytest.approx(remaining)
    assert inv["value_wan"] == pytest.approx(value("invention", inv_quality, remaining, 0.5))
    assert inv["pledge_value_wan"] == pytest.approx(
        inv["value_wan"] * POLICY.pledge_ltv["invention"]
    )
    design = values.filter(pl.col("application_number") == "design").row(0, named=True)
    # no quality index → the floor; half the design is X's (two applicant positions)
    design_remaining = POLICY.statutory_term_years["design"] - years_to(date(2020, 1, 1))
    assert design["value_wan"] == pytest.approx(value("design", 0.0, design_remaining, 0.5))

    totals = enterprise_ip_values(values).row(0, named=True)
    assert totals["credit_code"] == "X"
    assert totals["valid_patents"] == 2
    assert totals["ip_value_wan"] == pytest.approx(inv["value_wan"] + design["value_wan"])
    assert totals["pledge_value_wan"] == pytest.approx(
        inv["pledge_value_wan"] + design["value_wan"] * POLICY.pledge_ltv["design"]
    )


def test_an_enterprise_listed_twice_on_one_patent_owns_both_shares() -> None:
    patent = patents(("inv", "invention", date(2020, 1, 1), "granted", None))
    link = links(("inv", 0, "X", "matched"), ("inv", 1, "X", "matched"), ("inv", 2, "Z", "matched"))
    values = patent_values(
        patent,
        link,
        pl.DataFrame(schema={"application_number": pl.String, "quality_index": pl.Float64}),
        POLICY,
        D,
    )
    assert dict(values.select("credit_code", "share").iter_rows()) == pytest.approx(
        {"X": 2 / 3, "Z": 1 / 3}
    )
