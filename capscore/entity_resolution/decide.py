"""From scored candidate pairs to one decision per mention, with its explanation.

At most one enterprise per mention: the most probable candidate, its
probability renormalized over all candidates of the mention. It is `matched`
at or above the match threshold unless a second enterprise is at or above the
rival threshold (two plausible firms: a person decides), `review` at or above
the review threshold, `unmatched` below.
"""

from __future__ import annotations

import polars as pl

from capscore.entity_resolution.model import Comparison, MatchModel, comparisons
from capscore.entity_resolution.sorted_runs import rank_in_run

TOP_CANDIDATES = 3
CANDIDATE_STRUCT = pl.Struct(
    {"credit_code": pl.String, "name": pl.String, "probability": pl.Float64}
)
EXPLAIN_LEVELS = 3
MAX_PAIR_PROBABILITY = 1.0 - 1e-9
# Levels that barely move the score are noise in an explanation.
MIN_EXPLAINED_WEIGHT = 0.25


def best_per_enterprise(scored: pl.DataFrame) -> pl.DataFrame:
    """One row per (mention_key, credit_code): the name variant with the highest
    probability, its pair probability renormalized over the mention's candidates.

    The model scores each pair on its own; a mention names at most one
    enterprise, so the candidates compete: with pair odds oᵢ = pᵢ/(1−pᵢ),
    match_probability = oᵢ / (1 + Σⱼ oⱼ), the 1 standing for "none of them".
    Two firms that both fit well split the probability (and go to review); a
    weak second candidate barely dents a strong first.
    """
    best = scored.sort(
        ["mention_key", "credit_code", "match_probability", "registry_name"],
        descending=[False, False, True, False],
    ).unique(subset=["mention_key", "credit_code"], keep="first", maintain_order=True)
    p = pl.col("match_probability").clip(0.0, MAX_PAIR_PROBABILITY)
    odds = p / (1.0 - p)
    # Float addition is not associative: the odds are added one by one in ascending
    # order, so that the last bit never depends on the order the candidates arrived in.
    total = odds.sort().cum_sum().last().over("mention_key")
    return best.with_columns(
        pl.col("match_probability").alias("pair_probability"),
        (odds / (1.0 + total)).alias("match_probability"),
    )


def decide(best: pl.DataFrame, model: MatchModel) -> pl.DataFrame:
    """One row per mention_key that has candidates: the top candidate's row plus
    decision, second_probability, second_name and, for review decisions,
    top_candidates (the best TOP_CANDIDATES)."""
    t = model.thresholds
    ranked = best.sort(
        ["mention_key", "match_probability", "credit_code"], descending=[False, True, False]
    ).with_columns(rank_in_run("mention_key").alias("_rank"))
    second = ranked.filter(pl.col("_rank") == 1).select(
        "mention_key",
        pl.col("match_probability").alias("second_probability"),
        pl.col("enterprise_name").alias("second_name"),
    )
    p = pl.col("match_probability")
    rival = pl.col("second_probability").fill_null(0.0) >= t.rival
    decided = (
        ranked.filter(pl.col("_rank") == 0)
        .join(second, on="mention_key", how="left")
        .with_columns(
            pl.when((p >= t.match) & ~rival)
            .then(pl.lit("matched"))
            .when(p >= t.review)
            .then(pl.lit("review"))
            .otherwise(pl.lit("unmatched"))
            .alias("decision")
        )
    )
    reviewed = decided.filter(pl.col("decision") == "review").select("mention_key")
    top = (
        ranked.filter(pl.col("_rank") < TOP_CANDIDATES)
        .join(reviewed, on="mention_key", how="semi")
        .group_by("mention_key")
        .agg(
            pl.struct(
                pl.col("credit_code"),
                pl.col("enterprise_name").alias("name"),
                pl.col("match_probability").alias("probability"),
            )
            .sort_by(pl.col("_rank"))
            .alias("top_candidates")
        )
    )
    return decided.join(top, on="mention_key", how="left").drop("_rank")


def _signed(weight: pl.Expr) -> pl.Expr:
    return pl.when(weight >= 0).then(pl.lit("+")).otherwise(pl.lit("−")) + weight.abs().round(
        1
    ).cast(pl.String)


def evidence_text(model: MatchModel, specs: tuple[Comparison, ...] | None = None) -> pl.Expr:
    """The EXPLAIN_LEVELS levels that moved the score most, as 'text (±weight)'
    (weights are log-odds relative to each comparison's reference level)."""
    items = []
    for c in specs or comparisons():
        idx = pl.col(c.column)
        weight = idx.replace_strict(
            {i: model.weight_of(c, i) for i in range(len(c.levels))}, return_dtype=pl.Float64
        )
        text = idx.replace_strict(
            {i: lv.text for i, lv in enumerate(c.levels)}, return_dtype=pl.String
        )
        items.append(pl.struct(weight.alias("w"), (text + " (" + _signed(weight) + ")").alias("t")))
    strongest = (
        pl.concat_list(items)
        .list.eval(
            pl.element().filter(pl.element().struct.field("w").abs() >= MIN_EXPLAINED_WEIGHT)
        )
        # Stable: levels that move the score equally keep the comparisons' order.
        .list.eval(
            pl.element().sort_by(
                pl.element().struct.field("w").abs(), descending=True, maintain_order=True
            )
        )
        .list.head(EXPLAIN_LEVELS)
        .list.eval(pl.element().struct.field("t"))
        .list.join("; ")
    )
    return strongest.replace("", "nothing notable for or against")


def explanation(decided: pl.DataFrame, model: MatchModel) -> pl.Series:
    """A sentence a reviewer understands per decided row: verdict, candidate,
    probability, method, the levels that moved the score most, and the runner-up."""
    specs = comparisons()
    levels = [c.column for c in specs]
    # The evidence depends on the level vector only: worded once per distinct vector.
    evidence = (
        decided.select(levels).unique().with_columns(evidence_text(model, specs).alias("_evidence"))
    )
    rows = decided.join(evidence, on=levels, how="left", nulls_equal=True, maintain_order="left")
    pct = (pl.col("match_probability") * 100).round(1).cast(pl.String) + "%"
    verdict = (
        pl.when(pl.col("decision") == "matched")
        .then(pl.lit("matched to "))
        .when(pl.col("decision") == "review")
        .then(pl.lit("needs review, best candidate "))
        .otherwise(pl.lit("no match; closest candidate "))
    )
    # The reviewer sees the characters, not just the level: "typed 化 for 华".
    swapped = (
        pl.when(pl.col("swapped_chars").is_not_null())
        .then(pl.lit("; typed ") + pl.col("swapped_chars"))
        .otherwise(pl.lit(""))
        if "swapped_chars" in decided.columns
        else pl.lit("")
    )
    rival = (
        pl.when(pl.col("second_probability").is_not_null())
        .then(
            pl.lit("; runner-up ")
            + pl.col("second_name")
            + " "
            + (pl.col("second_probability") * 100).round(1).cast(pl.String)
            + "%"
        )
        .otherwise(pl.lit(""))
    )
    sentence = (
        verdict
        + pl.col("enterprise_name")
        + " ("
        + pl.col("credit_code")
        + ") "
        + pct
        + " via "
        + pl.col("method")
        + " on '"
        + pl.col("registry_name")
        + "': "
        + pl.col("_evidence")
        + swapped
        + rival
    )
    return rows.select(sentence.alias("explanation")).to_series()
