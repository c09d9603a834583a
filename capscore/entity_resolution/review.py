"""The review loop: reviewer decisions override the model on every later run.

Decisions live in `<data root>/review/decisions.csv` with columns `mention_key`
(`<application_number>#<position>` or `<file>#<row_number>`, as in
er.review_queue) and `credit_code` (the enterprise, or `no match`). The last
line for a mention wins. They can also be added to the training pairs
(training.py), so the model learns from them at the next retrain.
"""

from __future__ import annotations

import polars as pl

NO_MATCH = "no match"
DECISIONS_FILE = "decisions.csv"
DECISION_SCHEMA = {"mention_key": pl.String, "credit_code": pl.String}


class DecisionsError(ValueError):
    """decisions.csv cannot be used as written."""


def normalize_decisions(raw: pl.DataFrame) -> pl.DataFrame:
    """mention_key, credit_code (null = no match), one row per mention (last wins)."""
    missing = [c for c in DECISION_SCHEMA if c not in raw.columns]
    if missing:
        raise DecisionsError(
            f"review decisions need columns {list(DECISION_SCHEMA)}; missing {missing}"
        )
    code = pl.col("credit_code").cast(pl.String).str.strip_chars()
    no_match = code.str.to_lowercase().is_in([NO_MATCH, "no_match", "none", ""]) | code.is_null()
    return (
        raw.select(
            pl.col("mention_key").cast(pl.String).str.strip_chars(),
            pl.when(no_match).then(None).otherwise(code.str.to_uppercase()).alias("credit_code"),
        )
        .filter(pl.col("mention_key").fill_null("") != "")
        .unique(subset=["mention_key"], keep="last", maintain_order=True)
    )


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
    in the explanation.
    """
    if decisions is None or decisions.height == 0:
        return links
    reviewed = normalize_decisions(decisions).rename({"credit_code": "_chosen"})
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
    is_reviewed = pl.col("mention_key").is_in(reviewed["mention_key"].implode())
    chose = pl.col("_chosen").is_not_null()
    said = (
        pl.when(chose)
        .then(
            pl.lit("reviewer decision: ")
            + pl.coalesce(pl.col("_chosen_name"), pl.lit("(not in the registry as of this date)"))
            + " ("
            + pl.col("_chosen")
            + ")"
        )
        .otherwise(pl.lit("reviewer decision: no match"))
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
        .otherwise(pl.col("decision"))
        .alias("decision"),
        pl.when(is_reviewed)
        .then(said + "; model: " + pl.col("explanation"))
        .otherwise(pl.col("explanation"))
        .alias("explanation"),
        pl.when(is_reviewed).then(None).otherwise(pl.col("top_candidates")).alias("top_candidates"),
        pl.when(is_reviewed)
        .then(pl.lit("reviewer"))
        .otherwise(pl.col("decided_by"))
        .alias("decided_by"),
    ).select(links.columns)
