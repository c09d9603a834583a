"""The review loop: reviewer decisions override the model from the day they were made.

Decisions live in `<data root>/review/decisions.csv` with columns `mention_key`
(`<application_number>#<position>` or `<file>#<row_number>`, as in
er.review_queue), `credit_code` (the enterprise, or `no match`), `decided_at`
(ISO date) and `reviewer`. A decision applies to as-of dates on or after
`decided_at` only, so a backfill of an earlier date gives exactly the rows its
nightly run gave; among the decisions that apply on a date, the latest
`decided_at` (then the later line) wins for a mention. They can also be added
to the training pairs (training.py), so the model learns from them at the next
retrain.
"""

from __future__ import annotations

from datetime import date

import polars as pl

NO_MATCH = "no match"
DECISIONS_FILE = "decisions.csv"
DECISION_COLUMNS = ("mention_key", "credit_code", "decided_at", "reviewer")
DECISION_SCHEMA = {
    "mention_key": pl.String,
    "credit_code": pl.String,
    "decided_at": pl.Date,
    "reviewer": pl.String,
}


class DecisionsError(ValueError):
    """decisions.csv cannot be used as written."""


def normalize_decisions(raw: pl.DataFrame) -> pl.DataFrame:
    """DECISION_SCHEMA rows in file order (credit_code null = no match); every line must
    name a mention and carry a valid decided_at, else DecisionsError names the lines."""
    missing = [c for c in DECISION_COLUMNS if c not in raw.columns]
    if missing:
        raise DecisionsError(
            f"review decisions need columns {list(DECISION_COLUMNS)}; missing {missing}"
        )
    code = pl.col("credit_code").cast(pl.String).str.strip_chars()
    no_match = code.str.to_lowercase().is_in([NO_MATCH, "no_match", "none", ""]) | code.is_null()
    rows = raw.with_row_index("_line", offset=2).select(
        "_line",
        pl.col("mention_key").cast(pl.String).str.strip_chars(),
        pl.when(no_match).then(None).otherwise(code.str.to_uppercase()).alias("credit_code"),
        pl.col("decided_at")
        .cast(pl.String)
        .str.strip_chars()
        .str.to_date("%Y-%m-%d", strict=False)
        .alias("decided_at"),
        pl.col("decided_at").cast(pl.String).alias("_decided_text"),
        pl.col("reviewer").cast(pl.String).str.strip_chars(),
    )
    bad = rows.filter(pl.col("decided_at").is_null() | (pl.col("mention_key").fill_null("") == ""))
    if bad.height:
        shown = ", ".join(
            f"line {r['_line']} (mention {r['mention_key']!r}, decided_at {r['_decided_text']!r})"
            for r in bad.head(5).iter_rows(named=True)
        )
        raise DecisionsError(
            f"{bad.height} review decision(s) without a mention_key or an ISO decided_at "
            f"(YYYY-MM-DD): {shown}"
        )
    return rows.select(list(DECISION_SCHEMA))


def decisions_as_of(decisions: pl.DataFrame | None, day: date) -> pl.DataFrame | None:
    """The decisions that apply on `day` (decided_at <= day), one per mention: the latest
    decided_at, then the later line, wins. None when none applies."""
    if decisions is None:
        return None
    applying = (
        decisions.with_row_index("_order")
        .filter(pl.col("decided_at") <= day)
        .sort("decided_at", "_order")
        .unique(subset=["mention_key"], keep="last", maintain_order=True)
        .drop("_order")
    )
    return applying if applying.height else None


def apply_decisions(
    links: pl.DataFrame,
    candidates: pl.DataFrame | None,
    enterprises: pl.DataFrame,
    decisions: pl.DataFrame | None,
) -> pl.DataFrame:
    """`links` (resolve.RESULT_COLUMNS) with reviewer decisions taking precedence.

    A reviewed link is `matched` (probability 1) or `unmatched` (0), decided_by
    `reviewer`; its method is how the model had found that enterprise, or `none`
    when the reviewer chose one the model never proposed. The model's view stays
    in the explanation. A decision naming a credit code the registry does not hold
    as of the date is not applied: the model's link stays, sent to `review`.
    """
    if decisions is None or decisions.height == 0:
        return links
    reviewed = decisions.select("mention_key", pl.col("credit_code").alias("_chosen")).unique(
        subset=["mention_key"], keep="last", maintain_order=True
    )
    joined = links.join(reviewed, on="mention_key", how="left")
    if candidates is not None:
        found = candidates.select(
            "mention_key",
            pl.col("credit_code").alias("_chosen"),
            pl.col("method").alias("_found_by"),
        )
        joined = joined.join(found, on=["mention_key", "_chosen"], how="left")
    else:
        joined = joined.with_columns(pl.lit(None, dtype=pl.String).alias("_found_by"))
    names = enterprises.select(
        pl.col("credit_code").alias("_chosen"), pl.col("name").alias("_chosen_name")
    )
    joined = joined.join(names, on="_chosen", how="left")
    chose = pl.col("_chosen").is_not_null()
    # A firm not in the registry as of the date cannot be linked to: the decision waits
    # (it applies from the date the firm is registered on) and the mention goes to
    # review with the model's link, saying why.
    unregistered = chose & pl.col("_chosen_name").is_null()
    decided = pl.col("mention_key").is_in(reviewed["mention_key"].implode())
    is_reviewed, waiting = decided & ~unregistered, decided & unregistered
    said = (
        pl.when(chose)
        .then(
            pl.lit("reviewer decision: ") + pl.col("_chosen_name") + " (" + pl.col("_chosen") + ")"
        )
        .otherwise(pl.lit("reviewer decision: no match"))
    )
    not_applied = (
        pl.lit("reviewer decision names ")
        + pl.col("_chosen")
        + ", not in the registry as of this date: not applied; "
    )
    return joined.with_columns(
        pl.when(is_reviewed)
        .then(pl.col("_chosen"))
        .otherwise(pl.col("credit_code"))
        .alias("credit_code"),
        pl.when(is_reviewed)
        .then(pl.when(chose).then(1.0).otherwise(0.0))
        .otherwise(pl.col("match_probability"))
        .alias("match_probability"),
        pl.when(is_reviewed)
        .then(
            pl.when(chose).then(pl.coalesce("_found_by", pl.lit("none"))).otherwise(pl.lit("none"))
        )
        .otherwise(pl.col("method"))
        .alias("method"),
        pl.when(is_reviewed)
        .then(pl.when(chose).then(pl.lit("matched")).otherwise(pl.lit("unmatched")))
        .when(waiting)
        .then(pl.lit("review"))
        .otherwise(pl.col("decision"))
        .alias("decision"),
        pl.when(is_reviewed)
        .then(said + "; model: " + pl.col("explanation"))
        .when(waiting)
        .then(not_applied + "model: " + pl.col("explanation"))
        .otherwise(pl.col("explanation"))
        .alias("explanation"),
        pl.when(is_reviewed).then(None).otherwise(pl.col("top_candidates")).alias("top_candidates"),
        pl.when(is_reviewed)
        .then(pl.lit("reviewer"))
        .otherwise(pl.col("decided_by"))
        .alias("decided_by"),
    ).select(links.columns)
