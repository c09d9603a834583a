"""Validation measures, outcomes between two dates, grade calibration, credit v2."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl
import pytest

from capscore.credit.limits import credit_limits
from capscore.pool.calibration import fit_ladder, fit_stage_ladders
from capscore.pool.grade_yaml import grades_block, replace_grades
from capscore.validation.backtest import discrimination_table, grade_rates
from capscore.validation.metrics import (
    bin_shares,
    discrimination,
    psi,
    rates_are_monotone,
    significant_inversions,
    spearman,
    top_decile_lift,
)
from capscore.validation.outcomes import State, outcomes
from capscore.validation.report import (
    Scored,
    Validation,
    reference_date,
    summary_lines,
    validate,
)
from capscore.validation.stability import migration_matrix, psi_status, psi_table
from capscore.validation.truth import oracle_predictions
from scoring_models.config import load_scoring_model
from scoring_models.policy_config import (
    CREDIT_POLICY_V2,
    GRADES,
    POOL_V2,
    STAGES,
    load_credit_policy,
    load_pool_policy,
    pool_policy_from_dict,
)

D0, D1 = date(2025, 11, 20), date(2026, 11, 20)
ACTIVE = ("存续", "在业", "迁入")


def test_auc_gini_and_ks_of_a_perfect_a_useless_and_a_reversed_score() -> None:
    label = np.array([0, 0, 0, 1, 1, 1])
    perfect = discrimination(np.array([1.0, 2, 3, 4, 5, 6]), label)
    assert perfect == {"auc": 1.0, "gini": 1.0, "ks": 1.0}
    assert discrimination(np.array([6.0, 5, 4, 3, 2, 1]), label)["auc"] == 0.0
    flat = discrimination(np.ones(6), label)
    assert flat["auc"] == 0.5 and flat["ks"] == 0.0
    assert discrimination(np.ones(3), np.array([1, 1, 1]))["auc"] is None


def test_psi_is_zero_for_the_same_distribution_and_grows_with_the_shift() -> None:
    base = pl.Series(np.linspace(0, 100, 1001))
    assert psi(bin_shares(base), bin_shares(base)) == 0.0
    shifted = psi(bin_shares(base), bin_shares(base.clip(0, 60)))
    assert shifted > 0.25
    assert psi_status(pl.DataFrame({"psi": [0.05]})) == "stable"
    assert psi_status(pl.DataFrame({"psi": [0.3]})) == "act"
    assert sum(bin_shares(pl.Series([0.0, 100.0, None]))) == pytest.approx(1.0)
    assert bin_shares(pl.Series([100.0]))[-1] == 1.0


def test_spearman_and_top_decile_lift() -> None:
    truth = np.arange(100, dtype=float)
    assert spearman(truth, truth) == pytest.approx(1.0)
    assert spearman(truth, np.full(100, 1.0)) is None
    assert top_decile_lift(truth, truth) == pytest.approx(10.0)
    assert top_decile_lift(-truth, truth) == 0.0
    assert rates_are_monotone([0.3, None, 0.2, 0.1]) and not rates_are_monotone([0.1, 0.2])


def test_an_inversion_counts_when_it_is_beyond_sampling_noise() -> None:
    # 0.18 of 85 against 0.20 of 689: noise; 0.10 of 2,000 against 0.30 of 2,000: not.
    assert significant_inversions([0.18, 0.20], [85, 689]) == 0
    assert significant_inversions([0.10, 0.30], [2000, 2000]) == 1
    assert significant_inversions([0.30, 0.10], [2000, 2000], decreasing=False) == 1
    assert significant_inversions([0.3, None, 0.1], [100, 0, 100]) == 0
    assert rates_are_monotone([0.0, 0.1], decreasing=False)


def _state(
    day: date,
    rows: Sequence[tuple[str, str, date | None, str]],
    revenue: Sequence[tuple[str, int, float]],
    founded: dict[str, date] | None = None,
) -> State:
    """Firms established in 2015 unless `founded` says otherwise."""
    enterprise = pl.DataFrame(
        rows, schema=["credit_code", "status", "hnte_valid_until", "srdi_level"], orient="row"
    ).with_columns(
        pl.col("credit_code")
        .replace_strict(founded or {}, default=date(2015, 1, 1), return_dtype=pl.Date)
        .alias("established_date")
    )
    filing = pl.DataFrame(revenue, schema=["credit_code", "fiscal_year", "revenue"], orient="row")
    return State(day, enterprise, filing)


def test_outcomes_count_what_happened_after_r_to_firms_at_risk_on_r() -> None:
    before = _state(
        D0,
        [
            ("gets_hnte", "存续", None, "none"),
            ("already", "存续", date(2027, 1, 1), "none"),
            ("closes", "存续", None, "none"),
            ("dead", "注销", None, "none"),
            ("gets_srdi", "在业", date(2025, 1, 1), "none"),  # expired HNTE: at risk
        ],
        [("gets_hnte", 2024, 100.0), ("closes", 2024, 100.0)],
    )
    after = _state(
        D1,
        [
            ("gets_hnte", "存续", date(2028, 12, 1), "none"),
            ("already", "存续", date(2027, 1, 1), "none"),
            ("closes", "注销", None, "none"),
            ("dead", "注销", None, "none"),
            ("gets_srdi", "在业", None, "provincial"),
        ],
        [("gets_hnte", 2024, 100.0), ("gets_hnte", 2025, 150.0), ("closes", 2025, 90.0)],
    )
    found = {
        (r["outcome"], r["credit_code"]): r["happened"]
        for r in outcomes(before, after, ACTIVE).iter_rows(named=True)
    }
    assert found[("certification", "gets_hnte")] and found[("certification", "gets_srdi")]
    assert not found[("certification", "closes")]
    assert ("certification", "already") not in found  # certified at R: not at risk
    assert ("deregistration", "dead") not in found  # inactive at R: not at risk
    assert found[("deregistration", "closes")] and not found[("deregistration", "gets_hnte")]
    assert found[("revenue_growth", "gets_hnte")] and not found[("revenue_growth", "closes")]


def test_revenue_growth_is_not_measured_from_the_year_of_establishment() -> None:
    revenue_r = [("founded_2024", 2024, 20.0), ("founded_2023", 2024, 100.0)]
    founded = {"founded_2024": date(2024, 10, 1), "founded_2023": date(2023, 10, 1)}
    active = [(code, "存续", None, "none") for code in founded]
    before = _state(D0, active, revenue_r, founded)
    after = _state(
        D1, active, [*revenue_r, ("founded_2024", 2025, 100.0), ("founded_2023", 2025, 130.0)]
    )
    grew = {
        r["credit_code"]: r["happened"]
        for r in outcomes(before, after, ACTIVE).iter_rows(named=True)
        if r["outcome"] == "revenue_growth"
    }
    assert grew == {"founded_2023": True}  # 2024 was founded_2024's first, partial year


def test_revenue_growth_is_a_yearly_rate_however_many_fiscal_years_apart() -> None:
    # The latest filing on R may be two years older than the latest on D: 30% over two
    # years is 14% a year, not growth of 20% or more; 50% over two years is 22.5%.
    codes = ("two_years_30", "two_years_50", "one_year_30")
    active = [(code, "存续", None, "none") for code in codes]
    before = _state(D0, active, [(code, 2023 if "two" in code else 2024, 100.0) for code in codes])
    after = _state(
        D1,
        active,
        [
            ("two_years_30", 2025, 130.0),
            ("two_years_50", 2025, 150.0),
            ("one_year_30", 2025, 130.0),
        ],
    )
    grew = {
        r["credit_code"]: r["happened"]
        for r in outcomes(before, after, ACTIVE).iter_rows(named=True)
        if r["outcome"] == "revenue_growth"
    }
    assert grew == {"two_years_30": False, "two_years_50": True, "one_year_30": True}


def test_discrimination_negates_the_score_for_a_bad_outcome() -> None:
    scored = pl.DataFrame({"credit_code": list("abcd"), "composite": [10.0, 20.0, 80.0, 90.0]})
    happened = pl.DataFrame(
        {
            "credit_code": list("abcd") * 2,
            "outcome": ["certification"] * 4 + ["deregistration"] * 4,
            "happened": [False, False, True, True, True, True, False, False],
        }
    )
    table = discrimination_table(scored, happened, ["composite"])
    aucs = dict(zip(table["outcome"].to_list(), table["auc"].to_list(), strict=True))
    assert aucs == {"certification": 1.0, "deregistration": 1.0, "revenue_growth": None}


def test_grade_rates_are_per_grade_among_pool_members() -> None:
    pool = pl.DataFrame(
        {
            "credit_code": list("abcde"),
            "in_pool": [True, True, True, True, False],
            "grade": list("AABDA"),
        }
    )
    happened = pl.DataFrame(
        {
            "credit_code": list("abcde"),
            "outcome": ["certification"] * 5,
            "happened": [True, False, False, False, True],
        }
    )
    table, monotone, inversions = grade_rates(pool, happened, GRADES)
    cert = table.filter(pl.col("outcome") == "certification")
    assert cert["rate"].to_list() == [0.5, 0.0, None, 0.0]  # e is out of the pool
    assert monotone["certification"] and inversions["certification"] == 0


def test_migration_matrix_counts_moves_including_in_and_out() -> None:
    before = pl.DataFrame(
        {"credit_code": ["a", "b", "c"], "in_pool": [True, True, False], "grade": ["A", "B", "C"]}
    )
    after = pl.DataFrame(
        {"credit_code": ["a", "b", "c"], "in_pool": [True, False, True], "grade": ["B", "B", "C"]}
    )
    matrix = migration_matrix(before, after, GRADES)
    cells = {
        (r["from"], k): v for r in matrix.iter_rows(named=True) for k, v in r.items() if k != "from"
    }
    assert cells[("A", "B")] == 1 and cells[("B", "out")] == 1 and cells[("out", "C")] == 1
    assert sum(cells.values()) == 3


def test_psi_table_against_previous_date_and_reference() -> None:
    spread = [float(v % 100) for v in range(2_000)]
    now = pl.DataFrame({"composite": spread, "innovation": spread})
    table = psi_table(now, now, [0.1] * 10, ["composite", "innovation"], now["composite"])
    assert set(table["against"]) == {"previous_date", "model_reference"}
    assert table.filter(pl.col("against") == "model_reference")["column"].to_list() == [
        "composite (pool members)"
    ]
    assert table.filter(pl.col("against") == "previous_date")["psi"].to_list() == [0.0, 0.0]
    # A handful of firms: chance alone moves a PSI past the thresholds, so none is read.
    few = now.head(15)
    small = psi_table(few, few.reverse(), [0.1] * 10, ["composite"], few["composite"])
    assert small["psi"].to_list() == [None, None]
    assert psi_status(small) == "not enough data"
    assert psi_status(psi_table(few, None, None, ["composite"])) == "stable"


def test_reference_date_is_a_year_back_within_the_slack() -> None:
    built = [date(2025, 10, 1), date(2025, 11, 3), date(2026, 11, 20)]
    assert reference_date(built, D1) == date(2025, 11, 3)
    assert reference_date([date(2025, 12, 1)], D1) == date(2025, 12, 1)  # 11 days late: ok
    assert reference_date([date(2026, 6, 1)], D1) is None


def test_fitted_ladders_give_the_target_shares() -> None:
    targets = {"A": 0.1, "B": 0.3, "C": 0.4, "D": 0.2}
    composites = pl.Series(np.linspace(0.0, 100.0, 1001))
    ladder = fit_ladder(composites, GRADES, targets)
    assert ladder == sorted(ladder, reverse=True) and ladder[-1] == 0.0
    shares = [
        ((composites >= lo) & (composites < hi)).cast(pl.Float64).sum() / composites.len()
        for lo, hi in zip(ladder, [math.inf, *ladder[:-1]], strict=True)
    ]
    assert shares == pytest.approx([targets[g] for g in GRADES], abs=0.002)
    pool = pl.DataFrame(
        {
            "in_pool": [True] * 60 + [False] * 5,
            "life_stage": ["growth"] * 50 + ["seed"] * 10 + ["growth"] * 5,
            "composite": [float(i) for i in range(65)],
        }
    )
    fitted = fit_stage_ladders(pool, STAGES, GRADES, targets)
    assert fitted["seed"]["pooled"] and not fitted["growth"]["pooled"]
    assert fitted["seed"]["ladder"] == fitted["startup"]["ladder"]  # both too small: pooled


def test_a_fitted_grades_block_round_trips_through_the_policy_loader() -> None:
    text = POOL_V2.read_text(encoding="utf-8")
    fitted = {
        s: {
            "members": 40,
            "pooled": False,
            "ladder": {"A": 70.0 + i, "B": 50.0, "C": 30.0, "D": 0.0},
        }
        for i, s in enumerate(STAGES)
    }
    targets = {"A": 0.1, "B": 0.3, "C": 0.4, "D": 0.2}
    block = grades_block(targets, fitted, {"data_root": "'x'", "as_of": "2026-11-20"}, [0.1] * 10)
    rewritten = replace_grades(text, block)
    assert "# Hysteresis" in rewritten and rewritten.count("grades:") == 1
    import yaml

    policy = pool_policy_from_dict(yaml.safe_load(rewritten))
    assert dict(policy.stage_cutoffs["growth"])["A"] == 72.0
    assert policy.reference_shares == (0.1,) * 10


def _limit_inputs(
    revenue: float | None, stage: str = "startup"
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    pool = pl.DataFrame(
        {
            "credit_code": ["x"],
            "in_pool": [True],
            "exclusion_reason": [None],
            "tier": [f"{stage}-A"],
            "life_stage": [stage],
            "grade": ["A"],
            "model_version": ["pool_v2"],
            "score_model_version": ["scoring_v2"],
        }
    )
    score = pl.DataFrame(
        {"credit_code": ["x"], "composite": [90.0], "innovation": [95.0], "evolution": [95.0]}
    )
    profile = pl.DataFrame(
        {
            "credit_code": ["x"],
            "status": ["存续"],
            "revenue_latest": [revenue],
            "debt_ratio": [None],
        },
        schema={
            "credit_code": pl.String,
            "status": pl.String,
            "revenue_latest": pl.Float64,
            "debt_ratio": pl.Float64,
        },
    )
    ip = pl.DataFrame(
        {
            "credit_code": ["x"],
            "ip_value_wan": [200.0],
            "pledge_value_wan": [50.0],
            "valid_patents": [3],
        }
    )
    return pool, score, profile, ip


def test_credit_v2_never_reads_unknown_revenue_as_zero() -> None:
    policy = load_credit_policy(CREDIT_POLICY_V2)
    assert policy.no_filing is not None and policy.warrant_needs_financials
    limits = credit_limits(*_limit_inputs(None), policy, D1)
    by = {r["product"]: r for r in limits.iter_rows(named=True)}
    tech = by["tech_credit"]
    line = (
        policy.ltv_grade["A"] * 200.0
        + policy.no_filing.unsecured_share * policy.unsecured_grade["A"]
    )
    expected = min(
        line, policy.no_filing.cap, policy.stage_caps["startup"], policy.product_caps["tech_credit"]
    )
    assert tech["limit_wan"] == math.floor(expected)
    assert tech["limit_wan"] > 0 and "no financial filing" in tech["reasons"][0]
    warrant = by["warrant_linked"]
    assert warrant["limit_wan"] == 0 and any("no financial filing" in r for r in warrant["reasons"])
    # The stage and scores meet the rule: the missing filing is what binds, and says so.
    assert warrant["binding_constraint"] == "financial_filing"
    assert "meets the rule" in warrant["reasons"][0]
    filed = {
        r["product"]: r
        for r in credit_limits(*_limit_inputs(5000.0), policy, D1).iter_rows(named=True)
    }
    assert filed["warrant_linked"]["limit_wan"] > 0


def test_the_v2_pool_policy_has_a_ladder_per_stage() -> None:
    policy = load_pool_policy(POOL_V2)
    assert policy.grade_targets is not None and set(policy.stage_cutoffs) == set(STAGES)
    assert sum(policy.grade_targets.values()) == pytest.approx(1.0)


def test_the_summary_tells_crossing_rates_within_noise_from_significant_inversions() -> None:
    result = Validation(date(2026, 11, 20), "v2")
    result.reference_date = date(2025, 11, 20)
    result.discrimination = pl.DataFrame(
        {
            "outcome": ["certification", "revenue_growth", "deregistration", "relocation"],
            "model": ["composite"] * 4,
            "auc": [0.8, 0.7, 0.6, None],
            "events": [5, 40, 30, 0],
        }
    ).with_columns(firms=pl.lit(100))
    result.monotone = {
        "certification": True,
        "revenue_growth": False,
        "deregistration": False,
        "relocation": True,
    }
    result.significant_inversions = {"revenue_growth": 0, "deregistration": 2}
    lines = {
        line.split(": ", 1)[0].strip(): line.split(": ", 1)[1]
        for line in summary_lines(result)
        if "by grade" in line
    }
    # 5 events: as inconclusive for the grade order as for the AUC (it said "monotone").
    assert lines["outcome rate by grade, certification"] == "too few events to conclude (5 events)"
    assert lines["outcome rate by grade, revenue_growth"].startswith(
        "monotone within sampling noise"
    )
    assert lines["outcome rate by grade, deregistration"].startswith("NOT monotone: 2 adjacent")
    # No event, no verdict; an AUC on a few events says it proves little.
    assert lines["outcome rate by grade, relocation"] == "no events: not assessed"
    # Each outcome is said once, with what it counts.
    assert "    revenue_growth: filed revenue up at least 20% a year" in summary_lines(result)
    auc_lines = [line for line in summary_lines(result) if "AUC" in line]
    assert auc_lines[0].endswith("(5 of 100) - too few events to conclude")
    assert not auc_lines[1].endswith("conclude")


def test_the_grade_order_rests_on_the_pool_members_events() -> None:
    # QA on data shaped unlike the generator's (300 firms): the AUC of deregistration
    # on 7 events said "too few events to conclude" while the grade order of the same
    # outcome, 2 events among the pool members, said "monotone"; an outcome no pool
    # member had was "monotone" too (all rates 0) when firms outside the pool had it.
    pool = pl.DataFrame(
        {
            "credit_code": [f"f{i}" for i in range(60)],
            "in_pool": [i < 40 for i in range(60)],
            "grade": [GRADES[i % 4] for i in range(60)],
        }
    )
    happened = pl.concat(
        [
            pl.DataFrame(
                {
                    "credit_code": [f"f{i}" for i in range(60)],
                    "outcome": outcome,
                    "happened": [rule(i) for i in range(60)],
                }
            )
            for outcome, rule in (
                # 2 of the 40 members (both grade D), 5 more outside the pool
                ("deregistration", lambda i: i in (3, 7) or i >= 55),
                # 12 firms, none in the pool
                ("revenue_growth", lambda i: i >= 48),
                # 20 members: every A and B member
                ("certification", lambda i: i < 40 and i % 4 in (0, 1)),
            )
        ]
    )
    table, monotone, inversions = grade_rates(pool, happened, GRADES)
    events = table.group_by("outcome").agg(pl.col("events").sum())
    assert dict(events.iter_rows()) == {
        "deregistration": 2,
        "revenue_growth": 0,
        "certification": 20,
    }
    result = Validation(date(2026, 11, 20), "v2")
    result.reference_date = date(2025, 11, 20)
    result.discrimination = pl.DataFrame(
        {
            "outcome": ["deregistration", "revenue_growth", "certification"],
            "model": ["composite"] * 3,
            "auc": [0.6, 0.7, 0.9],
            "events": [7, 12, 20],
        }
    ).with_columns(firms=pl.lit(60), gini=pl.lit(None, pl.Float64), ks=pl.lit(None, pl.Float64))
    result.grade_rates, result.monotone, result.significant_inversions = (
        table,
        monotone,
        inversions,
    )
    lines = {
        line.split(": ", 1)[0].strip(): line.split(": ", 1)[1]
        for line in summary_lines(result)
        if "by grade" in line
    }
    assert lines["outcome rate by grade, deregistration"] == (
        "too few events to conclude (2 events)"
    )
    assert lines["outcome rate by grade, revenue_growth"] == "no events: not assessed"
    assert lines["outcome rate by grade, certification"] == "monotone"
    # The lake table keeps what the verdict rests on (the pool report reads it back).
    metrics = result.metrics().filter(
        (pl.col("section") == "grade_rates") & (pl.col("metric") == "events")
    )
    assert dict(zip(metrics["outcome"], metrics["value"], strict=True)) == {
        "deregistration": 2.0,
        "revenue_growth": 0.0,
        "certification": 20.0,
    }


def test_cut_offs_fitted_on_another_scoring_model_are_named() -> None:
    model = load_scoring_model()
    empty = pl.DataFrame()
    nothing = Scored(D1, empty, empty, empty, empty, State(D1, empty, empty))
    args = (nothing, model, model, GRADES, ("存续",))
    assert not validate(*args, fitted_on=model.version).notes[:-1]
    notes = validate(*args, fitted_on="scoring_v0.9").notes
    assert notes[0].startswith(
        f"the grade cut-offs and the stability reference were fitted on scoring_v0.9, the "
        f"scores are {model.version}: refit them"
    )


def test_the_oracle_fits_when_an_indicator_has_no_value_at_all() -> None:
    # QA on data of another generator with a single fiscal year filed: revenue and R&D
    # growth were missing for every firm, sklearn's binning failed on the all-missing
    # column ("window shape cannot be larger than input array shape") and the nightly
    # run stopped at scoring/validation, so the warehouse was not published.
    rng = np.random.default_rng(3)
    n = 120
    capability = rng.standard_normal(n)
    informative = capability + rng.normal(0, 0.3, n)
    all_missing = np.full(n, np.nan)
    one_value = np.full(n, np.nan)  # missing in every training fold but one
    one_value[5] = 1.0
    features = np.column_stack([informative, all_missing, one_value])
    predictions = oracle_predictions(features, capability)
    assert np.isfinite(predictions).all()
    agreement = spearman(predictions, capability)
    assert agreement is not None and agreement > 0.5
    # An unknown category everywhere (no industry section) as well.
    with_section = np.column_stack([features, np.full(n, np.nan)])
    predictions = oracle_predictions(with_section, capability, [False, False, False, True])
    assert np.isfinite(predictions).all()
    # Nothing to learn from: no ranking (Spearman n/a), not a failure.
    assert np.ptp(oracle_predictions(np.column_stack([all_missing]), capability)) == 0
