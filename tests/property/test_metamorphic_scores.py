"""Metamorphic relations of the v2 scores, pool grades and credit limits.

One firm's inputs are changed, everything else held fixed, and the direction of
its dimension scores, composite, grade and limits is checked the way a credit
analyst reads them: more R&D, a valid HNTE certificate or one more granted
invention (of at least the firm's portfolio quality) never lower anything;
more liabilities never raise anything.

The pipeline runs on the pure functions (indicators, scores, pool with no
previous partition, credit) over the synthetic as-of inputs of
`benchmarks.scoring_chain`. The patent quality of the inputs is computed once;
an added patent gets its quality row directly, so the other patents' cohort
caps (and so every other firm) stay as they were.

Relations that do NOT hold by design are in the audit report, not here: a
patent of low quality (or a utility model) lowers the mean portfolio quality and
can lower innovation; revenue raised with R&D fixed lowers R&D intensity (and
can leave the pool through the 3% rule); a changed life stage reweights the
composite and changes the grade ladder.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any, NamedTuple

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.scoring_chain import SyntheticInputs, synthetic_inputs
from capscore.credit.ip_value import enterprise_ip_values, patent_values
from capscore.credit.limits import credit_limits
from capscore.indicators.enterprise import enterprise_indicators
from capscore.indicators.patent_quality import patent_quality
from capscore.pool.cultivation import cultivation_pool
from capscore.scoring.scores import enterprise_scores, indicator_columns
from scoring_models.config import load_scoring_model
from scoring_models.policy_config import load_credit_policy, load_pool_policy

MODEL = load_scoring_model()
POOL = load_pool_policy()
CREDIT = load_credit_policy()
DIMENSIONS = list(MODEL.dimensions)
GRADE_RANK = {"A": 3, "B": 2, "C": 1, "D": 0, None: -1}
AS_OF = date(2026, 6, 30)
SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Inputs(NamedTuple):
    data: SyntheticInputs
    quality: pl.DataFrame


@functools.cache
def base_inputs(seed: int) -> Inputs:
    data = synthetic_inputs(80, 400, seed=seed, as_of=AS_OF)
    return Inputs(data, patent_quality(data.patents, data.links, AS_OF, MODEL))


def outcome(inputs: Inputs, code: str) -> dict[str, Any]:
    """The firm's dimension scores, composite, grade rank, stage and limits."""
    d = inputs.data
    wide, profile = enterprise_indicators(
        d.enterprises, d.patents, d.links, d.rd_filings, inputs.quality, AS_OF, MODEL
    )
    score = enterprise_scores(indicator_columns(wide, profile, MODEL), profile, MODEL)
    pool = cultivation_pool(score, profile, None, POOL, AS_OF)
    values = patent_values(
        d.patents,
        d.links,
        inputs.quality.select("application_number", "quality_index"),
        CREDIT,
        AS_OF,
    )
    limits = credit_limits(pool, score, profile, enterprise_ip_values(values), CREDIT, AS_OF)
    firm = pl.col("credit_code") == code
    row = score.filter(firm).row(0, named=True)
    return {
        **{k: row[k] for k in [*DIMENSIONS, "composite", "life_stage"]},
        "grade": GRADE_RANK[pool.filter(firm)["grade"].item()],
        **dict(limits.filter(firm).select("product", "limit_wan").iter_rows()),
        "portfolio_quality": wide.filter(firm)["portfolio_quality"].item(),
    }


COMPARED = [*DIMENSIONS, "composite", "grade", "tech_credit", "ip_pledge", "warrant_linked"]


def assert_not_lower(before: dict[str, Any], after: dict[str, Any], what: list[str]) -> None:
    for key in what:
        assert after[key] >= before[key] - 1e-9, (key, before, after)


def with_data(inputs: Inputs, **frames: pl.DataFrame) -> Inputs:
    return Inputs(inputs.data.__class__(**{**inputs.data.__dict__, **frames}), inputs.quality)


def scale_latest_filing(inputs: Inputs, code: str, column: str, factor: float) -> Inputs:
    rd = inputs.data.rd_filings
    latest = rd.filter(pl.col("credit_code") == code)["fiscal_year"].max()
    hit = (pl.col("credit_code") == code) & (pl.col("fiscal_year") == latest)
    changed = pl.when(hit).then(pl.col(column) * factor + 1.0).otherwise(pl.col(column))
    return with_data(inputs, rd_filings=rd.with_columns(changed.alias(column)))


firm_seeds = st.tuples(st.integers(0, 2), st.integers(0, 10_000))


def pick(codes: list[str], index: int) -> str | None:
    return codes[index % len(codes)] if codes else None


def filers(inputs: Inputs) -> list[str]:
    return sorted(set(inputs.data.rd_filings["credit_code"].to_list()))


