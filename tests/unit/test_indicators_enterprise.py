"""Enterprise indicators, fiscal facts, life stage and profile on hand-computed examples (§2, §4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
import pytest

from capscore.indicators.enterprise import (
    PROFILE_SCHEMA,
    age_years,
    enterprise_indicators,
    indicators_of,
)
from capscore.indicators.fiscal import fiscal_facts
from capscore.indicators.inputs import (
    APPLICANT_LINK,
    ENTERPRISE,
    PATENT,
    PATENT_QUALITY,
    RD_FILING,
    from_records,
)
from capscore.indicators.life_stage import life_stage_expr
from capscore.indicators.patent_facts import patent_view
from scoring_models.config import ScoringModel
from tests.models_v1 import scoring_v1, stage_condition

D = date(2024, 12, 31)


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path: the examples are worked out with v1's windows and bands)."""
    return scoring_v1()


def patent(
    number: str,
    kind: str,
    filed: date,
    published: date,
    status: str,
    ipc: list[str],
    granted: date | None = None,
    cites: list[str] | None = None,
    pct: bool = False,
    family: int | None = None,
) -> dict[str, Any]:
    return dict(
        application_number=number,
        patent_type=kind,
        application_date=filed,
        publication_date=published,
        grant_date=granted,
        legal_status=status,
        ipc_codes=ipc,
        cited_applications=cites or [],
        pct=pct,
        family_size=family,
    )


PATENTS: list[dict[str, Any]] = [
    patent(
        "Pa",
        "invention",
        date(2022, 3, 1),
        date(2023, 9, 1),
        "granted",
        ["G06F3/00"],
        granted=date(2024, 5, 1),
        pct=True,
    ),
    patent("Pb", "invention", date(2020, 1, 1), date(2021, 7, 1), "rejected", ["G06F9/00"]),
    patent(
        "Pc",
        "utility_model",
        date(2023, 5, 1),
        date(2023, 11, 1),
        "granted",
        ["G06F1/00", "H04L9/00"],
        granted=date(2023, 11, 1),
        cites=["Pa"],
    ),
    patent("Pd", "invention", date(2023, 2, 1), date(2024, 8, 1), "pending", ["H04W4/00"]),
    patent(
        "Pe",
        "invention",
        date(2019, 1, 1),
        date(2020, 7, 1),
        "lapsed",
        ["G06F5/00"],
        granted=date(2021, 1, 1),
        family=3,
    ),
    patent("Pf", "invention", date(2022, 6, 1), date(2025, 1, 15), "pending", ["B01D1/00"]),
    patent(
        "Pg",
        "invention",
        date(2021, 1, 1),
        date(2022, 7, 1),
        "granted",
        ["A61K8/00"],
        granted=date(2025, 2, 1),
    ),
    patent(
        "Ph",
        "utility_model",
        date(2024, 3, 1),
        date(2024, 10, 1),
        "pending",
        ["G06F3/00"],
        cites=["Pa", "Pb"],
    ),
]

# Hand-set patent quality so the enterprise aggregation is checked on its own.
QUALITY: dict[str, dict[str, Any]] = {
    "Pa": dict(
        quality_index=0.8,
        originality=0.5,
        generality=0.6,
        forward_citations_5y=1,
        breakthrough=True,
    ),
    "Pb": dict(
        quality_index=0.2,
        originality=0.2,
        generality=None,
        forward_citations_5y=0,
        breakthrough=False,
    ),
    "Pc": dict(
        quality_index=0.5,
        originality=None,
        generality=None,
        forward_citations_5y=0,
        breakthrough=False,
    ),
    "Pd": dict(
        quality_index=0.1,
        originality=0.2,
        generality=None,
        forward_citations_5y=0,
        breakthrough=False,
    ),
    "Pe": dict(
        quality_index=0.9,
        originality=0.2,
        generality=0.2,
        forward_citations_5y=2,
        breakthrough=False,
    ),
    "Pg": dict(
        quality_index=0.3,
        originality=0.2,
        generality=None,
        forward_citations_5y=0,
        breakthrough=False,
    ),
    "Ph": dict(
        quality_index=0.4,
        originality=0.0,
        generality=None,
        forward_citations_5y=0,
        breakthrough=False,
    ),
}


