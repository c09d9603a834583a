"""One validation of the scoring model as of D, from the stages' outputs on a few dates.

Dates: D (now), the previous built as-of date (stability), R = the latest built
date at least a year before D (the out-of-time backtest: scores at R, outcomes
in (R, D]) and R2 = a year before R (where the challenger is fitted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from capscore.indicators.enterprise import ip_class_points
from capscore.pool.cultivation import with_composite
from capscore.validation.backtest import (
    BASELINES,
    discrimination_table,
    grade_rates,
    official_points,
)
from capscore.validation.challenger import TARGET, Challenger, fit_challenger
from capscore.validation.outcomes import MEANING, State, outcomes
from capscore.validation.stability import (
    NOT_ENOUGH,
    NOT_ENOUGH_VERDICT,
    migration_matrix,
    psi_status,
    psi_table,
)
from capscore.validation.truth import truth_agreement
from scoring_models.config import ScoringModel

HORIZON_DAYS = 365
# R may be this many days later than D - 1 year when no date is built exactly then.
HORIZON_SLACK_DAYS = 45


# The columns the validation takes of each stage's output (`Scored`); the other columns
# only cost memory: at 1M, four dates' whole frames hold 1.7 GB, these 0.5 GB.
POOL_COLUMNS = ("credit_code", "in_pool", "grade")
PROFILE_COLUMNS = (
    "credit_code",
    "patent_count",
    "valid_invention_count",
    "valid_type2_count",
    "established_date",  # the truth's age_years
    "industry_section",
)


def score_columns(model: ScoringModel) -> list[str]:
    return ["credit_code", "composite", *model.dimensions]


@dataclass(frozen=True)
class Scored:
    """The stages' outputs on one as-of date (at least the columns above)."""

    as_of: date
    score: pl.DataFrame  # scoring/enterprise_score
    pool: pl.DataFrame  # pool/cultivation_pool
    profile: pl.DataFrame  # scoring/enterprise_profile
    wide: pl.DataFrame  # credit_code + one raw-value column per indicator
    state: State


@dataclass
class Validation:
    as_of: date
    model_version: str
    discrimination: pl.DataFrame | None = None
    grade_rates: pl.DataFrame | None = None
    monotone: dict[str, bool] = field(default_factory=dict)
    significant_inversions: dict[str, int] = field(default_factory=dict)
    truth: pl.DataFrame | None = None
    psi: pl.DataFrame | None = None
    psi_status: str = "stable"
    migration: pl.DataFrame | None = None
    challenger_weights: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    reference_date: date | None = None

    def metrics(self) -> pl.DataFrame:
        """Every figure as one long frame (the scoring/validation lake table)."""
        parts: list[pl.DataFrame] = []
        if self.discrimination is not None:
            parts.append(
                self.discrimination.unpivot(
                    ["auc", "gini", "ks", "firms", "events"], index=["outcome", "model"]
                ).select(
                    pl.lit("backtest").alias("section"),
                    "outcome",
                    pl.col("model").alias("subject"),
                    pl.col("variable").alias("metric"),
                    pl.col("value").cast(pl.Float64),
                )
            )
        if self.grade_rates is not None:
            parts.append(
                self.grade_rates.select(
                    pl.lit("grade_rates").alias("section"),
                    "outcome",
                    pl.col("grade").alias("subject"),
                    pl.lit("rate").alias("metric"),
                    pl.col("rate").cast(pl.Float64).alias("value"),
                )
            )
            parts.append(
                pl.DataFrame(
                    {
                        "section": "grade_rates",
                        "outcome": list(self.monotone),
                        "subject": "all_grades",
                        "metric": "monotone",
                        "value": [float(v) for v in self.monotone.values()],
                    }
                )
            )
            # The members' events per outcome: the grade order's verdict rests on them
            # (the pool report reads them back).
            members_events = grade_events(self.grade_rates)
            parts.append(
                pl.DataFrame(
                    {
                        "section": "grade_rates",
                        "outcome": list(members_events),
                        "subject": "all_grades",
                        "metric": "events",
                        "value": [float(v) for v in members_events.values()],
                    },
                    schema={
                        "section": pl.String,
                        "outcome": pl.String,
                        "subject": pl.String,
                        "metric": pl.String,
                        "value": pl.Float64,
                    },
                )
            )
            parts.append(
                pl.DataFrame(
                    {
                        "section": "grade_rates",
                        "outcome": list(self.significant_inversions),
                        "subject": "all_grades",
                        "metric": "significant_inversions",
                        "value": [float(v) for v in self.significant_inversions.values()],
                    }
                )
            )
        if self.truth is not None:
            parts.append(
                self.truth.select(
                    pl.lit("truth").alias("section"),
                    pl.lit(None, dtype=pl.String).alias("outcome"),
                    pl.col("subject"),
                    pl.col("measure").alias("metric"),
                    "value",
                )
            )
        if self.psi is not None:
            parts.append(
                self.psi.select(
                    pl.lit("stability").alias("section"),
                    pl.col("against").alias("outcome"),
                    pl.col("column").alias("subject"),
                    pl.lit("psi").alias("metric"),
                    pl.col("psi").alias("value"),
                )
            )
        if self.challenger_weights is not None:
            parts.append(
                self.challenger_weights.unpivot(["expert", "challenger"], index="dimension").select(
                    pl.lit("weights").alias("section"),
                    pl.lit(TARGET).alias("outcome"),
                    pl.col("dimension").alias("subject"),
                    pl.col("variable").alias("metric"),
                    pl.col("value").cast(pl.Float64),
                )
            )
        schema = {
            "section": pl.String,
            "outcome": pl.String,
            "subject": pl.String,
            "metric": pl.String,
            "value": pl.Float64,
        }
        frame = pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)  # type: ignore[arg-type]
        return frame.with_columns(
            pl.lit(self.as_of).alias("as_of_date"),
            pl.lit(self.reference_date, dtype=pl.Date).alias("reference_date"),
            pl.lit(self.model_version).alias("model_version"),
        )


