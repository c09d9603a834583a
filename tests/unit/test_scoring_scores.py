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
    as_stored_columns,
    enterprise_score_schema,
    enterprise_scores,
    field_columns,
    indicator_columns,
    raw_value_columns,
    score,
    score_indicators,
    score_input_columns,
    stored_indicators,
)
from capscore.scoring.scores import (
    indicator_rows as rows_of_stored,
)
from capscore.scoring.wording import format_value, indicator_meta
from scoring_models.config import ScoringModel
from tests.models_v1 import (
    scoring_v1,
    stage_condition,
    weighted_dimension_score,
    within_dimension_weight,
)


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    """The v1 model (loaded by path: these tests check v1's formulas)."""
    return scoring_v1()


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
    # one indicator where higher is better, one where lower is
    assert model.indicator("rd_intensity").direction == "higher"
    assert model.indicator("debt_ratio").direction == "lower"
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
    spec = model.indicator("rd_intensity")
    assert (rd["dimension"], rd["direction"], rd["weight"]) == (
        spec.dimension,
        spec.direction,
        pytest.approx(within_dimension_weight(model, "rd_intensity")),
    )
    assert set(out["model_version"]) == {model.version}
    # Rows come out sorted by credit_code, then indicator.
    assert out.select("credit_code", "indicator").equals(
        out.select("credit_code", "indicator").sort("credit_code", "indicator")
    )


def test_single_value_in_group_scores_neutral(model: ScoringModel) -> None:
    wide = wide_frame(model, {"A": {"rd_intensity": 0.3}, "B": {}})
    out = score_indicators(
        wide, profile_frame({"A": ("C", "seed"), "B": ("C", "seed")}), peers(model, 1)
    )
    assert scores_of(out, "rd_intensity") == {"A": model.single_value_score, "B": None}


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


Given = Mapping[str, tuple[float, float, float, float]]


def contributions(model: ScoringModel, stage: str, given: Given) -> dict[str, float]:
    """Per given indicator: its effective composite weight (stage weight of its dimension x
    its weight over the dimension's present indicators) x (score - peer median score)."""
    present: dict[str, float] = {}
    for name in given:
        spec = model.indicator(name)
        present[spec.dimension] = present.get(spec.dimension, 0.0) + spec.weight
    out = {}
    for name, (_, value_score, _, median_score) in given.items():
        spec = model.indicator(name)
        share = model.stage_weights[stage][spec.dimension] * spec.weight / present[spec.dimension]
        out[name] = share * (value_score - median_score)
    return out


def expected_reasons(
    model: ScoringModel, stage: str, given: Given, shown: Mapping[str, tuple[str, str]]
) -> list[str]:
    """The `reason_count` strongest raising, then lowering, indicators as sentences;
    `shown` holds each indicator's raw value and peer median as written in its unit."""
    moved = contributions(model, stage, given)
    up = sorted((n for n in moved if moved[n] > 0), key=lambda n: (-moved[n], n))
    down = sorted((n for n in moved if moved[n] < 0), key=lambda n: (moved[n], n))
    sentences = []
    for name in up[: model.reason_count] + down[: model.reason_count]:
        raw, value_score, median, median_score = given[name]
        spec = model.indicator(name)
        relation = "above" if raw > median else "below" if raw < median else "at"
        far = relation != "at" and abs(value_score - median_score) >= model.well_margin
        sign = "+" if moved[name] > 0 else "-"
        value, median_text = shown[name]
        sentences.append(
            f"{sign} {spec.label} {value} (score {value_score:.0f}) is {'well ' if far else ''}"
            f"{relation} the peer median ({median_text})"
            + ("; lower is better" if spec.direction == "lower" else "")
        )
    return sentences