def link(
    number: str,
    position: int,
    code: str | None,
    kind: str = "enterprise",
    decision: str = "matched",
) -> dict[str, Any]:
    return dict(
        application_number=number,
        applicant_position=position,
        applicant_kind=kind,
        credit_code=code,
        decision=decision,
    )


LINKS: list[dict[str, Any]] = [
    *[link(n, 0, "E1") for n in ("Pa", "Pb", "Pc", "Pd", "Pe", "Pf", "Pg")],
    link("Pg", 1, None, kind="university", decision="unmatched"),
    link("Ph", 0, "E2"),
    link("Ph", 1, "E3", decision="review"),
]

ENTERPRISES: list[dict[str, Any]] = [
    dict(
        credit_code="E1",
        name="一号科技有限公司",
        status="存续",
        industry_code="I6510",
        established_date=date(2015, 6, 30),
        hnte_valid_until=date(2025, 6, 30),
        srdi_level="provincial",
        snapshot_date=date(2024, 6, 1),
    ),
    dict(
        credit_code="E2",
        name="二号",
        status="注销",
        industry_code="c3670",
        established_date=date(2023, 1, 1),
        hnte_valid_until=date(2024, 12, 30),
        srdi_level="national",
        snapshot_date=date(2024, 6, 1),
    ),
    dict(
        credit_code="E3",
        name="三号",
        status="在业",
        industry_code=None,
        established_date=date(2000, 1, 1),
        srdi_level=None,
        snapshot_date=date(2024, 6, 1),
    ),
]

FILINGS: list[dict[str, Any]] = [
    dict(
        credit_code="E1",
        fiscal_year=2020,
        revenue=10.0,
        rd_expense=9.0,
        reported_date=date(2021, 5, 1),
    ),
    dict(
        credit_code="E1",
        fiscal_year=2021,
        revenue=1000.0,
        rd_expense=50.0,
        reported_date=date(2022, 5, 1),
    ),
    dict(
        credit_code="E1",
        fiscal_year=2022,
        revenue=1200.0,
        rd_expense=60.0,
        reported_date=date(2023, 5, 1),
    ),
    dict(
        credit_code="E1",
        fiscal_year=2023,
        revenue=900.0,
        rd_expense=90.0,
        reported_date=date(2024, 4, 1),
    ),
    # A refiling of 2023 supersedes the first one.
    dict(
        credit_code="E1",
        fiscal_year=2023,
        revenue=1500.0,
        rd_expense=90.0,
        total_assets=1000.0,
        total_liabilities=400.0,
        rd_staff=10,
        total_staff=50,
        reported_date=date(2024, 6, 1),
    ),
    # Stale: latest fiscal year 2019 < 2024 - 3.
    dict(
        credit_code="E3",
        fiscal_year=2019,
        revenue=15000.0,
        rd_expense=100.0,
        reported_date=date(2020, 5, 1),
    ),
]


@pytest.fixture(scope="module")
def result(
    model: ScoringModel,
) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]]:
    quality = pl.DataFrame(
        [{"application_number": k, **v} for k, v in QUALITY.items()],
        schema=PATENT_QUALITY,
    )
    wide, profile = enterprise_indicators(
        from_records(ENTERPRISES, ENTERPRISE),
        from_records(PATENTS, PATENT),
        from_records(LINKS, APPLICANT_LINK),
        from_records(FILINGS, RD_FILING),
        quality,
        D,
        model,
    )
    assert profile.schema == pl.Schema(PROFILE_SCHEMA)
    assert wide.columns == ["credit_code", *model.indicator_names]
    return (
        {r["credit_code"]: r for r in wide.iter_rows(named=True)},
        {r["credit_code"]: r for r in profile.iter_rows(named=True)},
    )


