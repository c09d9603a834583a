"""The pool report: one self-contained HTML page per as-of date.

Inputs are the analyst views (`mart.*`) for the date, as polars frames; the
page embeds its charts as inline SVG and its styles inline, carries a
Content-Security-Policy that forbids every request, and has no script, so it
renders the same from a mail attachment, a file share or a browser offline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

import polars as pl

from capscore.pool.transitions import CHANGES
from capscore.reports import svg
from capscore.validation.report import (
    TOO_FEW_EVENTS,
    monotone_verdict,
    no_backtest_note,
    too_few_events,
)
from capscore.validation.stability import NOT_ENOUGH_VERDICT
from scoring_models.policy_config import GRADES, STAGES

GRADE_COLORS = {"A": "#1b7f5a", "B": "#4aa3a2", "C": "#e0a530", "D": "#c8553d"}
DIMENSIONS = ("composite", "innovation", "competitiveness", "evolution", "influence")
DIMENSION_LABELS = {
    "composite": "Composite 综合",
    "innovation": "Innovation 创新力",
    "competitiveness": "Competitiveness 竞争力",
    "evolution": "Evolution 进化力",
    "influence": "Influence 影响力",
}
PRODUCT_LABELS = {
    "tech_credit": "科技信用贷 tech_credit",
    "ip_pledge": "知识产权质押 ip_pledge",
    "warrant_linked": "认股选择权 warrant_linked",
}
MOVER_ROWS = 10
REGION_ROWS = 15
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;
margin:0;background:#f5f6f8;color:#23262b}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:2px solid #d9dce1}
.sub{color:#5f6670;margin:0 0 16px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.kpi{background:#fff;border-radius:8px;padding:12px 14px;box-shadow:0 1px 2px #0001}
.kpi b{display:block;font-size:22px}.kpi span{color:#5f6670;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0001}
svg.chart{width:100%;height:auto;display:block}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid #e6e8eb;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.up{color:#1b7f5a}.down{color:#c8553d}.empty{color:#5f6670;font-style:italic}
footer{margin-top:32px;color:#5f6670;font-size:12px}
"""


@dataclass(frozen=True)
class PoolReportInputs:
    """What the report shows, each frame restricted to what is knowable on `as_of`.

    scorecard: `mart.enterprise_scorecard` rows of `as_of`, the columns
    `report_scorecard.sql` reads (who, pool place, scores, total limit, model
    version). previous: credit_code, composite, tier and grade of its rows of
    `previous_as_of` (the comparison date for movers; None when there is none).
    tier_moves: enterprises per pool move (`tier_change`) between the two dates.
    validation: `scoring.validation` rows of `as_of` (section, outcome, subject,
    metric, value, reference_date).
    credit: `mart.credit_exposure` rows of `as_of`. quality: `mart.data_quality`
    rows of drops landed on or before `as_of`. rules: `mart.quarantine_reasons`
    rows of the same drops. region_names: GB/T 2260 code -> name.
    """

    as_of: date
    scorecard: pl.DataFrame
    previous: pl.DataFrame | None
    previous_as_of: date | None
    tier_moves: Mapping[str, int]
    validation: pl.DataFrame
    credit: pl.DataFrame
    quality: pl.DataFrame
    rules: pl.DataFrame
    region_names: Mapping[str, str]


@dataclass(frozen=True)
class ReportSummary:
    scored: int
    in_pool: int
    total_limit_wan: float
    enterprises_with_credit: int
    rows_read: int
    rows_quarantined: int
    tier_counts: dict[str, int]

    def markdown(self) -> str:
        lines = [
            "| figure | value |",
            "|---|---|",
            f"| enterprises scored | {self.scored:,} |",
            f"| in the pool | {self.in_pool:,} |",
            f"| credit exposure (万元) | {self.total_limit_wan:,.0f} |",
            f"| enterprises with credit | {self.enterprises_with_credit:,} |",
            f"| rows quarantined / read | {self.rows_quarantined:,} / {self.rows_read:,} |",
        ]
        lines += [f"| tier {tier} | {count:,} |" for tier, count in self.tier_counts.items()]
        return "\n".join(lines)


def _esc(value: object) -> str:
    return escape("" if value is None else str(value))


