"""The pool report page, rendered from small hand-made mart frames."""

import re
from dataclasses import replace
from datetime import date

import polars as pl
import pytest

from capscore.reports import svg
from capscore.reports.pool_report import (
    PoolReportInputs,
    movers,
    render_pool_report,
    score_histogram,
    summarize,
    tier_counts,
)

D, D0 = date(2026, 7, 15), date(2026, 6, 15)


def scorecard(rows: list[tuple]) -> pl.DataFrame:
    """rows: (credit_code, name, composite, in_pool, life_stage, grade, total_limit_wan)."""
    frame = pl.DataFrame(
        rows,
        schema=[
            "credit_code",
            "name",
            "composite",
            "in_pool",
            "life_stage",
            "grade",
            "total_limit_wan",
        ],
        orient="row",
    )
    return frame.with_columns(
        pl.when(pl.col("in_pool")).then(pl.format("{}-{}", "life_stage", "grade")).alias("tier"),
        *(
            pl.col("composite").alias(d)
            for d in ("innovation", "competitiveness", "evolution", "influence")
        ),
        pl.lit("scoring_v1").alias("model_version"),
    )


CURRENT = scorecard(
    [
        ("A", "甲科技有限公司", 85.0, True, "growth", "A", 500.0),
        ("B", "乙<script>公司", 62.0, True, "growth", "B", 0.0),
        ("C", "丙公司", 45.0, True, "seed", "C", 50.0),
        ("E", "戊公司", 100.0, True, "mature", "A", 900.0),
        ("X", "外公司", 20.0, False, "startup", "D", None),
    ]
)
PREVIOUS = scorecard(
    [
        ("A", "甲科技有限公司", 70.0, True, "growth", "B", 300.0),
        ("B", "乙<script>公司", 66.0, True, "growth", "B", 0.0),
        ("D", "丁公司", 50.0, True, "startup", "C", 10.0),
        ("E", "戊公司", 99.0, True, "growth", "A", 900.0),
        ("X", "外公司", 25.0, False, "startup", "D", None),
    ]
)
CREDIT = pl.DataFrame(
    {
        "product": ["tech_credit", "tech_credit", "ip_pledge"],
        "prefecture_code": ["330400", "110100", "330400"],
        "total_limit_wan": [1200.0, 200.0, 50.0],
        "enterprises_with_limit": [2, 1, 1],
    }
)
QUALITY = pl.DataFrame(
    {
        "source": ["patents", "patents", "registry"],
        "partition_date": [date(2026, 7, 1), date(2026, 7, 15), date(2026, 7, 1)],
        "files": [2, 1, 1],
        "files_rejected": [1, 0, 0],
        "rows_read": [100, 50, 200],
        "rows_loaded": [95, 50, 199],
        "rows_quarantined": [5, 0, 1],
    }
)
# What sql/report_tier_moves.sql finds between PREVIOUS and CURRENT (tests/unit/test_tier_change.py).
MOVES = {"entered": 1, "exited": 1, "promoted": 1, "stage_changed": 1}
VALIDATION = pl.DataFrame(
    {
        "section": ["backtest", "backtest", "grade_rates", "truth", "stability"],
        "outcome": ["certification", "certification", "certification", None, "previous_date"],
        "subject": ["composite", "patent_count", "all_grades", "composite", "composite"],
        "metric": ["auc", "auc", "monotone", "spearman", "psi"],
        "value": [0.84, 0.71, 1.0, 0.62, 0.01],
        "reference_date": [date(2025, 7, 15)] * 5,
    }
)
RULES = pl.DataFrame({"rule": ["check_digit", "malformed_date", "check_digit"], "rows": [3, 2, 1]})


def inputs(previous: pl.DataFrame | None = PREVIOUS) -> PoolReportInputs:
    return PoolReportInputs(
        as_of=D,
        scorecard=CURRENT,
        previous=previous,
        previous_as_of=D0 if previous is not None else None,
        tier_moves=MOVES if previous is not None else {},
        validation=VALIDATION,
        credit=CREDIT,
        quality=QUALITY,
        rules=RULES,
        region_names={"330400": "嘉兴市", "110100": "北京市"},
    )


def test_tier_counts_cover_every_stage_and_grade_of_pool_members():
    counts = tier_counts(CURRENT)
    assert counts.height == 16
    as_dict = {(s, g): n for s, g, n in counts.iter_rows()}
    assert as_dict[("growth", "A")] == 1 and as_dict[("mature", "A")] == 1
    assert as_dict[("startup", "D")] == 0  # X is not in the pool
    assert sum(as_dict.values()) == 4
    assert counts["life_stage"].to_list()[:4] == ["seed"] * 4


def test_histogram_bins_scores_and_puts_100_in_the_last_bin():
    assert score_histogram(pl.Series([0.0, 9.99, 10.0, 55.0, 100.0, None])) == [
        2,
        1,
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
    ]


def test_movers_between_two_dates():
    moved = movers(CURRENT, PREVIOUS)
    assert moved["credit_code"].to_list() == ["X", "B", "E", "A"]
    assert moved["composite_change"].to_list() == [-5.0, -4.0, 1.0, 15.0]


def test_summary_figures():
    summary = summarize(inputs())
    assert (summary.scored, summary.in_pool, summary.enterprises_with_credit) == (5, 4, 3)
    assert summary.total_limit_wan == 1450.0
    assert (summary.rows_read, summary.rows_quarantined) == (350, 6)
    assert summary.tier_counts == {"seed-C": 1, "growth-A": 1, "growth-B": 1, "mature-A": 1}
    assert "| in the pool | 4 |" in summary.markdown()