def test_patent_quality_in_any_order_gives_the_same_indicators(model: ScoringModel) -> None:
    # In the view's order (as patent quality comes from the same run) the quality rows
    # are matched by position, in another by the number: the indicators are the same.
    patents, links = from_records(PATENTS, PATENT), from_records(LINKS, APPLICANT_LINK)
    view = patent_view(patents, links, D, model.patents)
    quality = (
        pl.DataFrame(
            [{"application_number": k, **v} for k, v in QUALITY.items()], schema=PATENT_QUALITY
        )
        .join(view.pats.select("application_number"), on="application_number", how="right")
        .select(list(PATENT_QUALITY))
    )
    assert quality["application_number"].equals(view.pats["application_number"])
    inputs = (from_records(ENTERPRISES, ENTERPRISE), view, links, from_records(FILINGS, RD_FILING))
    aligned = indicators_of(*inputs, quality, D, model)
    shuffled = indicators_of(*inputs, quality.reverse(), D, model)
    assert all(a.equals(b) for a, b in zip(aligned, shuffled, strict=True))


def test_patent_counts_and_shares(result: tuple[dict, dict]) -> None:
    e1 = result[0]["E1"]
    # Visible: Pa Pb Pc Pd Pe Pg (Pf is published after D); Pg's grant is after D.
    assert e1["invention_filings_3y"] == 2  # Pa, Pd filed after 2021-12-31
    assert e1["valid_invention_stock"] == 1  # Pa (Pe lapsed)
    assert e1["valid_patent_share"] == pytest.approx(2 / 3)  # Pa, Pc of granted Pa, Pc, Pe
    assert e1["invention_grant_rate"] == pytest.approx(2 / 3)  # Pa, Pe of decided Pa, Pb, Pe
    assert e1["international_reach"] == pytest.approx(2 / 6)  # Pa pct, Pe family 3
    assert e1["technology_breadth"] == 2  # G06F, H04L among valid Pa, Pc
    assert e1["new_fields_3y"] == 2  # H04L, H04W first seen after 2021-12-31
    assert e1["pending_share"] == pytest.approx(1 / 3)  # Pd of Pa, Pc, Pd
    assert e1["collaboration"] == 1  # Pg with a university


def test_filing_growth_is_smoothed_cagr(result: tuple[dict, dict], model: ScoringModel) -> None:
    # 0 filings in 2024, 1 (Pg, 2021-01-01) in the 12 months before 2021-12-31.
    assert model.growth_years == D.year - 2021
    growth = ((0 + 1) / (1 + 1)) ** (1 / model.growth_years) - 1
    assert result[0]["E1"]["filing_growth"] == pytest.approx(growth)
    # E3 has no patent (its link is only `review`): growth is missing, counts are 0.
    assert result[0]["E3"]["filing_growth"] is None
    assert result[0]["E3"]["valid_invention_stock"] == 0


def test_quality_and_influence_aggregates(result: tuple[dict, dict]) -> None:
    e1 = result[0]["E1"]
    assert e1["portfolio_quality"] == pytest.approx((0.8 + 0.2 + 0.5 + 0.1 + 0.3) / 5)  # not Pe
    assert e1["originality_mean"] == pytest.approx((0.5 + 0.2 + 0.2 + 0.2 + 0.2) / 5)
    assert e1["generality_mean"] == pytest.approx(0.4)
    assert e1["forward_citations"] == 3
    assert e1["breakthrough_patents"] == 1
    # Ph (E2) cites Pa and Pb; Pc (E1 itself) citing Pa does not count.
    assert e1["citing_applicants"] == 1
    assert result[0]["E2"]["citing_applicants"] == 0


def test_fiscal_indicators(result: tuple[dict, dict]) -> None:
    e1 = result[0]["E1"]
    assert e1["rd_intensity"] == pytest.approx((50 + 60 + 90) / (1000 + 1200 + 1500))
    assert e1["revenue_growth"] == pytest.approx(0.5 * (1200 / 1000 + 1500 / 1200) - 1)
    assert e1["rd_growth"] == pytest.approx(0.5 * (60 / 50 + 90 / 60) - 1)
    assert e1["rd_staff_share"] == pytest.approx(0.2)
    assert e1["debt_ratio"] == pytest.approx(0.4)
    assert e1["revenue_scale"] == pytest.approx(1500)
    # No filing / stale filing: missing, not zero.
    for code in ("E2", "E3"):
        assert result[0][code]["rd_intensity"] is None
        assert result[0][code]["revenue_scale"] is None


