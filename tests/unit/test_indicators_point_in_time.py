"""Point-in-time: rows dated after D change no output as of D; reruns are identical."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from benchmarks.scoring_chain import SyntheticInputs, synthetic_inputs
from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.inputs import (
    APPLICANT_LINK,
    ENTERPRISE,
    PATENT,
    RD_FILING,
    conform,
    from_records,
)
from capscore.indicators.patent_quality import patent_quality
from capscore.scoring.scores import score
from scoring_models.config import ScoringModel
from tests.models_v1 import scoring_v1

D = date(2026, 6, 30)


def run(data: SyntheticInputs, model: ScoringModel) -> dict[str, pl.DataFrame]:
    quality = patent_quality(data.patents, data.links, D, model)
    wide, profile = enterprise_indicators(
        data.enterprises, data.patents, data.links, data.rd_filings, quality, D, model
    )
    values, scores = score(wide, profile, model)
    return {
        "quality": quality,
        "wide": wide,
        "profile": profile,
        "values": values,
        "scores": scores,
    }


def assert_same(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> None:
    for name, frame in right.items():
        try:
            assert_frame_equal(left[name], frame, check_exact=True)
        except AssertionError as err:
            raise AssertionError(f"{name} differs: {err}") from err


def with_future_rows(data: SyntheticInputs) -> SyntheticInputs:
    """The same world plus patents, citations, filings and snapshots dated after D."""
    codes = data.enterprises["credit_code"].to_list()
    old = data.patents.filter(pl.col("publication_date") <= D)["application_number"].to_list()
    later = D + timedelta(days=1)
    future_patents = from_records(
        [
            # Filed before D, published after: invisible, as are its citations.
            dict(
                application_number=f"CNF{i:010d}.1",
                patent_type="invention",
                application_date=date(2025, 1, 1),
                publication_date=later + timedelta(days=i),
                grant_date=later + timedelta(days=i),
                legal_status="granted",
                ipc_codes=["G06F3/00", "Z99Z"],
                claims_count=40,
                cited_applications=old[i::40][:30],
                pct=True,
                family_size=9,
            )
            for i in range(40)
        ],
        PATENT,
    )
    future_links = from_records(
        [
            dict(
                application_number=f"CNF{i:010d}.1",
                applicant_position=p,
                applicant_kind=kind,
                credit_code=codes[(i * 7 + p) % len(codes)] if kind == "enterprise" else None,
                decision="matched" if kind == "enterprise" else "unmatched",
            )
            for i in range(40)
            for p, kind in enumerate(["enterprise", "university"])
        ],
        APPLICANT_LINK,
    )
    future_filings = from_records(
        [
            # A refiling and a new fiscal year, both reported after D.
            dict(
                credit_code=code,
                fiscal_year=year,
                revenue=99999.0,
                rd_expense=5000.0,
                total_assets=1.0,
                total_liabilities=5.0,
                rd_staff=900,
                total_staff=1000,
                reported_date=later,
            )
            for code in codes[:60]
            for year in (D.year - 1, D.year)
        ],
        RD_FILING,
    )
    base = data.enterprises.row(0, named=True)
    future_snapshots = from_records(
        [
            # A later snapshot changes an existing enterprise; a new one appears.
            {
                **data.enterprises.row(i, named=True),
                "status": "注销",
                "industry_code": "Z9999",
                "hnte_valid_until": date(2035, 1, 1),
                "srdi_level": "national",
                "snapshot_date": later + timedelta(days=i),
            }
            for i in range(0, 60, 3)
        ]
        + [{**base, "credit_code": "91FUTURE0000000000", "snapshot_date": later}],
        ENTERPRISE,
    )
    return SyntheticInputs(
        as_of=D,
        enterprises=pl.concat([conform(data.enterprises, ENTERPRISE), future_snapshots]),
        patents=pl.concat([data.patents, future_patents.select(data.patents.columns)]),
        links=pl.concat([data.links, future_links.select(data.links.columns)]),
        rd_filings=pl.concat([data.rd_filings, future_filings.select(data.rd_filings.columns)]),
    )


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path)."""
    return scoring_v1()


@pytest.fixture(scope="module")
def world() -> SyntheticInputs:
    data = synthetic_inputs(400, 3000, seed=11, as_of=D)
    # The generator also dates some rows after D (publications, grants, filings).
    assert data.patents.filter(pl.col("publication_date") > D).height > 0
    return data


def test_rows_dated_after_d_change_nothing(world: SyntheticInputs, model: ScoringModel) -> None:
    before = run(world, model)
    after = run(with_future_rows(world), model)
    assert_same(after, before)


def test_future_rows_do_change_a_later_as_of_date(
    world: SyntheticInputs, model: ScoringModel
) -> None:
    """Guards the test above against future rows that would be ignored anyway."""
    later = D + timedelta(days=400)
    grown = with_future_rows(world)
    quality_now = patent_quality(world.patents, world.links, later, model)
    quality_grown = patent_quality(grown.patents, grown.links, later, model)
    assert quality_grown.height > quality_now.height
    _, profile_now = enterprise_indicators(
        world.enterprises, world.patents, world.links, world.rd_filings, quality_now, later, model
    )
    _, profile_grown = enterprise_indicators(
        grown.enterprises, grown.patents, grown.links, grown.rd_filings, quality_grown, later, model
    )
    assert not profile_grown.equals(profile_now)


def test_a_rerun_gives_identical_rows(world: SyntheticInputs, model: ScoringModel) -> None:
    first, second = run(world, model), run(world, model)
    assert_same(second, first)
