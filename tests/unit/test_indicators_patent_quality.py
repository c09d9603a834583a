"""OECD patent quality indicators on hand-computed examples (scoring.md §1)."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import polars as pl
import pytest

from capscore.indicators.inputs import APPLICANT_LINK, PATENT, from_records
from capscore.indicators.patent_facts import (
    citation_edges,
    months_before,
    subclass_list,
    visible_patents,
)
from capscore.indicators.patent_quality import capped_share, patent_quality, quality_and_cohorts
from scoring_models.config import SCORING_V2, ScoringModel, load_scoring_model
from tests.models_v1 import scoring_v1

D = date(2024, 12, 31)


def with_cohort_min(model: ScoringModel, size: int) -> ScoringModel:
    return dataclasses.replace(
        model, patents=dataclasses.replace(model.patents, cohort_min_size=size)
    )


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path: the examples are worked out with v1's rules)."""
    return scoring_v1()


def citation_example() -> tuple[pl.DataFrame, pl.DataFrame]:
    """P1 is cited by P2 (same applicant A), P3, P6 (unresolved) in 5y, P4 too late, P5 after D."""
    patents = from_records(
        [
            dict(
                application_number="P1",
                patent_type="invention",
                application_date=date(2015, 1, 10),
                publication_date=date(2016, 7, 1),
                grant_date=date(2017, 1, 10),
                legal_status="granted",
                ipc_codes=["B60G17/015", "B60G 3/00", "F16F9/00", "bad"],
                claims_count=10,
                cited_applications=[],
                pct=False,
            ),
            dict(
                application_number="P2",
                patent_type="invention",
                application_date=date(2016, 3, 1),
                publication_date=date(2017, 9, 1),
                legal_status="pending",
                ipc_codes=["B60G1/00"],
                claims_count=5,
                cited_applications=["P1", "P1"],
            ),
            dict(
                application_number="P3",
                patent_type="invention",
                application_date=date(2017, 1, 1),
                publication_date=date(2018, 6, 1),
                legal_status="pending",
                ipc_codes=["H01M10/00", "B60L50/00"],
                claims_count=20,
                cited_applications=["P1", "P2", "CN-UNKNOWN"],
            ),
            dict(
                application_number="P4",
                patent_type="invention",
                application_date=date(2019, 1, 1),
                publication_date=date(2021, 8, 1),
                legal_status="pending",
                ipc_codes=["H02J7/00"],
                cited_applications=["P1"],
            ),
            dict(
                application_number="P5",
                patent_type="invention",
                application_date=date(2023, 1, 1),
                publication_date=date(2025, 3, 1),
                legal_status="pending",
                ipc_codes=["H02J7/00"],
                cited_applications=["P1", "P3"],
            ),
            dict(
                application_number="P6",
                patent_type="utility_model",
                application_date=date(2018, 1, 1),
                publication_date=date(2019, 1, 1),
                legal_status="pending",
                ipc_codes=None,
                claims_count=1,
                cited_applications=["P1"],
            ),
        ],
        PATENT,
    )
    links = from_records(
        [
            dict(
                application_number="P1",
                applicant_position=0,
                applicant_kind="enterprise",
                credit_code="A",
                decision="matched",
            ),
            dict(
                application_number="P2",
                applicant_position=0,
                applicant_kind="enterprise",
                credit_code="A",
                decision="matched",
            ),
            dict(
                application_number="P3",
                applicant_position=0,
                applicant_kind="enterprise",
                credit_code="B",
                decision="matched",
            ),
            dict(
                application_number="P3",
                applicant_position=1,
                applicant_kind="enterprise",
                credit_code="A",
                decision="review",
            ),
            dict(
                application_number="P4",
                applicant_position=0,
                applicant_kind="enterprise",
                credit_code="C",
                decision="matched",
            ),
            dict(
                application_number="P6",
                applicant_position=0,
                applicant_kind="individual",
                credit_code=None,
                decision="unmatched",
            ),
        ],
        APPLICANT_LINK,
    )
    return patents, links


@pytest.fixture(scope="module")
def quality(model: ScoringModel) -> dict[str, dict[str, object]]:
    patents, links = citation_example()
    frame = patent_quality(patents, links, D, model)
    return {row["application_number"]: row for row in frame.iter_rows(named=True)}


def test_only_patents_published_by_d_are_scored(quality: dict[str, dict[str, object]]) -> None:
    assert sorted(quality) == ["P1", "P2", "P3", "P4", "P6"]