def test_certification_points(result: tuple[dict, dict], model: ScoringModel) -> None:
    points = model.srdi_points
    # HNTE valid + provincial
    assert result[0]["E1"]["certification"] == model.hnte_points + points["provincial"]
    # HNTE expired on 2024-12-30 + national
    assert result[0]["E2"]["certification"] == points["national"]
    assert result[0]["E3"]["certification"] == 0  # neither (no 专精特新 level on file)


def test_profile(result: tuple[dict, dict], model: ScoringModel) -> None:
    p1, p2, p3 = (result[1][c] for c in ("E1", "E2", "E3"))
    statuses = {e["credit_code"]: e["status"] for e in ENTERPRISES}
    assert [statuses[c] in model.active_statuses for c in ("E1", "E2", "E3")] == [
        True,
        False,
        True,
    ]
    assert (p1["active"], p2["active"], p3["active"]) == (True, False, True)
    assert p1["industry_section"] == "I" and p2["industry_section"] == "C"
    assert p3["industry_section"] is None
    assert "age_years" not in p1  # it moves every day: computed where read, not stored
    age = pl.DataFrame({"established_date": [p1["established_date"]]}).select(age_years(D, model))
    assert age.item() == pytest.approx((D - date(2015, 6, 30)).days / model.days_per_year)
    assert (p1["life_stage"], p2["life_stage"], p3["life_stage"]) == ("startup", "seed", "startup")
    assert p1["revenue_latest"] == 1500 and p1["fiscal_year_latest"] == 2023
    assert (p1["valid_invention_count"], p1["valid_type2_count"], p1["patent_count"]) == (1, 1, 6)
    assert p1["hnte_valid"] is True and p2["hnte_valid"] is False
    assert p1["model_version"] == model.version


def stage_cases(model: ScoringModel) -> list[tuple[str, float | None, float | None, str]]:
    """(case, age, revenue, expected stage) on and around each boundary of the v1 bands."""
    seed = stage_condition(model, "seed", "age_lte", "revenue_lt")
    seed_age, seed_revenue = seed["age_lte"], seed["revenue_lt"]
    startup_revenue = stage_condition(model, "startup", "revenue_lt")["revenue_lt"]
    growth_revenue = stage_condition(model, "growth", "revenue_lt")["revenue_lt"]
    large = stage_condition(model, "mature", "revenue_gte")["revenue_gte"]
    old = stage_condition(model, "mature", "age_gt", "revenue_gte")
    old_age, old_revenue = old["age_gt"], old["revenue_gte"]
    # The bands nest as v1 lays them out; the cases below rely on it.
    assert seed_revenue < startup_revenue < old_revenue < large == growth_revenue
    assert seed_age < old_age
    middle_age = (seed_age + old_age) / 2
    between = (old_revenue + large) / 2
    return [
        ("young_no_revenue", seed_age - 1, None, "seed"),
        ("seed_edge", seed_age, seed_revenue - 1, "seed"),
        ("seed_revenue_edge", seed_age, seed_revenue, "startup"),
        ("past_seed_age", seed_age + 1, None, "startup"),
        ("startup_edge", middle_age, startup_revenue - 1, "startup"),
        ("growth_from", middle_age, startup_revenue, "growth"),
        ("growth_not_old", middle_age, between, "growth"),
        ("old_and_large", old_age + 1, between, "mature"),
        ("old_under_mature_revenue", old_age + 1, old_revenue - 1, "growth"),
        ("old_small", old_age + 1, startup_revenue - 1, "startup"),
        ("any_age_large", seed_age + 2, large, "mature"),
        ("unknown_age_small", None, seed_revenue - 1, "startup"),
        ("unknown_age_large", None, large + 10000, "mature"),
    ]


@pytest.mark.parametrize(
    ("age", "revenue", "stage"),
    [pytest.param(*case[1:], id=case[0]) for case in stage_cases(scoring_v1())],
)
def test_life_stage_bands(
    model: ScoringModel, age: float | None, revenue: float | None, stage: str
) -> None:
    frame = pl.DataFrame(
        {"age": [age], "revenue": [revenue]}, schema={"age": pl.Float64, "revenue": pl.Float64}
    )
    assert frame.select(life_stage_expr(model, pl.col("age"), pl.col("revenue"))).item() == stage