def _stat(values: pl.Series, how: str) -> float | None:
    result = values.cast(pl.Float64).mean() if how == "mean" else values.cast(pl.Float64).median()
    return float(result) if isinstance(result, int | float) else None


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    if not rows:
        return '<p class="empty">Nothing to show for this date.</p>'
    head = "".join(
        f'<th class="n">{_esc(h)}</th>' if i in numeric else f"<th>{_esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def in_pool(scorecard: pl.DataFrame) -> pl.DataFrame:
    return scorecard.filter(pl.col("in_pool").fill_null(False))


def tier_counts(scorecard: pl.DataFrame) -> pl.DataFrame:
    """Pool members per life stage and grade, every stage x grade present (zeros included)."""
    grid = pl.DataFrame({"life_stage": list(STAGES)}).join(
        pl.DataFrame({"grade": list(GRADES)}), how="cross"
    )
    counts = in_pool(scorecard).group_by("life_stage", "grade").agg(pl.len().alias("enterprises"))
    return (
        grid.join(counts, on=["life_stage", "grade"], how="left")
        .with_columns(pl.col("enterprises").fill_null(0).cast(pl.Int64))
        .sort(
            pl.col("life_stage").replace_strict(STAGES, range(len(STAGES))),
            pl.col("grade"),
        )
    )


def score_histogram(values: pl.Series, bins: int = 10) -> list[int]:
    """Counts of 0-100 scores in `bins` equal bins (100 falls in the last)."""
    scores = values.drop_nulls().cast(pl.Float64)
    index = (scores / (100 / bins)).floor().clip(0, bins - 1).cast(pl.Int64)
    counts = index.value_counts()
    found = dict(zip(counts[index.name].to_list(), counts["count"].to_list(), strict=True))
    return [int(found.get(i, 0)) for i in range(bins)]


def movers(current: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Composite change per enterprise scored on both dates, with the tier then and now."""
    then = previous.select(
        "credit_code",
        pl.col("composite").alias("from_composite"),
        pl.col("tier").alias("from_tier"),
    )
    return (
        current.select("credit_code", "name", "composite", "tier")
        .join(then, on="credit_code", how="inner")
        .with_columns((pl.col("composite") - pl.col("from_composite")).alias("composite_change"))
        .filter(pl.col("composite_change").is_not_null())
        .sort(["composite_change", "credit_code"])
    )


def summarize(inputs: PoolReportInputs) -> ReportSummary:
    counts = tier_counts(inputs.scorecard).filter(pl.col("enterprises") > 0)
    credit = inputs.credit
    with_credit = (
        inputs.scorecard.filter(pl.col("total_limit_wan").fill_null(0) > 0).height
        if "total_limit_wan" in inputs.scorecard.columns
        else 0
    )
    return ReportSummary(
        scored=inputs.scorecard.height,
        in_pool=in_pool(inputs.scorecard).height,
        total_limit_wan=float(credit["total_limit_wan"].sum() or 0.0) if credit.height else 0.0,
        enterprises_with_credit=with_credit,
        rows_read=int(inputs.quality["rows_read"].sum() or 0) if inputs.quality.height else 0,
        rows_quarantined=(
            int(inputs.quality["rows_quarantined"].sum() or 0) if inputs.quality.height else 0
        ),
        tier_counts={
            f"{stage}-{grade}": n
            for stage, grade, n in counts.select("life_stage", "grade", "enterprises").iter_rows()
        },
    )


def _kpis(summary: ReportSummary) -> str:
    share = summary.in_pool / summary.scored if summary.scored else 0.0
    rate = summary.rows_quarantined / summary.rows_read if summary.rows_read else 0.0
    cards = [
        (f"{summary.scored:,}", "enterprises scored"),
        (f"{summary.in_pool:,}", f"in the pool ({share:.0%})"),
        (f"{summary.total_limit_wan:,.0f}", "credit exposure, 万元"),
        (f"{summary.enterprises_with_credit:,}", "enterprises with a limit"),
        (f"{rate:.2%}", "rows quarantined (all drops to date)"),
    ]
    return (
        '<section class="kpis">'
        + "".join(
            f'<div class="kpi"><b>{_esc(v)}</b><span>{_esc(k)}</span></div>' for v, k in cards
        )
        + "</section>"
    )


def _tier_section(inputs: PoolReportInputs) -> str:
    counts = tier_counts(inputs.scorecard)
    rows = [
        (
            stage,
            [
                float(n)
                for n in counts.filter(pl.col("life_stage") == stage)["enterprises"].to_list()
            ],
        )
        for stage in STAGES
    ]
    chart = svg.stacked_bars(
        rows, svg.palette(GRADES, GRADE_COLORS), "Pool enterprises by life stage and grade"
    )
    table_rows = [
        [_esc(stage), *(f"{int(v):,}" for v in values), f"{int(sum(values)):,}"]
        for stage, values in rows
    ]
    table = _table(["life stage", *GRADES, "total"], table_rows, {1, 2, 3, 4, 5})
    return (
        "<h2>Tier distribution by stage</h2>"
        f'<div class="card">{chart}</div><div class="card">{table}</div>'
    )


def _score_section(inputs: PoolReportInputs) -> str:
    edges = [float(i * 10) for i in range(11)]
    charts = []
    for dimension in DIMENSIONS:
        if dimension not in inputs.scorecard.columns:
            continue
        counts = score_histogram(inputs.scorecard[dimension])
        color = "#3b6ea8" if dimension == "composite" else "#7f9cc0"
        charts.append(
            f'<div class="card">'
            f"{svg.histogram(counts, edges, DIMENSION_LABELS[dimension], color)}</div>"
        )
    means = [
        [
            _esc(DIMENSION_LABELS[d]),
            _fmt(_stat(inputs.scorecard[d], "mean")),
            _fmt(_stat(inputs.scorecard[d], "median")),
            _fmt(_stat(in_pool(inputs.scorecard)[d], "mean")),
        ]
        for d in DIMENSIONS
        if d in inputs.scorecard.columns and inputs.scorecard.height
    ]
    table = _table(["score", "mean", "median", "mean in pool"], means, {1, 2, 3})
    return (
        "<h2>Score distributions</h2>"
        "<p class='sub'>Every scored enterprise, 0–100, bins of 10 points.</p>"
        f'<div class="grid">{"".join(charts)}</div><div class="card">{table}</div>'
    )


def _movers_table(frame: pl.DataFrame) -> str:
    rows = []
    for name, code, before, after, change, t0, t1 in frame.select(
        "name",
        "credit_code",
        "from_composite",
        "composite",
        "composite_change",
        "from_tier",
        "tier",
    ).iter_rows():
        css = "up" if change > 0 else "down"
        rows.append(
            [
                _esc(name or code),
                _esc(code),
                _fmt(before),
                _fmt(after),
                f'<span class="{css}">{change:+.1f}</span>',
                f"{_esc(t0 or '—')} → {_esc(t1 or '—')}",
            ]
        )
    return _table(["enterprise", "credit code", "before", "now", "change", "tier"], rows, {2, 3, 4})


def _movers_section(inputs: PoolReportInputs) -> str:
    head = "<h2>Biggest movers</h2>"
    if inputs.previous is None or inputs.previous_as_of is None:
        return head + '<p class="empty">No earlier as-of date to compare with yet.</p>'
    moved = movers(inputs.scorecard, inputs.previous)
    gainers = moved.filter(pl.col("composite_change") > 0).reverse().head(MOVER_ROWS)
    decliners = moved.filter(pl.col("composite_change") < 0).head(MOVER_ROWS)
    summary = _table(
        ["pool move", "enterprises"],
        [
            [_esc(change.replace("_", " ")), f"{inputs.tier_moves.get(change, 0):,}"]
            for change in CHANGES
        ],
        {1},
    )
    days = (inputs.as_of - inputs.previous_as_of).days
    return (
        head + f"<p class='sub'>Composite change since {inputs.previous_as_of.isoformat()} "
        f"({days} days earlier), enterprises scored on both dates.</p>"
        + f'<div class="card">{summary}</div>'
        + "<h3>Largest gains</h3>"
        + _movers_table(gainers)
        + "<h3>Largest falls</h3>"
        + _movers_table(decliners)
    )


def _region_name(code: str | None, names: Mapping[str, str]) -> str:
    if code is None:
        return "unknown region"
    return f"{names.get(code, code)} ({code})"


def _credit_section(inputs: PoolReportInputs) -> str:
    head = "<h2>Credit by product and region</h2>"
    credit = inputs.credit
    if credit.height == 0:
        return head + '<p class="empty">No credit limits for this date.</p>'
    by_product = (
        credit.group_by("product")
        .agg(pl.col("total_limit_wan").sum(), pl.col("enterprises_with_limit").sum())
        .sort(["total_limit_wan", "product"], descending=[True, False])
    )
    chart = svg.bars(
        [
            (PRODUCT_LABELS.get(p, p), float(v or 0))
            for p, v in by_product.select("product", "total_limit_wan").iter_rows()
        ],
        "Credit limits by product, 万元",
        "#3b6ea8",
        " 万元",
    )
    by_region = (
        credit.group_by("prefecture_code", "product")
        .agg(pl.col("total_limit_wan").sum())
        .pivot(on="product", index="prefecture_code", values="total_limit_wan")
        .fill_null(0.0)
    )
    products = [p for p in by_product["product"].to_list() if p in by_region.columns]
    by_region = (
        by_region.with_columns(pl.sum_horizontal(products).alias("total"))
        .sort(["total", "prefecture_code"], descending=[True, False])
        .head(REGION_ROWS)
    )
    rows = [
        [
            _esc(_region_name(row["prefecture_code"], inputs.region_names)),
            *(_fmt(row[p], 0) for p in products),
            _fmt(row["total"], 0),
        ]
        for row in by_region.iter_rows(named=True)
    ]
    numeric = set(range(1, len(products) + 2))
    table = _table(["prefecture", *products, "total"], rows, numeric)
    return (
        head
        + f'<div class="card">{chart}</div>'
        + f"<h3>Top {REGION_ROWS} prefectures by exposure (万元)</h3>{table}"
    )


def _validation_section(inputs: PoolReportInputs) -> str:
    head = "<h2>Model validation</h2>"
    rows = inputs.validation
    if rows.height == 0:
        return head + '<p class="empty">No validation figures for this date.</p>'
    parts = [head]
    backtest = rows.filter((pl.col("section") == "backtest") & (pl.col("metric") == "auc"))
    # Events per outcome (the same for every model scored on it), for the verdicts
    # `capscore validate` gives: an AUC on too few events, a grade order without any.
    events = {
        r["outcome"]: int(r["value"])
        for r in rows.filter(
            (pl.col("section") == "backtest") & (pl.col("metric") == "events")
        ).iter_rows(named=True)
        if r["value"] is not None
    }
    if backtest.height:
        reference = rows["reference_date"].drop_nulls()
        since = f" (scores as of {reference[0]}, outcomes since)" if reference.len() else ""
        table = backtest.pivot(on="subject", index="outcome", values="value")
        models = [c for c in table.columns if c != "outcome"]
        parts.append(f"<p class='sub'>Out-of-time AUC{_esc(since)}; 0.5 is chance.</p>")
        parts.append(
            _table(
                ["outcome", *models, "events", ""],
                [
                    [
                        _esc(r["outcome"]),
                        *(_fmt(r[m], 3) for m in models),
                        _fmt(events.get(r["outcome"]), 0),
                        TOO_FEW_EVENTS if too_few_events(events.get(r["outcome"])) else "",
                    ]
                    for r in table.iter_rows(named=True)
                ],
                set(range(1, len(models) + 2)),
            )
        )
    else:
        parts.append(f"<p class='sub'>{_esc(no_backtest_note(inputs.as_of))}.</p>")
    # The grade order rests on the pool members' events (validations written before
    # they were kept fall back to the backtest's count).
    grade_order_events = events | {
        r["outcome"]: int(r["value"])
        for r in rows.filter(
            (pl.col("section") == "grade_rates") & (pl.col("metric") == "events")
        ).iter_rows(named=True)
        if r["value"] is not None
    }
    monotone = rows.filter(pl.col("metric") == "monotone")
    if monotone.height:
        inversions = {
            r["outcome"]: int(r["value"])
            for r in rows.filter(pl.col("metric") == "significant_inversions").iter_rows(named=True)
        }
        text = ", ".join(
            f"{r['outcome']}: "
            + monotone_verdict(
                bool(r["value"]),
                inversions.get(r["outcome"], 0),
                # An outcome the backtest did not count is taken as assessed.
                grade_order_events.get(r["outcome"], -1),
            )
            for r in monotone.iter_rows(named=True)
        )
        parts.append(f"<p>Outcome rate by grade, A to D: {_esc(text)}.</p>")
    truth = rows.filter((pl.col("section") == "truth") & (pl.col("metric") == "spearman"))
    if truth.height:
        found = dict(zip(truth["subject"].to_list(), truth["value"].to_list(), strict=True))
        parts.append(
            "<p>Against the generator's true capability (Spearman): composite "
            f"{_fmt(found.get('composite'), 3)}, oracle {_fmt(found.get('oracle'), 3)} "
            f"(with age and industry {_fmt(found.get('oracle_with_context'), 3)}), "
            f"patent count {_fmt(found.get('baseline:patent_count'), 3)}.</p>"
        )
    stability = rows.filter(pl.col("section") == "stability")
    if stability.height and stability["value"].drop_nulls().is_empty():
        # Every PSI withheld: too few firms to tell a shift from chance (psi_table).
        parts.append(f"<p>Stability: {NOT_ENOUGH_VERDICT}.</p>")
    elif stability.height:
        worst = stability.sort("value", descending=True, nulls_last=True).row(0, named=True)
        parts.append(
            f"<p>Stability: largest PSI {_fmt(worst['value'], 3)} ({_esc(worst['subject'])} "
            f"against the {_esc(str(worst['outcome']).replace('_', ' '))}); above 0.25 calls "
            "for action.</p>"
        )
    return "".join(parts)


def _quality_section(inputs: PoolReportInputs) -> str:
    head = "<h2>Data quality</h2>"
    quality = inputs.quality
    if quality.height == 0:
        return head + '<p class="empty">No drops have landed yet.</p>'
    by_source = (
        quality.group_by("source")
        .agg(
            pl.len().alias("drops"),
            pl.col("files").sum(),
            pl.col("files_rejected").sum(),
            pl.col("rows_read").sum(),
            pl.col("rows_loaded").sum(),
            pl.col("rows_quarantined").sum(),
            pl.col("partition_date").max().alias("last_drop"),
        )
        .sort("source")
    )
    rows = [
        [
            _esc(r["source"]),
            f"{r['drops']:,}",
            f"{r['files']:,}",
            f"{r['files_rejected']:,}",
            f"{r['rows_read']:,}",
            f"{r['rows_loaded']:,}",
            f"{r['rows_quarantined']:,}",
            f"{(r['rows_quarantined'] / r['rows_read'] if r['rows_read'] else 0):.2%}",
            _esc(r["last_drop"]),
        ]
        for r in by_source.iter_rows(named=True)
    ]
    table = _table(
        [
            "source",
            "drops",
            "files",
            "rejected files",
            "rows read",
            "loaded",
            "quarantined",
            "rate",
            "last drop",
        ],
        rows,
        {1, 2, 3, 4, 5, 6, 7},
    )
    rules = (
        inputs.rules.group_by("rule")
        .agg(pl.col("rows").sum())
        .sort(["rows", "rule"], descending=[True, False])
        if inputs.rules.height
        else pl.DataFrame({"rule": [], "rows": []})
    )
    chart = (
        svg.bars(
            [(r, float(n)) for r, n in rules.select("rule", "rows").iter_rows()],
            "Quarantine entries by rule (a rejected file counts once)",
            "#c8553d",
        )
        if rules.height
        else '<p class="empty">No row was quarantined.</p>'
    )
    return (
        head
        + "<p class='sub'>Every drop landed on or before this date.</p>"
        + f'<div class="card">{table}</div><h3>Quarantine reasons</h3><div class="card">{chart}</div>'
    )


def render_pool_report(inputs: PoolReportInputs) -> str:
    """The whole page; same inputs, same bytes."""
    summary = summarize(inputs)
    versions = sorted(
        {
            v
            for v in inputs.scorecard.get_column("model_version", default=pl.Series([])).to_list()
            if v
        }
    )
    day = inputs.as_of.isoformat()
    body = "".join(
        [
            f"<h1>科创企业培育库 · Cultivation pool report</h1>"
            f"<p class='sub'>As of {day} — point in time: only what was knowable on that day."
            f"{' Scoring model ' + _esc(', '.join(versions)) + '.' if versions else ''}</p>",
            _kpis(summary),
            _tier_section(inputs),
            _score_section(inputs),
            _movers_section(inputs),
            _credit_section(inputs),
            _validation_section(inputs),
            _quality_section(inputs),
            "<footer>Generated by capscore from the published warehouse (mart views). "
            "Self-contained: no script, no external resource.</footer>",
        ]
    )
    return (
        "<!doctype html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>capscore pool report {day}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