def test_dimensions_renormalize_missing_and_composite_uses_stage_weights(
    model: ScoringModel,
) -> None:
    given = {
        "rd_intensity": (0.072, 80.0, 0.041, 50.0),
        "rd_staff_share": (0.10, 40.0, 0.15, 50.0),
        "filing_growth": (-0.2, 30.0, 0.0, 50.0),
        "forward_citations": (12.0, 90.0, 3.0, 50.0),
        "citing_applicants": (4.0, 70.0, 2.0, 50.0),
    }
    # The example has indicators on both sides of the "well above/below" margin.
    assert {abs(s - m) >= model.well_margin for _, s, _, m in given.values()} == {True, False}
    values = indicator_rows(model, "X", given)
    out = enterprise_scores(values, profile_frame({"X": ("C", "growth")}), peers(model, 1))
    assert out.schema == pl.Schema(enterprise_score_schema(model))
    row = out.row(0, named=True)
    expected = {
        "innovation": weighted_dimension_score(model, {"rd_intensity": 80, "rd_staff_share": 40}),
        "competitiveness": model.empty_dimension_score,
        "evolution": weighted_dimension_score(model, {"filing_growth": 30}),
        "influence": weighted_dimension_score(
            model, {"forward_citations": 90, "citing_applicants": 70}
        ),
    }
    assert {d: row[d] for d in model.dimensions} == pytest.approx(expected)
    weights = model.stage_weights["growth"]
    assert row["composite"] == pytest.approx(sum(weights[d] * v for d, v in expected.items()))
    covered = {d: 0.0 for d in model.dimensions}
    for name in given:
        covered[model.indicator(name).dimension] += within_dimension_weight(model, name)
    assert {f"{d}_coverage": row[f"{d}_coverage"] for d in model.dimensions} == pytest.approx(
        {f"{d}_coverage": c for d, c in covered.items()}, abs=1e-6
    )
    assert row["competitiveness_coverage"] == 0.0
    assert row["coverage"] == pytest.approx(
        sum(weights[d] * c for d, c in covered.items()), abs=1e-6
    )
    assert (row["life_stage"], row["peer_group"], row["model_version"]) == (
        "growth",
        "C-growth",
        model.version,
    )
    shown = {
        "rd_intensity": ("7.2%", "4.1%"),
        "rd_staff_share": ("10.0%", "15.0%"),
        "filing_growth": ("-20.0%", "0.0%"),
        "forward_citations": ("12", "3"),
        "citing_applicants": ("4", "2"),
    }
    empty = model.empty_dimension_score
    assert row["top_reasons"] == [
        *expected_reasons(model, "growth", given, shown),
        f"- {model.dimension_labels['competitiveness']}: no indicator available, "
        f"dimension scored {empty:g}",
    ]


def test_same_dimensions_weigh_differently_by_stage(model: ScoringModel) -> None:
    given = {
        "rd_intensity": (0.1, 90.0, 0.05, 50.0),
        "revenue_scale": (900.0, 20.0, 1500.0, 50.0),
        "filing_growth": (0.1, 60.0, 0.0, 50.0),
        "forward_citations": (1.0, 40.0, 1.0, 50.0),
    }
    # one indicator per dimension: each dimension scores its indicator's score
    dimension_scores = {model.indicator(n).dimension: s for n, (_, s, _, _) in given.items()}
    assert set(dimension_scores) == set(model.dimensions)
    values = pl.concat([indicator_rows(model, "S", given), indicator_rows(model, "M", given)])
    out = enterprise_scores(
        values, profile_frame({"S": ("C", "seed"), "M": ("C", "mature")}), model
    )
    composite = dict(zip(out["credit_code"], out["composite"], strict=True))
    expected = {
        code: sum(model.stage_weights[stage][d] * s for d, s in dimension_scores.items())
        for code, stage in (("S", "seed"), ("M", "mature"))
    }
    assert expected["S"] != pytest.approx(expected["M"])
    assert composite == pytest.approx(expected)