def test_two_year_growth_and_zero_base(model: ScoringModel) -> None:
    filings = from_records(
        [
            dict(
                credit_code="X",
                fiscal_year=2022,
                revenue=100.0,
                rd_expense=0.0,
                reported_date=date(2023, 5, 1),
            ),
            dict(
                credit_code="X",
                fiscal_year=2023,
                revenue=150.0,
                rd_expense=10.0,
                reported_date=date(2024, 5, 1),
            ),
            dict(
                credit_code="Y",
                fiscal_year=2021,
                revenue=100.0,
                rd_expense=5.0,
                reported_date=date(2022, 5, 1),
            ),
            dict(
                credit_code="Y",
                fiscal_year=2023,
                revenue=300.0,
                rd_expense=5.0,
                reported_date=date(2024, 5, 1),
            ),
        ],
        RD_FILING,
    )
    facts = {r["credit_code"]: r for r in fiscal_facts(filings, D, model).iter_rows(named=True)}
    assert facts["X"]["revenue_growth"] == pytest.approx(0.5)
    assert facts["X"]["rd_growth"] is None  # zero base
    assert facts["Y"]["revenue_growth"] is None  # 2021 and 2023 are not consecutive
    assert facts["Y"]["rd_intensity"] == pytest.approx(10 / 400)


def filing(code: str, year: int, revenue: float, rd_expense: float | None = None) -> dict:
    """A fiscal-year filing reported in May of the year after."""
    return dict(
        credit_code=code,
        fiscal_year=year,
        revenue=revenue,
        rd_expense=rd_expense,
        reported_date=date(year + 1, 5, 1),
    )


def test_growth_never_reads_another_firms_year(model: ScoringModel) -> None:
    # A's 2022 sits right before B's 2023 in firm-then-year order: B has no base year.
    filings = from_records(
        [filing("B", 2023, 300.0), filing("A", 2022, 100.0), filing("C", 2023, 1.0)], RD_FILING
    )
    facts = {r["credit_code"]: r for r in fiscal_facts(filings, D, model).iter_rows(named=True)}
    assert [facts[code]["revenue_growth"] for code in "ABC"] == [None, None, None]


@pytest.mark.parametrize("skips", [True, False])
def test_growth_is_not_measured_from_the_year_of_establishment(
    model: ScoringModel, skips: bool
) -> None:
    # Founded in October 2021: 2021 revenue covers three months, so 2022/2021 is no growth
    # the firm made; v2.1 counts only 2023/2022.
    filings = from_records(
        [
            filing("X", year, revenue, revenue / 10)
            for year, revenue in ((2021, 25.0), (2022, 100.0), (2023, 120.0))
        ],
        RD_FILING,
    ).with_columns(established_date=pl.lit(date(2021, 10, 1)))
    rules = replace(model, growth_skips_founding_year=skips)
    facts = fiscal_facts(filings, D, rules).row(0, named=True)
    expected = 0.2 if skips else (100 / 25 + 120 / 100) / 2 - 1
    assert facts["revenue_growth"] == pytest.approx(expected)
    assert facts["rd_growth"] == pytest.approx(expected)


@pytest.mark.parametrize("revenue", [1e15, 5e14, 1e40])
def test_huge_filed_amounts_neither_fail_nor_wrap_around(
    model: ScoringModel, revenue: float
) -> None:
    # The contract bounds amounts only by being finite: one mistyped revenue (in 万元) must
    # not fail the date's indicators for every firm (1e15 overflowed the 64-bit fixed point)
    # nor turn three years' sum negative (3 x 5e14 wrapped around).
    filings = from_records(
        [filing("X", year, revenue, 60.0) for year in (2021, 2022, 2023)]
        + [filing("Y", 2023, 100.0, 5.0)],
        RD_FILING,
    )
    facts = {r["credit_code"]: r for r in fiscal_facts(filings, D, model).iter_rows(named=True)}
    assert facts["X"]["rd_intensity"] == pytest.approx(180.0 / (3 * revenue))
    assert facts["X"]["revenue_latest"] == revenue
    assert facts["Y"]["rd_intensity"] == pytest.approx(0.05)