def reference_date(built: Sequence[date], day: date, horizon: int = HORIZON_DAYS) -> date | None:
    """The latest built date at least `horizon` days before `day` (within the slack)."""
    target = date.fromordinal(day.toordinal() - horizon)
    earlier = [d for d in built if d <= target]
    if earlier:
        return max(earlier)
    later = [
        d for d in built if target < d <= date.fromordinal(target.toordinal() + HORIZON_SLACK_DAYS)
    ]
    return min(later) if later else None


def _scoring_frame(scored: Scored, model: ScoringModel, table_model: ScoringModel) -> pl.DataFrame:
    frame = (
        scored.score.select("credit_code", "composite", *model.dimensions)
        .join(scored.profile.select("credit_code", "patent_count"), on="credit_code", how="left")
        .join(scored.wide, on="credit_code", how="left")
    )
    raw = frame.select(
        [
            (pl.col(n) if n in frame.columns else pl.lit(None, dtype=pl.Float64)).alias(n)
            for n in ("rd_intensity", "rd_staff_share", "ip_class_points")
        ]
    )
    if "ip_class_points" not in frame.columns:
        raw = raw.with_columns(
            ip_points_from_counts(scored.profile, frame["credit_code"]).alias("ip_class_points")
        )
    return frame.with_columns(official_points(raw, table_model))


def ip_points_from_counts(profile: pl.DataFrame, codes: pl.Series) -> pl.Series:
    return (
        pl.DataFrame({"credit_code": codes})
        .join(profile, on="credit_code", how="left")
        .select(ip_class_points(pl.col("valid_invention_count"), pl.col("valid_type2_count")))
        .to_series()
    )


def validate(
    now: Scored,
    model: ScoringModel,
    table_model: ScoringModel,
    grades: tuple[str, ...],
    active_statuses: tuple[str, ...],
    previous: Scored | None = None,
    reference: Scored | None = None,
    earlier: Scored | None = None,
    capability: pl.DataFrame | None = None,
    reference_shares: Sequence[float] | None = None,
    fitted_on: str | None = None,
) -> Validation:
    """Every section the dates given allow; a missing date leaves its section out, noted.
    `fitted_on`: the scoring model version the grade cut-offs were fitted on."""
    result = Validation(now.as_of, model.version)
    if fitted_on is not None and fitted_on != model.version:
        result.notes.append(
            f"the grade cut-offs and the stability reference were fitted on {fitted_on}, the "
            f"scores are {model.version}: refit them (`capscore calibrate-grades`) before "
            "reading grade shares or the PSI against the reference"
        )
    dims = tuple(model.dimensions)
    if now.score.is_empty():
        result.notes.append(
            f"nothing scored as of {now.as_of} (no registry snapshot visible yet): "
            "nothing to validate"
        )
        return result
    if reference is None:
        result.notes.append(no_backtest_note(now.as_of))
    else:
        result.reference_date = reference.as_of
        happened = outcomes(reference.state, now.state, active_statuses)
        scored = _scoring_frame(reference, model, table_model)
        models = ["composite", *BASELINES]
        challenger: Challenger | None = None
        if earlier is not None:
            fit_outcomes = outcomes(earlier.state, reference.state, active_statuses)
            challenger = fit_challenger(
                _scoring_frame(earlier, model, table_model), fit_outcomes, dims, str(earlier.as_of)
            )
        if challenger is None:
            result.notes.append(
                "challenger: not fitted (needs scores two years back with enough certifications)"
            )
        else:
            scored = scored.with_columns(challenger.predict(scored))
            models.append("challenger")
            test = scored.join(happened.filter(pl.col("outcome") == TARGET), on="credit_code")
            shares = challenger.importances(test, test["happened"].to_numpy())
            expert = {d: float(np.mean([w[d] for w in model.stage_weights.values()])) for d in dims}
            result.challenger_weights = pl.DataFrame(
                {
                    "dimension": list(dims),
                    "expert": [expert[d] for d in dims],
                    "challenger": [shares[d] for d in dims],
                }
            )
        result.discrimination = discrimination_table(scored, happened, models)
        result.grade_rates, result.monotone, result.significant_inversions = grade_rates(
            reference.pool, happened, grades
        )
    if capability is not None:
        result.truth = truth_agreement(
            now.score, now.wide, now.profile, capability, model, now.as_of
        )
    result.psi = psi_table(
        now.score,
        None if previous is None else previous.score,
        reference_shares,
        ["composite", *dims],
        with_composite(now.pool, now.score).filter("in_pool")["composite"],
    )
    result.psi_status = psi_status(result.psi)
    if previous is not None:
        result.migration = migration_matrix(previous.pool, now.pool, grades)
    return result