def filing_scaled(
    firm: tuple[int, int], column: str, factor: float
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """A filer's outcome before and after its latest filing's `column` is scaled."""
    inputs = base_inputs(firm[0])
    code = pick(filers(inputs), firm[1])
    if code is None:
        return None
    scaled = scale_latest_filing(inputs, code, column, factor)
    return outcome(inputs, code), outcome(scaled, code)


@SETTINGS
@given(firm_seeds, st.floats(1.05, 5.0))
def test_more_rd_expense_never_lowers_a_score_grade_or_limit(
    firm: tuple[int, int], factor: float
) -> None:
    outcomes = filing_scaled(firm, "rd_expense", factor)
    if outcomes is None:
        return
    before, after = outcomes
    assert after["life_stage"] == before["life_stage"]
    assert_not_lower(before, after, COMPARED)


@SETTINGS
@given(firm_seeds, st.floats(1.05, 5.0))
def test_more_liabilities_never_raise_a_score_grade_or_limit(
    firm: tuple[int, int], factor: float
) -> None:
    outcomes = filing_scaled(firm, "total_liabilities", factor)
    if outcomes is None:
        return
    before, after = outcomes
    assert_not_lower(after, before, COMPARED)


@SETTINGS
@given(firm_seeds)
def test_a_valid_hnte_certificate_never_lowers_a_score_grade_or_limit(
    firm: tuple[int, int],
) -> None:
    inputs = base_inputs(firm[0])
    ents = inputs.data.enterprises
    uncertified = ents.filter(
        pl.col("hnte_valid_until").is_null() | (pl.col("hnte_valid_until") < AS_OF)
    )["credit_code"].to_list()
    code = pick(uncertified, firm[1])
    if code is None:
        return
    certified = ents.with_columns(
        pl.when(pl.col("credit_code") == code)
        .then(pl.lit(AS_OF + timedelta(days=365)))
        .otherwise(pl.col("hnte_valid_until"))
        .alias("hnte_valid_until")
    )
    before = outcome(inputs, code)
    after = outcome(with_data(inputs, enterprises=certified), code)
    assert after["competitiveness"] > before["competitiveness"]
    assert_not_lower(before, after, COMPARED)


def add_granted_invention(inputs: Inputs, code: str, quality_index: float) -> Inputs:
    """One more granted, valid invention of the firm (filed 400 days before D, in an IPC
    class it already has), with the given quality index and no citations."""
    d, number = inputs.data, "CNMETAMORPHIC.1"
    owned = d.links.filter((pl.col("credit_code") == code) & (pl.col("decision") == "matched"))
    ipc = (
        d.patents.join(owned.select("application_number"), on="application_number")
        .get_column("ipc_codes")
        .explode()
        .drop_nulls()
    )
    patent = {
        "application_number": number,
        "patent_type": "invention",
        "application_date": AS_OF - timedelta(days=400),
        "publication_date": AS_OF - timedelta(days=200),
        "grant_date": AS_OF - timedelta(days=30),
        "ipc_codes": ipc.head(1).to_list(),
        "claims_count": 10,
        "cited_applications": [],
        "legal_status": "granted",
        "pct": False,
        "family_size": 1,
    }
    link = {
        "application_number": number,
        "applicant_position": 0,
        "applicant_kind": "enterprise",
        "credit_code": code,
        "decision": "matched",
    }
    quality = {c: None for c in inputs.quality.columns} | {
        "application_number": number,
        "forward_citations_5y": 0,
        "generality": 0.0,
        "originality": 0.0,
        "quality_index": quality_index,
        "breakthrough": False,
    }
    return Inputs(
        d.__class__(
            **{
                **d.__dict__,
                "patents": pl.concat([d.patents, pl.DataFrame([patent], schema=d.patents.schema)]),
                "links": pl.concat([d.links, pl.DataFrame([link], schema=d.links.schema)]),
            }
        ),
        pl.concat([inputs.quality, pl.DataFrame([quality], schema=inputs.quality.schema)]),
    )


@SETTINGS
@given(firm_seeds, st.floats(0.0, 1.0))
def test_an_invention_at_least_as_good_as_the_portfolio_never_lowers_anything(
    firm: tuple[int, int], headroom: float
) -> None:
    inputs = base_inputs(firm[0])
    owners = sorted(
        set(inputs.data.links.filter(pl.col("decision") == "matched")["credit_code"].to_list())
    )
    code = pick(owners, firm[1])
    if code is None:
        return
    before = outcome(inputs, code)
    if before["portfolio_quality"] is None:
        # Nothing filed in the portfolio window: a first recent patent adds an indicator
        # the dimension did not have, whose score may be low (see the module docstring).
        return
    mean = before["portfolio_quality"]
    better = mean + headroom * (1.0 - mean)
    after = outcome(add_granted_invention(inputs, code, better), code)
    assert after["life_stage"] == before["life_stage"]
    assert after["innovation"] > before["innovation"] - 1e-9
    assert_not_lower(before, after, COMPARED)
