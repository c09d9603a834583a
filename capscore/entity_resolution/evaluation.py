"""Entity-resolution quality against ground truth (pure; the truth files of sample_data).

Pairwise: a predicted pair is a `matched` link (mention, credit_code); a true
pair is a truth row with a credit code. Precision = correct predicted pairs /
predicted pairs, recall = correct predicted pairs / true pairs. Also: recall by
noise kind, the false-match rate on mentions that are no registry enterprise
(universities, individuals, foreign and look-alike firms), and the share of
mentions sent to review. Hard negatives are the generator's look-alike firms
(noise `lookalike`: one element away from a registered name, not registered);
English names are its `english` and `pinyin` kinds.

A stricter match threshold trades recall for fewer false matches:
`threshold_tradeoff` recomputes the headline numbers as if the model's matches
below each threshold had gone to review, so that whoever owns the risk can see
the price of a target before moving the threshold in model/config.yaml.
"""

from __future__ import annotations

from typing import Any

import polars as pl

# Issue 12's targets (entity resolution v3).
TARGETS = {
    "applicant_precision": (">=", 0.995),
    "applicant_recall": (">=", 0.985),
    "applicant_review_share": ("<=", 0.02),
    "applicant_false_match_rate": ("<=", 0.005),
    "hard_negative_false_match_rate": ("<=", 0.005),
    "english_name_recall": (">=", 0.90),
}
HARD_NEGATIVE = "lookalike"
ENGLISH_NAMES = ("english", "pinyin")
TRADEOFF_THRESHOLDS = (0.95, 0.97, 0.98, 0.99)


def applicant_truth(raw: pl.DataFrame) -> pl.DataFrame:
    """truth/applicant_links.csv as mention_key, credit_code (null = none), applicant_kind, noise."""
    return raw.select(
        (pl.col("application_number") + "#" + pl.col("applicant_position").cast(pl.String)).alias(
            "mention_key"
        ),
        pl.when(pl.col("credit_code").fill_null("") != "")
        .then(pl.col("credit_code"))
        .alias("credit_code"),
        pl.col("applicant_kind").cast(pl.String).alias("true_kind"),
        pl.col("noise").cast(pl.String),
    )


def rd_truth(raw: pl.DataFrame) -> pl.DataFrame:
    """truth/rd_links.csv as mention_key, credit_code, noise (code_noise/name_noise)."""
    return raw.select(
        (pl.col("file") + "#" + pl.col("row_number").cast(pl.String)).alias("mention_key"),
        pl.when(pl.col("credit_code").fill_null("") != "")
        .then(pl.col("credit_code"))
        .alias("credit_code"),
        pl.col("code_noise").cast(pl.String),
        pl.col("name_noise").cast(pl.String),
        (pl.col("code_noise").cast(pl.String) + "/" + pl.col("name_noise").cast(pl.String)).alias(
            "noise"
        ),
    )


def _safe(num: float, den: float) -> float | None:
    return round(num / den, 6) if den else None


