"""Peer groups, percentile scores, coverage, stage-weighted composite, reasons (scoring.md §3)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date

import polars as pl
import pytest

from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.inputs import APPLICANT_LINK, ENTERPRISE, PATENT, RD_FILING, from_records
from capscore.indicators.patent_quality import patent_quality
from capscore.scoring.scores import (
    INDICATOR_VALUE_SCHEMA,
    enterprise_score_schema,
    enterprise_scores,
    score,
    score_indicators,
)
from capscore.scoring.wording import format_value, indicator_meta
from scoring_models.config import ScoringModel, load_scoring_model


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return load_scoring_model()


def peers(model: ScoringModel, size: int) -> ScoringModel:
    return dataclasses.replace(model, peer_min_size=size)


def wide_frame(model: ScoringModel, rows: Mapping[str, Mapping[str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"credit_code": code, **{n: values.get(n) for n in model.indicator_names}}
            for code, values in rows.items()
        ],
        schema={"credit_code": pl.String, **{n: pl.Float64 for n in model.indicator_names}},
    )


def profile_frame(rows: Mapping[str, tuple[str | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"credit_code": c, "industry_section": s, "life_stage": st}
            for c, (s, st) in rows.items()
        ],
        schema={"credit_code": pl.String, "industry_section": pl.String, "life_stage": pl.String},
    )


def scores_of(values: pl.DataFrame, indicator: str) -> dict[str, float | None]:
    rows = values.filter(pl.col("indicator") == indicator)
    return dict(zip(rows["credit_code"], rows["score"], strict=True))


def test_average_rank_percentile_with_ties_and_direction(model: ScoringModel) -> None:
    values = {"A": 0.1, "B": 0.2, "C": 0.2, "D": 0.4, "E": None}
    wide = wide_frame(model, {c: {"rd_intensity": v, "debt_ratio": v} for c, v in values.items()})
    profile = profile_frame({c: ("C", "growth") for c in values})
    out = score_indicators(wide, profile, peers(model, 1))
    assert out.schema == pl.Schema(INDICATOR_VALUE_SCHEMA)
    assert out.height == 5 * len(model.indicators)
    assert scores_of(out, "rd_intensity") == {"A": 0.0, "B": 50.0, "C": 50.0, "D": 100.0, "E": None}
    assert scores_of(out, "debt_ratio") == {"A": 100.0, "B": 50.0, "C": 50.0, "D": 0.0, "E": None}
    rd = out.filter(pl.col("indicator") == "rd_intensity").row(0, named=True)
    assert (rd["peer_group"], rd["peer_size"], rd["peer_median"], rd["peer_median_score"]) == (
        "C-growth",
        4,
        0.2,
        50.0,
    )
    assert (rd["dimension"], rd["direction"], rd["weight"]) == (
        "innovation",
        "higher",
        pytest.approx(1 / 7),
    )
    assert set(out["model_version"]) == {"scoring_v1"}
    # Rows come out sorted by credit_code, then indicator.
    assert out.select("credit_code", "indicator").equals(
        out.select("credit_code", "indicator").sort("credit_code", "indicator")
    )


def test_single_value_in_group_scores_neutral(model: ScoringModel) -> None:
    wide = wide_frame(model, {"A": {"rd_intensity": 0.3}, "B": {}})
    out = score_indicators(
        wide, profile_frame({"A": ("C", "seed"), "B": ("C", "seed")}), peers(model, 1)
    )
    assert scores_of(out, "rd_intensity") == {"A": 50.0, "B": None}


def test_peer_group_falls_back_per_indicator(model: ScoringModel) -> None:
    profile = {
        "C1": ("C", "growth"),
        "C2": ("C", "growth"),
        "C3": ("C", "growth"),
        "C4": ("C", "growth"),
        "D1": ("D", "growth"),
        "N1": (None, "growth"),
        "S1": ("C", "seed"),
    }
    wide = wide_frame(
        model,
        {
            "C1": {"rd_intensity": 0.1},
            "C2": {"rd_intensity": 0.2},
            "C3": {"rd_intensity": 0.3},
            "C4": {},
            "D1": {"rd_intensity": 0.15},
            "N1": {"rd_intensity": 0.0},
            "S1": {"rd_intensity": 0.5},
        },
    )
    out = score_indicators(wide, profile_frame(profile), peers(model, 3)).filter(
        pl.col("indicator") == "rd_intensity"
    )
    groups = dict(zip(out["credit_code"], out["peer_group"], strict=True))
    assert groups == {
        "C1": "C-growth",
        "C2": "C-growth",
        "C3": "C-growth",
        "C4": "C-growth",
        "D1": "growth",
        "N1": "growth",
        "S1": "all",
    }
    got = dict(zip(out["credit_code"], out["score"], strict=True))
    # Fallbacks rank among everyone at their level: in growth (0.0 0.1 0.15 0.2 0.3)
    # D1 is 3rd of 5 and N1 1st; among all six values S1 (0.5) is 6th.
    assert (got["C1"], got["C3"], got["D1"], got["N1"], got["S1"]) == (0.0, 100.0, 50.0, 0.0, 100.0)
    sizes = dict(zip(out["credit_code"], out["peer_size"], strict=True))
    assert (sizes["C1"], sizes["D1"], sizes["S1"]) == (3, 5, 6)
    # The enterprise's own group uses enterprise counts: C-growth has 4 members.
    scores = enterprise_scores(
        score_indicators(wide, profile_frame(profile), peers(model, 3)),
        profile_frame(profile),
        peers(model, 3),
    )
    own = dict(zip(scores["credit_code"], scores["peer_group"], strict=True))
    assert (own["C4"], own["D1"], own["N1"], own["S1"]) == ("C-growth", "growth", "growth", "all")


def indicator_rows(
    model: ScoringModel, code: str, given: Mapping[str, tuple[float, float, float, float]]
) -> pl.DataFrame:
    """A hand-made scoring/indicator_value for one enterprise: indicator -> (raw, score, median, median score)."""
    meta = indicator_meta(model)
    rows = []
    for r in meta.iter_rows(named=True):
        raw, s, median, median_score = given.get(r["indicator"], (None, None, None, None))
        rows.append(
            {
                "credit_code": code,
                "indicator": r["indicator"],
                "dimension": r["dimension"],
                "raw_value": raw,
                "score": s,
                "peer_group": "C-growth",
                "peer_size": 40,
                "peer_median": median,
                "peer_median_score": median_score,
                "direction": r["direction"],
                "weight": r["weight"],
                "model_version": model.version,
            }
        )
    return pl.DataFrame(rows, schema=INDICATOR_VALUE_SCHEMA)


def test_dimensions_renormalize_missing_and_composite_uses_stage_weights(
    model: ScoringModel,
) -> None:
    values = indicator_rows(
        model,
        "X",
        {
            "rd_intensity": (0.072, 80.0, 0.041, 50.0),
            "rd_staff_share": (0.10, 40.0, 0.15, 50.0),
            "filing_growth": (-0.2, 30.0, 0.0, 50.0),
            "forward_citations": (12.0, 90.0, 3.0, 50.0),
            "citing_applicants": (4.0, 70.0, 2.0, 50.0),
        },
    )
    out = enterprise_scores(values, profile_frame({"X": ("C", "growth")}), peers(model, 1))
    assert out.schema == pl.Schema(enterprise_score_schema(model))
    row = out.row(0, named=True)
    assert row["innovation"] == pytest.approx(60.0)
    assert row["competitiveness"] == 0.0
    assert row["evolution"] == pytest.approx(30.0)
    assert row["influence"] == pytest.approx(80.0)
    assert row["composite"] == pytest.approx(0.30 * 60 + 0.25 * 0 + 0.25 * 30 + 0.20 * 80)
    assert row["innovation_coverage"] == pytest.approx(2 / 7, abs=1e-6)
    assert row["competitiveness_coverage"] == 0.0
    assert row["coverage"] == pytest.approx(0.30 * 2 / 7 + 0.25 * 1 / 5 + 0.20 * 2 / 5, abs=1e-6)
    assert (row["life_stage"], row["peer_group"], row["model_version"]) == (
        "growth",
        "C-growth",
        "scoring_v1",
    )
    # Contributions: rd_intensity .15*30=4.5, forward .1*40=4, citing .1*20=2,
    # filing_growth .25*-20=-5, rd_staff .15*-10=-1.5.
    assert row["top_reasons"] == [
        "+ R&D intensity 7.2% (score 80) is well above the peer median (4.1%)",
        "+ Forward citations (5y, self excluded) 12 (score 90) is well above the peer median (3)",
        "+ Citing enterprises 4 (score 70) is above the peer median (2)",
        "- Patent filing growth (3y CAGR) -20.0% (score 30) is below the peer median (0.0%)",
        "- R&D staff share 10.0% (score 40) is below the peer median (15.0%)",
        "- Competitiveness (竞争力): no indicator available, dimension scored 0",
    ]


def test_same_dimensions_weigh_differently_by_stage(model: ScoringModel) -> None:
    given = {
        "rd_intensity": (0.1, 90.0, 0.05, 50.0),
        "revenue_scale": (900.0, 20.0, 1500.0, 50.0),
        "filing_growth": (0.1, 60.0, 0.0, 50.0),
        "forward_citations": (1.0, 40.0, 1.0, 50.0),
    }
    values = pl.concat([indicator_rows(model, "S", given), indicator_rows(model, "M", given)])
    out = enterprise_scores(
        values, profile_frame({"S": ("C", "seed"), "M": ("C", "mature")}), model
    )
    composite = dict(zip(out["credit_code"], out["composite"], strict=True))
    assert composite["S"] == pytest.approx(0.40 * 90 + 0.10 * 20 + 0.35 * 60 + 0.15 * 40)
    assert composite["M"] == pytest.approx(0.25 * 90 + 0.30 * 20 + 0.15 * 60 + 0.30 * 40)


def test_lower_is_better_reason_and_at_most_three_each_way(model: ScoringModel) -> None:
    given = {
        "debt_ratio": (0.82, 12.0, 0.45, 50.0),
        "revenue_scale": (100.0, 10.0, 900.0, 50.0),
        "certification": (0.0, 20.0, 1.0, 50.0),
        "valid_patent_share": (0.5, 30.0, 0.8, 50.0),
        "international_reach": (0.3, 45.0, 0.2, 50.0),
    }
    row = enterprise_scores(
        indicator_rows(model, "Y", given), profile_frame({"Y": ("C", "mature")}), model
    ).row(0, named=True)
    reasons = [r for r in row["top_reasons"] if "no indicator" not in r]
    # Each of the 5 present indicators weighs 0.30 / 5: revenue -2.4, debt -2.28, cert -1.8.
    assert reasons == [
        "- Revenue (latest year) 100万元 (score 10) is well below the peer median (900万元)",
        "- Debt ratio 82.0% (score 12) is well above the peer median (45.0%); lower is better",
        "- Certification points (HNTE, 专精特新) 0 (score 20) is well below the peer median (1)",
    ]


def test_format_value_units() -> None:
    frame = pl.DataFrame(
        {
            "v": [0.0726, 35000.4, 3.0, 0.456, None],
            "unit": ["percent", "wan", "count", "index", "count"],
        }
    )
    out = frame.select(format_value(pl.col("v"), pl.col("unit"))).to_series().to_list()
    assert out == ["7.3%", "35000万元", "3", "0.46", "missing"]


def test_score_end_to_end_ranges(model: ScoringModel) -> None:
    rows = {
        f"E{i}": {
            n: float((i * 7 + k) % 5) if (i + k) % 4 else None
            for k, n in enumerate(model.indicator_names)
        }
        for i in range(12)
    }
    profile = profile_frame(
        {c: ("C" if i % 2 else "D", model.stages[i % 4]) for i, c in enumerate(rows)}
    )
    values, scores = score(wide_frame(model, rows), profile, model)
    assert values.height == 12 * len(model.indicators)
    assert scores.height == 12
    for column in [*model.dimensions, "composite"]:
        assert scores[column].is_between(0, 100).all()
    assert scores["coverage"].is_between(0, 1).all()


def test_first_day_without_patents_or_filings(model: ScoringModel) -> None:
    day = date(2026, 1, 1)
    quality = patent_quality(from_records([], PATENT), from_records([], APPLICANT_LINK), day, model)
    assert quality.is_empty()
    enterprises = from_records(
        [dict(credit_code="A", status="存续", established_date=date(2020, 1, 1))], ENTERPRISE
    )
    wide, profile = enterprise_indicators(
        enterprises,
        from_records([], PATENT),
        from_records([], APPLICANT_LINK),
        from_records([], RD_FILING),
        quality,
        day,
        model,
    )
    values, scores = score(wide, profile, model)
    row = scores.row(0, named=True)
    # Counts are known (0) and rank alone; R&D indicators are missing.
    assert (row["composite"], row["peer_group"], row["life_stage"]) == (50.0, "all", "startup")
    assert row["innovation_coverage"] == pytest.approx(2 / 7, abs=1e-6)
    assert values.filter(pl.col("indicator") == "rd_intensity")["score"].to_list() == [None]
    empty_values, empty_scores = score(wide.clear(), profile.clear(), model)
    assert empty_values.is_empty() and empty_scores.is_empty()