# An AUC on fewer events than this is shown, but said to be inconclusive: its
# confidence interval spans most of 0..1.
MIN_EVENTS = 10
TOO_FEW_EVENTS = "too few events to conclude"


def no_backtest_note(as_of: date) -> str:
    """Why a date has no out-of-time backtest (`capscore validate` and the pool report)."""
    return (
        f"out-of-time backtest: no scores built about a year before {as_of} "
        "(land history, e.g. `capscore generate --history-years 2`, and backfill)"
    )


def too_few_events(events: int | None) -> bool:
    """An AUC on fewer than MIN_EVENTS events says nothing either way."""
    return events is not None and 0 < events < MIN_EVENTS


def grade_events(grade_rates: pl.DataFrame) -> dict[str, int]:
    """Per outcome, the pool members (at the reference date) who had it: fewer than the
    backtest counts, which are over every firm at risk, in the pool or not."""
    if "events" not in grade_rates.columns:
        return {}
    totals = grade_rates.group_by("outcome", maintain_order=True).agg(pl.col("events").sum())
    return {o: int(n) for o, n in totals.iter_rows()}


def _rounded(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def monotone_verdict(ok: bool, inversions: int, events: int) -> str:
    """What the outcome rate by grade says: the words `capscore validate` and the pool
    report both use (the report reads them back from scoring.validation)."""
    if events == 0:
        return "no events: not assessed"
    # A grade order on a handful of events is as inconclusive as an AUC on them: with
    # 2 events among 65 members any order is "monotone" (measured on a 300-firm root).
    if too_few_events(events):
        return f"{TOO_FEW_EVENTS} ({events} events)"
    if ok:
        return "monotone"
    if inversions == 0:
        return (
            "monotone within sampling noise (adjacent grades' rates cross, none by more "
            "than noise, one-sided 5%)"
        )
    return (
        f"NOT monotone: {inversions} adjacent grade pair(s) in the wrong order beyond "
        "sampling noise (one-sided 5%)"
    )


def summary_lines(result: Validation) -> list[str]:
    """The headline figures, one line each (the CLI and the UI show the tables too)."""
    lines = [f"Validation of {result.model_version} as of {result.as_of}"]
    if result.discrimination is not None:
        lines.append(
            f"  out of time: scores as of {result.reference_date}, outcomes to {result.as_of}"
        )
        outcomes = result.discrimination["outcome"].unique(maintain_order=True).to_list()
        lines.extend(f"    {o}: {MEANING[o]}" for o in outcomes if o in MEANING)
        for row in result.discrimination.iter_rows(named=True):
            auc = "n/a" if row["auc"] is None else f"{row['auc']:.3f}"
            few = f" - {TOO_FEW_EVENTS}" if too_few_events(row["events"]) else ""
            lines.append(
                f"    {row['outcome']:<16} {row['model']:<16} AUC {auc}  "
                f"({row['events']:,} of {row['firms']:,}){few}"
            )
        events = {r["outcome"]: r["events"] for r in result.discrimination.iter_rows(named=True)}
        # The grade order is measured on the pool members only: their events decide.
        if result.grade_rates is not None:
            events |= grade_events(result.grade_rates)
        for outcome, ok in result.monotone.items():
            said = monotone_verdict(
                ok, result.significant_inversions.get(outcome, 0), events.get(outcome, 0)
            )
            lines.append(f"    outcome rate by grade, {outcome}: {said}")
    if result.truth is not None:
        values = {
            r["subject"]: r["value"]
            for r in result.truth.iter_rows(named=True)
            if r["measure"] == "spearman"
        }
        lines.append(
            "  truth: Spearman "
            + ", ".join(
                f"{name} {_rounded(values.get(key))}"
                for name, key in (
                    ("composite", "composite"),
                    ("oracle", "oracle"),
                    ("oracle with age and industry", "oracle_with_context"),
                    ("patent count", "baseline:patent_count"),
                )
            )
        )
    if result.psi is not None and result.psi.height and result.psi_status == NOT_ENOUGH:
        lines.append(f"  stability: {NOT_ENOUGH_VERDICT}")
    elif result.psi is not None and result.psi.height:
        worst = result.psi.sort("psi", descending=True, nulls_last=True).row(0, named=True)
        lines.append(
            f"  stability: {result.psi_status} (largest PSI {worst['psi']:.3f}, {worst['column']} vs {worst['against']})"
        )
    lines.extend(f"  note: {note}" for note in result.notes)
    return lines