def _against(links: pl.DataFrame, truth: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """The mentions in both, with the link's credit code as `_pred`, its decision and
    `columns` of it beside the truth's."""
    return links.select(
        "mention_key", pl.col("credit_code").alias("_pred"), "decision", *columns
    ).join(truth, on="mention_key", how="inner")


def pairwise(links: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """Precision, recall, F1 of `matched` links against truth, over the mentions in both."""
    return _pairwise(_against(links, truth))


def _pairwise(joined: pl.DataFrame) -> dict[str, Any]:
    """pairwise of the links `_against` the truth."""
    matched = pl.col("decision") == "matched"
    correct = matched & (pl.col("_pred") == pl.col("credit_code")).fill_null(False)
    counts = joined.select(
        matched.sum().alias("predicted"),
        pl.col("credit_code").is_not_null().sum().alias("true"),
        correct.sum().alias("correct"),
        (pl.col("decision") == "review").sum().alias("review"),
        (matched & pl.col("credit_code").is_null()).sum().alias("false_on_non_registry"),
        pl.col("credit_code").is_null().sum().alias("non_registry"),
        pl.len().alias("mentions"),
    ).row(0, named=True)
    hard = pl.col("noise") == HARD_NEGATIVE
    english = pl.col("noise").is_in(ENGLISH_NAMES) & pl.col("credit_code").is_not_null()
    tail = joined.select(
        _mean_or_none(matched.filter(hard)).alias("hard_negative_false_match_rate"),
        _mean_or_none(correct.filter(english)).alias("english_name_recall"),
    ).row(0, named=True)
    precision = _safe(counts["correct"], counts["predicted"])
    recall = _safe(counts["correct"], counts["true"])
    f1 = (
        round(2 * precision * recall / (precision + recall), 6)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    by_noise = (
        joined.filter(pl.col("credit_code").is_not_null())
        .group_by("noise")
        .agg(
            pl.len().alias("mentions"),
            correct.mean().round(4).alias("recall"),
            (pl.col("decision") == "review").mean().round(4).alias("review_share"),
        )
        .sort("noise")
    )
    non_registry = (
        joined.filter(pl.col("credit_code").is_null())
        .group_by("noise")
        .agg(
            pl.len().alias("mentions"),
            matched.mean().round(4).alias("false_match_rate"),
            (pl.col("decision") == "review").mean().round(4).alias("review_share"),
        )
        .sort("noise")
    )
    return {
        **counts,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "review_share": _safe(counts["review"], counts["mentions"]),
        "false_match_rate": _safe(counts["false_on_non_registry"], counts["non_registry"]),
        **tail,
        "by_noise": by_noise.to_dicts(),
        "non_registry_by_noise": non_registry.to_dicts(),
    }


def _mean_or_none(flags: pl.Expr) -> pl.Expr:
    """The share of true flags, rounded; null when there are none to count."""
    return pl.when(flags.len() > 0).then(flags.mean().round(6))


def threshold_tradeoff(
    links: pl.DataFrame, truth: pl.DataFrame, thresholds: tuple[float, ...] = TRADEOFF_THRESHOLDS
) -> pl.DataFrame:
    """Per threshold: precision, recall, review share and false-match rates had the
    model's matches below it gone to review (a reviewer's decisions stand)."""
    rows = []
    for threshold in thresholds:
        demoted = (
            (pl.col("decision") == "matched")
            & (pl.col("decided_by") == "model")
            & (pl.col("match_probability") < threshold)
        )
        stricter = links.with_columns(
            pl.when(demoted).then(pl.lit("review")).otherwise(pl.col("decision")).alias("decision")
        )
        result = pairwise(stricter, truth)
        rows.append(
            {
                "match_threshold": threshold,
                **{
                    k: result[k]
                    for k in (
                        "precision",
                        "recall",
                        "review_share",
                        "false_match_rate",
                        "hard_negative_false_match_rate",
                    )
                },
            }
        )
    return pl.DataFrame(rows)


def _kind_accuracy(joined: pl.DataFrame) -> dict[str, Any]:
    """How often the links' applicant_kind (`_against` the truth) is the true one."""
    confusion = (
        joined.group_by("true_kind", "applicant_kind").len().sort("true_kind", "applicant_kind")
    )
    right = joined.filter(pl.col("true_kind") == pl.col("applicant_kind")).height
    return {"kind_accuracy": _safe(right, joined.height), "kind_confusion": confusion.to_dicts()}


def evaluate_links(
    applicant_links: pl.DataFrame | None,
    rd_links: pl.DataFrame | None,
    applicant_truth_raw: pl.DataFrame | None,
    rd_truth_raw: pl.DataFrame | None,
) -> dict[str, Any]:
    """All metrics, plus `targets`: each issue target with its value and whether it is met."""
    report: dict[str, Any] = {}
    if applicant_links is not None and applicant_truth_raw is not None:
        joined = _against(applicant_links, applicant_truth(applicant_truth_raw), "applicant_kind")
        report["applicant"] = _pairwise(joined) | _kind_accuracy(joined)
    if rd_links is not None and rd_truth_raw is not None:
        joined = _against(rd_links, rd_truth(rd_truth_raw))
        report["rd"] = _pairwise(joined)
        report["rd"]["by_code_noise"] = (
            joined.filter(pl.col("credit_code").is_not_null())
            .group_by("code_noise")
            .agg(
                pl.len().alias("filings"),
                ((pl.col("decision") == "matched") & (pl.col("_pred") == pl.col("credit_code")))
                .mean()
                .round(4)
                .alias("recall"),
            )
            .sort("code_noise")
            .to_dicts()
        )
    if "applicant" in report:
        a = report["applicant"]
        values = {
            "applicant_precision": a["precision"],
            "applicant_recall": a["recall"],
            "applicant_review_share": a["review_share"],
            "applicant_false_match_rate": a["false_match_rate"],
            "hard_negative_false_match_rate": a["hard_negative_false_match_rate"],
            "english_name_recall": a["english_name_recall"],
        }
        report["targets"] = {
            name: {
                "value": values[name],
                "target": f"{op} {bound}",
                "met": values[name] is not None
                and (values[name] >= bound if op == ">=" else values[name] <= bound),
            }
            for name, (op, bound) in TARGETS.items()
        }
    return report


def summary_rows(report: dict[str, Any]) -> pl.DataFrame:
    """One row per link table: the headline numbers (for UI metadata and the CLI)."""
    rows = [
        {
            "links": name,
            "mentions": part["mentions"],
            "precision": part["precision"],
            "recall": part["recall"],
            "f1": part["f1"],
            "review_share": part["review_share"],
            "false_match_rate": part["false_match_rate"],
        }
        for name, part in report.items()
        if name in ("applicant", "rd")
    ]
    return pl.DataFrame(rows)


def report_text(report: dict[str, Any]) -> str:
    """The report as plain text tables."""
    lines: list[str] = []
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        fmt_str_lengths=60,
    ):
        lines.append(str(summary_rows(report)))
        for name in ("applicant", "rd"):
            if name not in report:
                continue
            lines.append(f"\n{name} recall by noise kind")
            lines.append(str(pl.DataFrame(report[name]["by_noise"])))
            if report[name]["non_registry_by_noise"]:
                lines.append(f"\n{name} mentions of no registry enterprise")
                lines.append(str(pl.DataFrame(report[name]["non_registry_by_noise"])))
        if "rd" in report:
            lines.append("\nrd recall by credit-code noise")
            lines.append(str(pl.DataFrame(report["rd"]["by_code_noise"])))
        if "applicant" in report:
            lines.append(f"\napplicant kind accuracy: {report['applicant']['kind_accuracy']}")
        if "threshold_tradeoff" in report.get("applicant", {}):
            lines.append(
                "\napplicant links had the model's matches below a stricter threshold"
                " gone to review (model/config.yaml `thresholds.match`)"
            )
            lines.append(str(pl.DataFrame(report["applicant"]["threshold_tradeoff"])))
        if "targets" in report:
            lines.append("\ntargets")
            for name, t in report["targets"].items():
                lines.append(
                    f"  {name:<31} {t['value']!s:<10} {t['target']:<9} {'met' if t['met'] else 'NOT MET'}"
                )
    return "\n".join(lines)