def test_scope_claims_family_grant_lag(quality: dict[str, dict[str, object]]) -> None:
    p1 = quality["P1"]
    assert p1["scope"] == 2  # B60G twice, F16F; "bad" is no IPC subclass
    assert p1["claims"] == 10
    assert p1["family_size"] == 1  # missing and not PCT
    assert p1["grant_lag_days"] == 731  # 2015-01-10 .. 2017-01-10 spans 29 Feb 2016
    assert quality["P2"]["grant_lag_days"] is None
    assert quality["P6"]["scope"] is None


def test_backward_citations_count_distinct_cited_applications(
    quality: dict[str, dict[str, object]],
) -> None:
    assert quality["P2"]["backward_citations"] == 1  # P1 listed twice
    assert quality["P3"]["backward_citations"] == 3  # unknown applications count too
    assert quality["P1"]["backward_citations"] == 0


def test_forward_citations_window_self_and_visibility(
    quality: dict[str, dict[str, object]], model: ScoringModel
) -> None:
    # P2 shares matched applicant A (self), P4 is published after P1's window, P5 after D;
    # P3's second applicant A is only `review`, so P3 -> P2 is no self-citation.
    p1_published = date(2016, 7, 1)
    window_end = p1_published.replace(year=p1_published.year + model.patents.forward_window_years)
    assert date(2019, 1, 1) <= window_end < date(2021, 8, 1)  # P6 inside, P4 outside
    assert quality["P1"]["forward_citations_5y"] == 2
    assert quality["P2"]["forward_citations_5y"] == 1
    assert quality["P3"]["forward_citations_5y"] == 0


def test_generality_originality_radicalness(quality: dict[str, dict[str, object]]) -> None:
    # P1's counted citing patents: P3 {H01M, B60L}, P6 (no IPC) -> shares 1/2, 1/2.
    assert quality["P1"]["generality"] == pytest.approx(0.5)
    assert quality["P4"]["generality"] is None
    # P3 cites P1 {B60G, F16F} and P2 {B60G}: shares 2/3, 1/3.
    assert quality["P3"]["originality"] == pytest.approx(1 - (4 / 9 + 1 / 9))
    assert quality["P3"]["radicalness"] == pytest.approx(1.0)
    # P2 {B60G} cites P1 {B60G, F16F}: F16F is new to it.
    assert quality["P2"]["originality"] == pytest.approx(0.5)
    assert quality["P2"]["radicalness"] == pytest.approx(0.5)
    # P6 has no IPC code: radicalness undefined, originality still defined.
    assert quality["P6"]["radicalness"] is None
    assert quality["P6"]["originality"] == pytest.approx(0.5)


def test_quality_index_and_breakthrough_in_one_cohort(
    quality: dict[str, dict[str, object]], model: ScoringModel
) -> None:
    rules = model.patents
    # Five visible patents, fewer than min_size: every one is normalized in "all".
    assert len(quality) < rules.cohort_min_size
    assert {row["cohort"] for row in quality.values()} == {"all"}
    # Raw components of P1, P2, P3, P4, P6 (None: missing). Family size is 1 for all
    # (missing, not PCT); generality enters as 0 when uncited.
    raw: dict[str, list[float | None]] = {
        "forward_citations_5y": [2, 1, 0, 0, 0],
        "family_size": [1, 1, 1, 1, 1],
        "claims": [10, 5, 20, None, 1],
        "generality": [0.5, 0.5, 0, 0, 0],
        "scope": [2, 1, 2, 1, None],
    }
    caps = {
        c: float(np.quantile([v for v in values if v is not None], rules.normalization_quantile))
        for c, values in raw.items()
    }

    def expected_index(i: int) -> float:
        """Mean of min(x, cap) / cap over the model's components (x > 0 counts 1 if cap is 0)."""
        parts = []
        for component in rules.quality_index_components:
            x, cap = raw[component][i], caps[component]
            if x is not None:
                parts.append(min(x, cap) / cap if cap > 0 else float(x > 0))
        return sum(parts) / len(parts)

    for i, number in enumerate(("P1", "P2", "P3", "P4", "P6")):
        assert quality[number]["quality_index"] == pytest.approx(expected_index(i)), number
    # P4 has no claims count: its index is the mean over fewer components.
    assert "claims" in rules.quality_index_components
    citations = [2, 1, 0, 0, 0]  # forward_citations_5y of P1, P2, P3, P4, P6
    threshold = float(np.quantile(citations, rules.breakthrough_quantile))
    assert [quality[n]["breakthrough"] for n in ("P1", "P2", "P4")] == [
        fc > 0 and fc >= threshold for fc in (2, 1, 0)
    ]
    assert quality["P1"]["breakthrough"] is True  # the example has one breakthrough