def test_page_is_self_contained_and_escaped():
    page = render_pool_report(inputs())
    assert page.startswith("<!doctype html>")
    assert "As of 2026-07-15" in page
    for section in (
        "Tier distribution by stage",
        "Score distributions",
        "Biggest movers",
        "Credit by product and region",
        "Model validation",
        "Data quality",
    ):
        assert f"<h2>{section}</h2>" in page
    assert "0.840" in page and "0.710" in page  # out-of-time AUC: composite, patent count
    assert "certification: monotone" in page
    assert page.count("<svg ") == 1 + 5 + 1 + 1  # tiers, 5 histograms, products, rules
    # Nothing the browser could fetch, no script: names are escaped, not executed.
    assert "<script" not in page.lower()
    assert "乙&lt;script&gt;公司" in page
    assert not re.search(r"(?i)(https?:|//[a-z]|src=|href=|url\(|@import)", page)
    assert "default-src 'none'" in page
    assert "嘉兴市 (330400)" in page
    assert page == render_pool_report(inputs())


def test_page_without_history_or_data_still_renders():
    empty = PoolReportInputs(
        as_of=D,
        scorecard=CURRENT.clear(),
        previous=None,
        previous_as_of=None,
        tier_moves={},
        validation=VALIDATION.clear(),
        credit=CREDIT.clear(),
        quality=QUALITY.clear(),
        rules=RULES.clear(),
        region_names={},
    )
    page = render_pool_report(empty)
    assert "No earlier as-of date to compare with yet." in page
    assert "No credit limits for this date." in page
    assert "No drops have landed yet." in page
    assert "No validation figures for this date." in page


def test_histogram_needs_matching_edges():
    with pytest.raises(ValueError):
        svg.histogram([1, 2], [0.0, 1.0], "t", "#000")


def _validation_text(validation: pl.DataFrame) -> str:
    page = render_pool_report(replace(inputs(), validation=validation))
    section = page[page.index("<h2>Model validation</h2>") : page.index("<h2>Data quality</h2>")]
    return re.sub(r"<[^>]+>", " ", section)


def test_validation_section_gives_the_verdicts_capscore_validate_gives():
    rows = [
        ("backtest", "certification", "composite", "auc", 0.84),
        ("backtest", "certification", "composite", "events", 40.0),
        ("backtest", "deregistration", "composite", "auc", 0.67),
        ("backtest", "deregistration", "composite", "events", 8.0),
        ("backtest", "revenue_growth", "composite", "auc", None),
        ("backtest", "revenue_growth", "composite", "events", 0.0),
        ("grade_rates", "certification", "all_grades", "monotone", 0.0),
        ("grade_rates", "certification", "all_grades", "significant_inversions", 1.0),
        ("grade_rates", "certification", "all_grades", "events", 30.0),
        ("grade_rates", "deregistration", "all_grades", "monotone", 0.0),
        ("grade_rates", "deregistration", "all_grades", "significant_inversions", 0.0),
        ("grade_rates", "deregistration", "all_grades", "events", 6.0),
        ("grade_rates", "revenue_growth", "all_grades", "monotone", 0.0),
        ("grade_rates", "revenue_growth", "all_grades", "significant_inversions", 0.0),
        ("grade_rates", "revenue_growth", "all_grades", "events", 0.0),
        ("stability", "previous_date", "composite", "psi", None),
        ("stability", "model_reference", "composite (pool members)", "psi", None),
    ]
    frame = pl.DataFrame(
        rows, schema=["section", "outcome", "subject", "metric", "value"], orient="row"
    ).with_columns(pl.lit(date(2025, 7, 15)).alias("reference_date"))
    text = _validation_text(frame)
    # An AUC on 8 events, rates that cross within noise, an outcome without events,
    # PSIs withheld on too few firms: the report said "not monotone (0 inversion(s)
    # beyond sampling noise)", gave the AUC without a caveat and "largest PSI –".
    assert re.search(r"deregistration\s+0\.670\s+8\s+too few events to conclude", text)
    assert "certification: NOT monotone: 1 adjacent grade pair(s)" in text
    # The grade order on 6 events among the pool members is no more conclusive than
    # the AUC on 8 (it said "monotone within sampling noise").
    assert "deregistration: too few events to conclude (6 events)" in text
    assert "revenue_growth: no events: not assessed" in text
    # A validation written before the members' events were kept: the backtest's count.
    older = _validation_text(
        frame.filter(pl.col("metric") != "events").vstack(
            frame.filter((pl.col("metric") == "events") & (pl.col("section") == "backtest"))
        )
    )
    assert "deregistration: too few events to conclude (8 events)" in older
    assert "Stability: not enough data" in text and "largest PSI" not in text
    # A PSI withheld beside one measured: the largest measured is named.
    measured = frame.with_columns(
        pl.when(pl.col("subject") == "composite")
        .then(pl.lit(0.02))
        .otherwise(pl.col("value"))
        .alias("value")
    ).filter(pl.col("section") == "stability")
    assert "largest PSI 0.020 (composite against the previous date)" in _validation_text(measured)


def test_validation_without_a_backtest_says_why_as_capscore_validate_does():
    # Stability figures only (no date about a year before): the page said nothing of
    # the backtest, where `capscore validate` prints why there is none.
    stability = pl.DataFrame(
        [("stability", "previous_date", "composite", "psi", 0.01)],
        schema=["section", "outcome", "subject", "metric", "value"],
        orient="row",
    ).with_columns(pl.lit(None, pl.Date).alias("reference_date"))
    text = _validation_text(stability)
    assert f"out-of-time backtest: no scores built about a year before {D}" in text