def test_lower_is_better_reason_and_at_most_reason_count_each_way(model: ScoringModel) -> None:
    given = {
        "debt_ratio": (0.82, 12.0, 0.45, 50.0),
        "revenue_scale": (100.0, 10.0, 900.0, 50.0),
        "certification": (0.0, 20.0, 1.0, 50.0),
        "valid_patent_share": (0.5, 30.0, 0.8, 50.0),
        "international_reach": (0.3, 45.0, 0.2, 50.0),
    }
    shown = {
        "debt_ratio": ("82.0%", "45.0%"),
        "revenue_scale": ("100万元", "900万元"),
        "certification": ("0", "1"),
        "valid_patent_share": ("50.0%", "80.0%"),
        "international_reach": ("30.0%", "20.0%"),
    }
    # Every one lowers the composite, more of them than reasons are listed.
    assert all(c < 0 for c in contributions(model, "mature", given).values())
    assert len(given) > model.reason_count
    row = enterprise_scores(
        indicator_rows(model, "Y", given), profile_frame({"Y": ("C", "mature")}), model
    ).row(0, named=True)
    reasons = [r for r in row["top_reasons"] if "no indicator" not in r]
    expected = expected_reasons(model, "mature", given, shown)
    assert len(expected) == model.reason_count
    assert any(r.endswith("; lower is better") for r in expected)
    assert reasons == expected


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
        {
            c: ("C" if i % 2 else "D", model.stages[i % len(model.stages)])
            for i, c in enumerate(rows)
        }
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
    # Older than the seed band, no revenue on file: a startup.
    seed_age = stage_condition(model, "seed", "age_lte", "revenue_lt")["age_lte"]
    established = date(day.year - int(seed_age) - 3, 1, 1)
    enterprises = from_records(
        [dict(credit_code="A", status="存续", established_date=established)], ENTERPRISE
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
    # Counts are known (0) and each ranks alone; R&D indicators are missing.
    alone = values.filter(pl.col("score").is_not_null())
    assert set(alone["score"]) == {model.single_value_score}
    assert set(alone["dimension"].cast(pl.String)) == set(model.dimensions)
    assert (row["composite"], row["peer_group"], row["life_stage"]) == (
        pytest.approx(model.single_value_score),
        "all",
        "startup",
    )
    innovation_counts = ("invention_filings_3y", "valid_invention_stock")
    assert set(alone.filter(pl.col("dimension") == "innovation")["indicator"]) == set(
        innovation_counts
    )
    assert row["innovation_coverage"] == pytest.approx(
        sum(within_dimension_weight(model, n) for n in innovation_counts), abs=1e-6
    )
    assert values.filter(pl.col("indicator") == "rd_intensity")["score"].to_list() == [None]
    empty_values, empty_scores = score(wide.clear(), profile.clear(), model)
    assert empty_values.is_empty() and empty_scores.is_empty()


def test_stored_columns_and_rows_give_the_same_rows_and_raw_values(model: ScoringModel) -> None:
    values = {"A": 0.1, "B": None, "C": 0.3}
    wide = wide_frame(model, {c: {"rd_intensity": v, "debt_ratio": v} for c, v in values.items()})
    stored = indicator_columns(wide, profile_frame({c: ("C", "growth") for c in values}), model)
    assert stored.height == 3 and stored_indicators(stored) == sorted(model.indicator_names)
    rows = rows_of_stored(stored)
    assert rows.equals(rows.sort("credit_code", "indicator"))
    assert rows.equals(
        score_indicators(wide, profile_frame({c: ("C", "growth") for c in values}), model)
    )
    # A date stored in rows (before the columns layout) reads and scores the same.
    assert rows_of_stored(rows).equals(rows)
    assert as_stored_columns(rows).equals(stored)
    profile = profile_frame({c: ("C", "growth") for c in values})
    assert enterprise_scores(rows, profile, model).equals(enterprise_scores(stored, profile, model))
    names = ("debt_ratio", "rd_intensity")
    from_columns = raw_value_columns(stored, names)
    assert from_columns.columns == ["credit_code", *names]
    assert from_columns["rd_intensity"].to_list() == [0.1, None, 0.3]
    from_rows = raw_value_columns(rows, names)
    assert from_rows.select(from_columns.columns).equals(from_columns)
    # What the validation reads of a date: the raw-value columns alone give the same.
    only_raw = stored.select(field_columns(stored.columns, ("raw_value",), names))
    assert only_raw.columns == ["credit_code", *[f"{n}__raw_value" for n in names], "model_version"]
    assert raw_value_columns(only_raw, names).equals(from_columns)
    # What the scores read of a date gives the same scores; a date in rows is read whole.
    read = score_input_columns(stored.columns)
    assert read is not None and len(read) == 2 + 4 * len(stored_indicators(stored))
    assert enterprise_scores(stored.select(read), profile, model).equals(
        enterprise_scores(stored, profile, model)
    )
    assert score_input_columns(rows.columns) is None
    assert raw_value_columns(stored).columns == ["credit_code", *sorted(model.indicator_names)]


def test_tied_reasons_go_to_the_alphabetically_first_and_unmoved_ones_are_not_reasons(
    model: ScoringModel,
) -> None:
    # Four innovation indicators of one weight raise the composite by the same amount.
    given = {
        "valid_invention_stock": (9.0, 80.0, 2.0, 50.0),
        "rd_staff_share": (0.3, 80.0, 0.1, 50.0),
        "portfolio_quality": (0.9, 80.0, 0.5, 50.0),
        "invention_filings_3y": (6.0, 80.0, 1.0, 50.0),
        "rd_intensity": (0.05, 50.0, 0.05, 50.0),
    }
    shown = {
        "valid_invention_stock": ("9", "2"),
        "rd_staff_share": ("30.0%", "10.0%"),
        "portfolio_quality": ("0.9", "0.5"),
        "invention_filings_3y": ("6", "1"),
        "rd_intensity": ("5.0%", "5.0%"),
    }
    moved = contributions(model, "growth", given)
    assert len({moved[n] for n in given if n != "rd_intensity"}) == 1
    assert moved["rd_intensity"] == 0
    row = enterprise_scores(
        indicator_rows(model, "T", given), profile_frame({"T": ("C", "growth")}), model
    ).row(0, named=True)
    reasons = [r for r in row["top_reasons"] if "no indicator" not in r]
    assert reasons == expected_reasons(model, "growth", given, shown)
    first = ("invention_filings_3y", "portfolio_quality", "rd_staff_share")
    assert len(reasons) == len(first)
    assert all(
        r.startswith(f"+ {model.indicator(n).label} ") for r, n in zip(reasons, first, strict=True)
    )