def test_validity_flags_and_links_carried(
    quality: dict[str, dict[str, object]], model: ScoringModel
) -> None:
    assert quality["P1"]["valid"] is True
    assert quality["P2"]["granted"] is False
    assert quality["P3"]["applicant_credit_codes"] == ["B"]
    assert all(row["model_version"] == model.version for row in quality.values())


def test_cohort_falls_back_from_class_to_section_to_year_to_all(model: ScoringModel) -> None:
    def patent(number: str, day: date, ipc: str) -> dict[str, object]:
        return dict(
            application_number=number,
            patent_type="invention",
            application_date=day,
            publication_date=date(2022, 6, 1),
            legal_status="pending",
            ipc_codes=[ipc],
        )

    patents = from_records(
        [
            patent("A1", date(2020, 1, 1), "B60G1/00"),
            patent("A2", date(2020, 2, 1), "B60K1/00"),
            patent("A3", date(2020, 3, 1), "B60L1/00"),
            patent("B1", date(2020, 4, 1), "B62D1/00"),
            patent("C1", date(2021, 1, 1), "H01M1/00"),
        ],
        PATENT,
    )
    frame, table, *_ = quality_and_cohorts(
        patents, from_records([], APPLICANT_LINK), D, with_cohort_min(model, 2)
    )
    cohorts = dict(zip(frame["application_number"], frame["cohort"], strict=True))
    assert cohorts == {
        "A1": "2020-B60",
        "A2": "2020-B60",
        "A3": "2020-B60",
        "B1": "2020-B",
        "C1": "all",
    }
    # The size of a cohort counts every patent of its level, also those normalized in a
    # finer one (2020-B holds the three 2020-B60 patents too).
    assert table.select("cohort", "cohort_size", "patents").rows() == [
        ("2020-B", 4, 1),
        ("2020-B60", 3, 3),
        ("all", 5, 1),
    ]


def test_capped_share_with_zero_and_missing_caps() -> None:
    frame = pl.DataFrame(
        {"x": [0.0, 3.0, 5.0, 2.0, 0.0, None, 1.0], "cap": [4.0, 4.0, 4.0, 0.0, 0.0, 4.0, None]}
    )
    out = frame.select(capped_share(pl.col("x"), pl.col("cap"))).to_series().to_list()
    assert out == [0.0, 0.75, 1.0, 1.0, 0.0, None, None]


def test_grant_after_d_is_not_known(model: ScoringModel) -> None:
    patents = from_records(
        [
            dict(
                application_number="G1",
                patent_type="invention",
                application_date=date(2020, 1, 1),
                publication_date=date(2021, 7, 1),
                grant_date=date(2025, 2, 1),
                legal_status="granted",
            ),
            dict(
                application_number="G2",
                patent_type="invention",
                application_date=date(2010, 1, 1),
                publication_date=date(2011, 7, 1),
                legal_status="lapsed",
            ),
            dict(
                application_number="G3",
                patent_type="design",
                application_date=date(2020, 1, 1),
                publication_date=date(2020, 7, 1),
                grant_date=date(2020, 7, 1),
                legal_status="withdrawn",
            ),
        ],
        PATENT,
    )
    facts = visible_patents(patents, D, model.patents)
    flags = {r["application_number"]: r for r in facts.iter_rows(named=True)}
    assert (flags["G1"]["granted"], flags["G1"]["pending"], flags["G1"]["grant_date"]) == (
        False,
        True,
        None,
    )
    assert (flags["G2"]["granted"], flags["G2"]["valid"], flags["G2"]["decided"]) == (
        True,
        False,
        True,
    )
    assert (flags["G3"]["granted"], flags["G3"]["valid"], flags["G3"]["decided"]) == (
        True,
        False,
        True,
    )


