"""`capscore explain`: one enterprise's scores as text an analyst can paste into a credit memo.

Pure: takes the scoring frames (as read from the lake) and returns text. The
CLI loads scoring/enterprise_score, scoring/indicator_value and
scoring/enterprise_profile for the as-of date and prints the result; the pool
and credit sections are appended by their owners.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import polars as pl

from capscore.indicators.enterprise import age_years
from capscore.scoring.wording import format_value, indicator_meta
from scoring_models.config import ScoringModel, load_model_version, load_scoring_model


class ExplainError(LookupError):
    """The enterprise has no scores for the requested date."""


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(width - display_width(text), 0)
    return fill + text if right else text + fill


def _table(
    header: list[str], rows: list[list[str]], right: set[int], indent: str = ""
) -> list[str]:
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        indent + "  ".join(pad(cell, widths[i], i in right) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]


def _for_day(frame: pl.DataFrame, credit_code: str, as_of: date | None) -> pl.DataFrame:
    rows = frame.filter(pl.col("credit_code") == credit_code)
    if "as_of_date" in rows.columns and rows.height:
        day = as_of if as_of is not None else rows["as_of_date"].max()
        rows = rows.filter(pl.col("as_of_date") == day)
    return rows


def _model_of(enterprise_score: pl.DataFrame, credit_code: str, as_of: date | None) -> ScoringModel:
    """The model version that made the scores (the labels and weights it used)."""
    rows = _for_day(enterprise_score, credit_code, as_of)
    if rows.height and "model_version" in rows.columns:
        return load_model_version(str(rows["model_version"][0]))
    return load_scoring_model()


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _profile_lines(profile: pl.DataFrame, day: date | None, model: ScoringModel) -> list[str]:
    if profile.is_empty():
        return []
    p = profile.row(0, named=True)
    facts = [f"status {p.get('status') or 'unknown'}" + (" (active)" if p.get("active") else "")]
    age = profile.select(age_years(day, model)).item() if day and "established_date" in p else None
    if age is not None:
        facts.append(f"age {age:.1f} years")
    if p.get("insured_staff") is not None:
        facts.append(f"{p['insured_staff']} insured staff")
    if p.get("revenue_latest") is not None:
        facts.append(f"revenue {p['revenue_latest']:.0f}万元 (FY{p.get('fiscal_year_latest')})")
    else:
        facts.append("no R&D/financial filing")
    if p.get("hnte_valid"):
        facts.append("HNTE certificate valid")
    if p.get("srdi_level") not in (None, "none"):
        facts.append(f"专精特新 {p['srdi_level']}")
    return ["Facts:        " + ", ".join(facts)]


def score_memo(
    credit_code: str,
    enterprise_score: pl.DataFrame,
    indicator_value: pl.DataFrame,
    profile: pl.DataFrame | None = None,
    *,
    as_of: date | None = None,
    model: ScoringModel | None = None,
) -> str:
    """Dimension scores, each indicator's raw value, score and peer group, and the reasons.

    Frames may hold several as-of dates (an `as_of_date` column, as scanned
    from the lake): `as_of` picks one, else the latest. Labels and units come
    from `model` (default: the packaged scoring model).
    """
    model = model or _model_of(enterprise_score, credit_code, as_of)
    score = _for_day(enterprise_score, credit_code, as_of)
    if score.is_empty():
        when = f" as of {as_of}" if as_of else ""
        raise ExplainError(f"no scores for {credit_code}{when}")
    s = score.row(0, named=True)
    values = _for_day(indicator_value, credit_code, as_of).with_columns(
        pl.col(c).cast(pl.String) for c in ("indicator", "dimension", "peer_group", "direction")
    )
    facts = _for_day(profile, credit_code, as_of) if profile is not None else pl.DataFrame()
    day = s.get("as_of_date") or as_of
    name = facts["name"][0] if "name" in facts.columns and facts.height else None
    basis = facts["stage_basis"][0] if "stage_basis" in facts.columns and facts.height else None
    lines = [
        "Capscore rating explanation",
        f"Enterprise:   {name + ' ' if name else ''}({credit_code})",
        f"As of:        {day if day else 'n/a'}    Scoring model: {s['model_version']}",
        f"Life stage:   {s['life_stage']}"
        + (f" (by {basis.replace('_', ' ')})" if basis else "")
        + f"    Peer group: {s['peer_group']}",
        *_profile_lines(facts, day, model),
        "",
        f"Composite score {_number(s['composite'])} / 100 "
        f"(data coverage {100 * (s['coverage'] or 0):.0f}%)",
        "",
    ]
    stage_weights = model.stage_weights.get(s["life_stage"], {})
    dims = [
        [
            model.dimension_labels.get(d, d),
            _number(s.get(d)),
            _number(s.get(f"{d}_evidence")),
            f"{100 * (s.get(f'{d}_coverage') or 0):.0f}%",
            f"{stage_weights.get(d, 0):.2f}",
        ]
        for d in model.dimensions
    ]
    lines += _table(
        ["Dimension", "Score", "Evidence", "Coverage", "Stage weight"], dims, {1, 2, 3, 4}
    )
    if model.credibility_k is not None:
        lines += [
            "",
            "Score = Z x evidence + (1 - Z) x prior "
            f"{model.prior_score:g}, Z = coverage (1 + {model.credibility_k:g}) / "
            f"(coverage + {model.credibility_k:g}): what is missing counts toward the prior, "
            f"not the middle (composite from evidence alone: {_number(s.get('composite_evidence'))}).",
        ]
    meta = indicator_meta(model).select("indicator", "label", "unit")
    detail = (
        values.join(meta, on="indicator", how="left")
        .with_columns(
            pl.col("label").fill_null(pl.col("indicator")),
            pl.col("unit").fill_null("index"),
        )
        .with_columns(
            format_value(pl.col("raw_value"), pl.col("unit")).alias("_raw"),
            format_value(pl.col("peer_median"), pl.col("unit")).alias("_median"),
        )
    )
    order = {name: i for i, name in enumerate(model.indicator_names)}
    for d in model.dimensions:
        rows = sorted(
            detail.filter(pl.col("dimension") == d).iter_rows(named=True),
            key=lambda r: order.get(r["indicator"], len(order)),
        )
        if not rows:
            continue
        lines += ["", f"{model.dimension_labels.get(d, d)}: {_number(s.get(d))}"]
        table = [
            [
                r["label"] + (" (lower is better)" if r["direction"] == "lower" else ""),
                r["_raw"],
                _number(r["score"]),
                r["_median"],
                f"{r['peer_group']} (n={r['peer_size']})",
            ]
            for r in rows
        ]
        lines += _table(
            ["Indicator", "Raw value", "Score", "Peer median", "Peer group"], table, {2}, "  "
        )
    reasons = s.get("top_reasons") or []
    lines += ["", "Main reasons (versus the peer median):"]
    lines += [f"  {reason}" for reason in reasons] or [
        "  none: every indicator is at its peer median"
    ]
    return "\n".join(lines) + "\n"