def test_a_granted_patent_past_its_statutory_term_is_not_valid() -> None:
    # QA on data of another generator, whose status of old patents stays "granted": 16
    # firms whose only patent was an invention filed 1999-2004 entered the pool by
    # `valid_invention` with full Ⅰ类 IP points, while the credit valuation counted the
    # same patents as expired (ip_value: no statutory term left). Term (专利法 §42):
    # invention 20 years, utility model 10, design 10 (15 if filed from 2021-06-01).
    day = date(2031, 12, 1)

    def granted(number: str, kind: str, applied: date) -> dict[str, object]:
        return dict(
            application_number=number,
            patent_type=kind,
            application_date=applied,
            publication_date=applied,
            grant_date=applied,
            legal_status="granted",
        )

    patents = from_records(
        [
            granted("E1", "invention", date(2000, 3, 1)),  # term ended 2020
            granted("E2", "invention", date(2012, 3, 1)),
            granted("U1", "utility_model", date(2022, 1, 1)),
            granted("U2", "utility_model", date(2021, 6, 1)),  # ended 2031-06
            granted("G1", "design", date(2021, 5, 31)),  # 10 years: ended 2031-05
            granted("G2", "design", date(2021, 6, 1)),  # 15 years
        ],
        PATENT,
    )
    for model in (scoring_v1(), load_scoring_model(SCORING_V2)):
        facts = visible_patents(patents, day, model.patents)
        valid = dict(zip(facts["application_number"], facts["valid"], strict=True))
        assert valid == {
            "E1": False,
            "E2": True,
            "U1": True,
            "U2": False,
            "G1": False,
            "G2": True,
        }
        # Still granted (and decided): only the right has ended.
        assert facts["granted"].all() and facts["decided"].all()
    # Valid on the last day of the term as the credit valuation counts it (365.25-day years).
    last = visible_patents(
        from_records([granted("E3", "invention", date(2006, 12, 1))], PATENT),
        date(2026, 11, 30),
        load_scoring_model(SCORING_V2).patents,
    )
    assert last["valid"].to_list() == [True]


def test_visible_patents_are_one_row_per_application_in_key_order(model: ScoringModel) -> None:
    def version(number: str, published: date, claims: int) -> dict[str, object]:
        return dict(
            application_number=number,
            patent_type="invention",
            application_date=date(2020, 1, 1),
            publication_date=published,
            claims_count=claims,
        )

    unique = [version("P2", date(2021, 1, 1), 2), version("P1", date(2021, 1, 1), 1)]
    facts = visible_patents(from_records(unique, PATENT), D, model.patents)
    assert facts.select("pid", "application_number", "claims_count").rows() == [
        (0, "P1", 1),
        (1, "P2", 2),
    ]
    # A stray duplicate keeps the later publication, whichever row comes first.
    later, earlier = version("P1", date(2022, 1, 1), 9), version("P1", date(2021, 6, 1), 5)
    for rows in ([*unique, later, earlier], [earlier, *unique, later]):
        facts = visible_patents(from_records(rows, PATENT), D, model.patents)
        assert facts.select("application_number", "claims_count").rows() == [("P1", 9), ("P2", 2)]


def test_subclass_list_normalizes_and_dedupes(model: ScoringModel) -> None:
    frame = pl.DataFrame({"ipc": [["b60g 17/015", "B60G3/00", "H01M", "1234", "B6"], None]})
    pattern = model.patents.ipc_subclass_pattern
    out = frame.select(subclass_list(pl.col("ipc"), pattern)).to_series().to_list()
    assert out == [["B60G", "H01M"], []]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 12, 31), 36, date(2021, 12, 31)),
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2024, 1, 15), 12, date(2023, 1, 15)),
    ],
)
def test_months_before_clips_to_month_end(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_a_citation_edge_is_found_with_or_without_the_cn_prefix() -> None:
    visible = pl.DataFrame(
        {
            "pid": [0, 1, 2],
            "application_number": ["CN201710601862.3", "CN202310123456.6", "CN202320000001.X"],
            "publication_date": [date(2018, 1, 1), date(2024, 1, 1), date(2024, 2, 1)],
            "cited_applications": [[], ["201710601862.3"], [" cn201710601862.3"]],
        },
        schema_overrides={"pid": pl.UInt32},
    )
    edges = citation_edges(visible)
    assert sorted(edges["citing_pid"].to_list()) == [1, 2]
    assert set(edges["cited_pid"].to_list()) == {0}


def test_quality_index_is_explained_by_its_cohort_caps(model: ScoringModel) -> None:
    # An analyst recomputes each quality index from scoring/patent_cohort alone.
    patents, links = citation_example()
    frame, cohorts, *_ = quality_and_cohorts(patents, links, D, with_cohort_min(model, 1))
    assert cohorts["patents"].sum() == frame.height
    shares = [
        capped_share(pl.col(c).cast(pl.Float64).fill_null(0.0), pl.col(f"cap_{c}"))
        for c in model.patents.quality_index_components
    ]
    recomputed = frame.join(cohorts, on="cohort").select(
        "application_number", "quality_index", pl.mean_horizontal(shares).alias("again")
    )
    assert recomputed.height == frame.height
    assert recomputed["quality_index"].to_list() == pytest.approx(recomputed["again"].to_list())
