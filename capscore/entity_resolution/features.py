"""Pair features: how well a mention fits a candidate enterprise.

Two steps, so that the costly string work runs once per distinct name pair:
`name_features` per (mention name, candidate name) — similarities, legal
form, branch, region in the name, competition between candidates — and
`context_features` per (mention, candidate) — region of the applicant
address, IPC–industry fit, whether the name was in use on the mention's
date, whether the firm existed yet, a one-character credit-code slip.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import distance, process

from capscore.entity_resolution.confusables import SUBSTITUTION_SCHEMA, substitution_kinds
from capscore.entity_resolution.places import leading_regions, region_agreement
from capscore.entity_resolution.streets import street_agreement

# Names whose best similarity is within this of a candidate's count as its rivals.
RIVAL_BAND = 0.03
RIVAL_TOP = 5
# How much closer the name exactly as written is than the same words in another order.
EXACT_LEAD = 0.1
# Smoothing of the IPC–industry lift, in pseudo-observations.
LIFT_PRIOR = 10.0
# How near the applicant address a firm lies, for address_among_namesakes: in the
# address's region (region_agreement's 3; 1 same province, 0 elsewhere), and above that
# at its very street.
REGION_SCORE = 3
STREET_SCORE = 4
# Mention and registry parses compared for the 字号+industry key: either parse of
# either name may be the right one (海宁华泰… vs 华泰…).
CORE_PAIRINGS = (
    ("m_core", "r_core"),
    ("m_core", "r_core_strict"),
    ("m_core_strict", "r_core"),
    ("m_core_strict", "r_core_strict"),
)


def _pairwise(scorer: Any, left: pl.Series, right: pl.Series, dtype: type) -> np.ndarray:
    result = process.cpdist(
        left.fill_null("").to_list(),
        right.fill_null("").to_list(),
        scorer=scorer,
        workers=-1,
        dtype=dtype,
    )
    return np.asarray(result)


def _edits(frame: pl.DataFrame, left: str, right: str, rows: pl.Expr | None = None) -> pl.Series:
    """Levenshtein distance between two string columns (null counts as "") on `rows`
    (all by default; null elsewhere). Only differing strings reach rapidfuzz: most
    candidates are exact and cost nothing."""
    chosen = pl.lit(True) if rows is None else rows
    work = frame.select(
        pl.col(left).fill_null("").alias("l"),
        pl.col(right).fill_null("").alias("r"),
        chosen.alias("c"),
    ).with_row_index("i")
    out = work.select(pl.when(pl.col("c")).then(pl.lit(0, dtype=pl.Int32)).alias(left)).to_series()
    differ = work.filter(pl.col("c") & (pl.col("l") != pl.col("r")))
    if differ.height:
        found = _pairwise(distance.Levenshtein.distance, differ["l"], differ["r"], np.int32).ravel()
        out = out.scatter(differ["i"], pl.Series(found, dtype=pl.Int32))
    return out


def _similarity(edits: pl.Expr, left: str, right: str) -> pl.Expr:
    """1 − distance / longer length: a substituted character costs one edit (Indel
    ratio would count two, ranking a typo like a deletion elsewhere)."""
    longer = pl.max_horizontal(
        pl.col(left).fill_null("").str.len_chars(), pl.col(right).fill_null("").str.len_chars()
    )
    return pl.when(longer == 0).then(1.0).otherwise(1.0 - edits / longer).round(6)


def _agreement_label(score: pl.Expr) -> pl.Expr:
    return (
        pl.when(score.is_null())
        .then(pl.lit("none"))
        .when(score == 3)
        .then(pl.lit("match"))
        .when(score == 1)
        .then(pl.lit("partial"))
        .otherwise(pl.lit("conflict"))
    )


def name_features(
    candidates: pl.DataFrame,
    mentions: pl.DataFrame,
    registry: pl.DataFrame,
    enterprises: pl.DataFrame,
) -> pl.DataFrame:
    """Features of each candidate pair that depend on the names only.

    `candidates`: mention_name, credit_code, registry_name, name_type, method.
    `mentions`/`registry`: parse_names output keyed by name / registry_name
    (registry also valid_from, valid_to per credit_code). `enterprises`:
    credit_code, name, region_code, industry_code, established_date, street.
    """
    parsed_cols = [
        "clean",
        "ordered",
        "form",
        "branch",
        "region",
        "region_codes",
        "zihao",
        "industry",
        "core",
        "core_strict",
    ]
    m = mentions.select(pl.col("name").alias("mention_name"), *parsed_cols).rename(
        {c: f"m_{c}" for c in parsed_cols}
    )
    r = registry.select(
        "credit_code", "registry_name", "valid_from", "valid_to", *parsed_cols
    ).rename({c: f"r_{c}" for c in parsed_cols})
    ent = enterprises.select(
        "credit_code",
        pl.col("name").alias("enterprise_name"),
        "region_code",
        "industry_code",
        "established_date",
        "street",
    )
    pairs = (
        candidates.join(m, on="mention_name", how="left")
        .join(r, on=["credit_code", "registry_name"], how="left")
        .join(ent, on="credit_code", how="left")
    )
    # Either parse of either name may be the right one (海宁华泰… vs 华泰…): the
    # closest of the four pairings counts; the strict ones only where a parse differs.
    two_parses = (pl.col("m_core") != pl.col("m_core_strict")) | (
        pl.col("r_core") != pl.col("r_core_strict")
    )
    core = [_edits(pairs, "m_core", "r_core")] + [
        _edits(pairs, m, r, two_parses) for m, r in CORE_PAIRINGS[1:]
    ]
    # The region in brackets or in front: 恒信(浙江)泵业… and 浙江恒信泵业… are the same
    # words; only names with a bracketed region can differ in order.
    reordered = (pl.col("m_ordered") != pl.col("m_clean")) | (
        pl.col("r_ordered") != pl.col("r_clean")
    )
    pairs = pairs.with_columns(
        _edits(pairs, "m_clean", "r_clean").alias("full_edits"),
        _edits(pairs, "m_ordered", "r_ordered", reordered).alias("_ordered_edits"),
        pairs.select(pl.min_horizontal(core)).to_series().alias("core_edits"),
        _edits(pairs, "m_zihao", "r_zihao").alias("zihao_edits"),
        _edits(pairs, "m_industry", "r_industry").alias("industry_edits"),
    ).with_columns(
        pl.col("_ordered_edits").fill_null(pl.col("full_edits")).alias("ordered_edits"),
        pl.max_horizontal(
            _similarity(pl.col("full_edits"), "m_clean", "r_clean"),
            _similarity(pl.col("_ordered_edits"), "m_ordered", "r_ordered"),
        ).alias("sim_full"),
        _similarity(pl.col("core_edits"), "m_core", "r_core").alias("sim_core"),
        _similarity(pl.col("zihao_edits"), "m_zihao", "r_zihao").alias("sim_zihao"),
    )
    form = (
        pl.when(pl.col("m_form").is_null() | pl.col("r_form").is_null())
        .then(pl.lit("missing"))
        .when(pl.col("m_form") == pl.col("r_form"))
        .then(pl.lit("same"))
        .when(
            pl.col("m_form").is_in(["company", "limited"])
            & pl.col("r_form").is_in(["company", "limited"])
        )
        .then(pl.lit("compatible"))
        .otherwise(pl.lit("different"))
    )
    pairs = pairs.with_columns(
        form.alias("form_agreement"),
        (pl.col("m_branch").fill_null(False) == pl.col("r_branch").fill_null(False)).alias(
            "branch_same"
        ),
    )
    pairs = _with_name_region(_with_substitution(pairs.drop("_ordered_edits")))
    return _with_rivals(pairs).drop(
        [f"m_{c}" for c in parsed_cols] + [f"r_{c}" for c in parsed_cols if c != "clean"]
    )


def _with_substitution(pairs: pl.DataFrame) -> pl.DataFrame:
    """substitution: for cores one character apart by a swap (same length), whether the
    swapped character sounds the same, looks alike or neither (confusables.py), and
    swapped_chars, the two characters; null for other pairs. The first parse pairing
    with a single swap counts."""
    indexed = pairs.with_row_index("_row")
    one_off = indexed.filter(pl.col("core_edits") == 1)
    swaps = []
    for rank, (left, right) in enumerate(CORE_PAIRINGS):
        same_length = pl.col(left).str.len_chars() == pl.col(right).str.len_chars()
        chars = (
            one_off.filter(same_length & (pl.col(left) != pl.col(right)))
            .select(
                "_row",
                pl.col(left).str.split("").alias("char"),
                pl.col(right).str.split("").alias("variant"),
            )
            .explode("char", "variant")
            .filter(pl.col("char") != pl.col("variant"))
        )
        single = chars.filter(pl.len().over("_row") == 1)
        swaps.append(single.with_columns(pl.lit(rank).alias("_rank")))
    first = (
        pl.concat(swaps)
        .sort("_row", "_rank")
        .unique("_row", keep="first", maintain_order=True)
        .cast({"char": pl.String, "variant": pl.String})
    )
    kinds = substitution_kinds(first) if first.height else pl.DataFrame(schema=SUBSTITUTION_SCHEMA)
    # "化 for 华": what the mention wrote in place of the registered character.
    swapped = first.join(kinds, on=["char", "variant"]).select(
        "_row",
        "substitution",
        (pl.col("char") + " for " + pl.col("variant")).alias("swapped_chars"),
    )
    return indexed.join(swapped, on="_row", how="left", maintain_order="left").drop("_row")


def _with_name_region(pairs: pl.DataFrame) -> pl.DataFrame:
    """region_in_name: as_registered (the registered name carries the same region,
    however written: 嘉兴 / 嘉兴市 / (嘉兴)),
    match / partial / conflict against the registered region_code, or none."""
    indexed = pairs.with_row_index("_row")
    scored = (
        indexed.select("_row", "m_region_codes", "region_code")
        .explode("m_region_codes")
        .drop_nulls("m_region_codes")
        .group_by("_row")
        .agg(
            region_agreement(pl.col("m_region_codes"), pl.col("region_code")).max().alias("_agree")
        )
    )
    has_region = pl.col("m_region").fill_null("") != ""
    return (
        indexed.join(scored, on="_row", how="left")
        .with_columns(
            pl.when(~has_region)
            .then(pl.lit("none"))
            .when(
                (pl.col("m_region") == pl.col("r_region"))
                | (pl.col("m_region_codes") == pl.col("r_region_codes")).fill_null(False)
            )
            .then(pl.lit("as_registered"))
            .otherwise(_agreement_label(pl.col("_agree").fill_null(0)))
            .alias("region_in_name")
        )
        .drop("_row", "_agree")
    )


def _with_rivals(pairs: pl.DataFrame) -> pl.DataFrame:
    """rivals: other candidate enterprises of the same name whose best name similarity
    (mean of full-name and core similarity: the region and form count, but less than
    the 字号; the name exactly as written counts EXACT_LEAD more, so that 嘉兴利华生物…
    is no rival of the firm named 利华(嘉兴)生物…) is within RIVAL_BAND of this one's
    (counted among the top RIVAL_TOP, enough for the levels the model uses); margin:
    this one's best minus the best other's.

    Below the top RIVAL_TOP, an enterprise behind the leader counts RIVAL_TOP rivals and
    its margin is taken against the leader. Ties at the cut are broken by credit code,
    never by the order rows arrived in."""
    best = (
        pairs.group_by("mention_name", "credit_code")
        .agg(
            (
                (pl.col("sim_full") + pl.col("sim_core")) / 2
                + pl.when(pl.col("full_edits") == 0).then(EXACT_LEAD).otherwise(0.0)
            )
            .max()
            .alias("_best")
        )
        .sort(["mention_name", "_best", "credit_code"], descending=[False, True, False])
    )
    # Sorted by name, best first: the other top candidates of a row are its neighbours,
    # so plain shifts (no per-group windows) reach them.
    name = pl.col("mention_name")
    first = (name != name.shift()).fill_null(True)
    row = pl.int_range(pl.len())
    best = best.with_columns(
        (row - pl.when(first).then(row).forward_fill()).alias("_rank"),
        pl.when(first).then(pl.col("_best")).forward_fill().alias("_lead"),
    )
    b, rank, lead = pl.col("_best"), pl.col("_rank"), pl.col("_lead")

    def below(k: int) -> pl.Expr:
        return pl.when(name.shift(-k) == name).then(b.shift(-k))

    # Everyone ranked above is at least as close; of those below, the close enough ones.
    close_below = [
        ((rank + k < RIVAL_TOP) & (below(k) >= b - RIVAL_BAND)).fill_null(False).cast(pl.Int32)
        for k in range(1, RIVAL_TOP)
    ]
    in_top = rank < RIVAL_TOP
    stats = best.select(
        "mention_name",
        "credit_code",
        pl.when(in_top)
        .then(rank.cast(pl.Int32) + pl.sum_horizontal(close_below))
        .when(b < lead)
        .then(RIVAL_TOP)
        .otherwise(0)
        .cast(pl.Int32)
        .alias("rivals"),
        pl.when(in_top & (rank == 0))
        .then(b - below(1))
        .when(in_top | (b < lead))
        .then(b - lead)
        # 1 − 0.9 must read as 0.1, not 0.0999…: the margin levels cut at round numbers.
        .round(6)
        .alias("margin"),
    )
    return pairs.join(stats, on=["mention_name", "credit_code"], how="left")


def address_region_codes(addresses: pl.Series) -> pl.Series:
    """The most specific GB/T 2260 code an address starts with (null if none)."""
    parsed = leading_regions(addresses, min_rest=0)
    return parsed["region_codes"].list.first().rename(addresses.name or "address_code")


def industry_division(code: pl.Expr) -> pl.Expr:
    """GB/T 4754 division (letter + 2 digits, e.g. C36): coarse enough to have counts."""
    return code.str.slice(0, 3)


def ipc_industry_lift(anchors: pl.DataFrame) -> pl.DataFrame:
    """log2 lift of IPC subclass given industry division, from anchor links.

    `anchors`: industry_code, ipc_subclass of mentions linked beyond doubt (an
    exact current name with a single owner). The fit is learnt from this run's
    own data rather than from a hand-made concordance; with few anchors the
    prior pulls the lift to 0 (no evidence either way).
    """
    counts = (
        anchors.drop_nulls(["industry_code", "ipc_subclass"])
        .group_by(industry_division(pl.col("industry_code")).alias("division"), "ipc_subclass")
        .agg(pl.len().alias("n"))
    )
    total = counts["n"].sum() if counts.height else 0
    p_ipc = (pl.col("n").sum().over("ipc_subclass") / max(total, 1)).alias("_p")
    n_div = pl.col("n").sum().over("division")
    return counts.with_columns(p_ipc).select(
        "division",
        "ipc_subclass",
        (
            ((pl.col("n") + LIFT_PRIOR * pl.col("_p")) / (n_div + LIFT_PRIOR) / pl.col("_p")).log(2)
        ).alias("ipc_lift"),
    )


def context_features(
    pairs: pl.DataFrame, mentions: pl.DataFrame, lift: pl.DataFrame
) -> pl.DataFrame:
    """One row per (mention, candidate name): `pairs` (name_features) joined to
    `mentions` (mention_key, mention_type, mention_name, mention_date,
    address_code, address_street, ipc_subclass, filed_code) with the context features
    added."""
    rows = mentions.join(pairs, on="mention_name", how="inner")
    date = pl.col("mention_date")
    days_before = (pl.col("valid_from") - date).dt.total_days()
    days_after = (date - pl.col("valid_to")).dt.total_days() + 1
    address_region = region_agreement(pl.col("address_code"), pl.col("region_code"))
    rows = rows.with_columns(
        _agreement_label(address_region).alias("region_in_address"),
        # Kept as a number for _with_address_rank, which ranks firms by it.
        address_region.alias("_address_region"),
        street_agreement(pl.col("address_street"), pl.col("street"), address_region).alias(
            "street_address"
        ),
        industry_division(pl.col("industry_code")).alias("division"),
        pl.max_horizontal(days_before.fill_null(0), days_after.fill_null(0), pl.lit(0))
        .fill_null(0)
        .alias("days_name_unused"),
        (pl.col("established_date") - date).dt.total_days().alias("days_before_established"),
    )
    rows = rows.join(lift, on=["division", "ipc_subclass"], how="left").drop("division")
    has_code = pl.col("filed_code").str.len_chars() == 18
    rows = rows.with_columns(
        _hamming(rows, has_code).alias("code_distance"),
        name_closeness().alias("name_closeness"),
        place().alias("place"),
    )
    return _with_address_rank(rows).drop("_address_region")


def _with_address_rank(rows: pl.DataFrame) -> pl.DataFrame:
    """address_rank: among a mention's candidates with near-identical names (字号+industry
    at most one character apart), whether this one is the only one lying where the
    applicant address is (at its street, else in its region: `only`), another lies
    closer to it (`beaten`), or the address does not tell them apart (`none`).

    In a dense registry 嘉兴市新金电子… (秀洲) and 嘉兴新金电子… (海盐) both exist; the
    name cannot choose between them, the address of the filing can."""
    # Only rows with an address can tell firms apart, and only those are worked on: the
    # label is scattered back by row number (most mentions have one near candidate).
    at_street = pl.col("street_address") == "same"
    near = pl.col("name_closeness").is_in(["exact", "typo"]) & (
        pl.col("address_code").is_not_null() | at_street
    )
    # The address's region agreement (-1 unknown), below the firm registered at the
    # filing's very street.
    score = (
        pl.when(at_street)
        .then(STREET_SCORE)
        .otherwise(pl.col("_address_region").fill_null(-1))
        .cast(pl.Int32)
    )
    placed = (
        rows.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"),
            "mention_key",
            "credit_code",
            score.alias("_score"),
            near.alias("_near"),
        )
        .filter("_near")
        .with_columns(pl.col("_score").max().over("mention_key", "credit_code"))
    )
    mention = ["mention_key"]
    firm_score, top = pl.col("_score"), pl.col("_score").max().over(mention)
    firms = pl.col("credit_code").n_unique().over(mention)
    at_top = pl.col("credit_code").filter(firm_score == firm_score.max()).n_unique().over(mention)
    ranked = placed.select(
        "_i",
        pl.when(firms == 1)
        .then(pl.lit("none"))
        .when(firm_score < top)
        .then(pl.lit("beaten"))
        .when((firm_score >= REGION_SCORE) & (at_top == 1))
        .then(pl.lit("only"))
        .otherwise(pl.lit("none"))
        .alias("address_rank"),
    )
    column = pl.repeat("none", rows.height, dtype=pl.String, eager=True).alias("address_rank")
    if ranked.height:
        column = column.scatter(ranked["_i"], ranked["address_rank"])
    return rows.with_columns(column)


def _hamming(rows: pl.DataFrame, chosen: pl.Expr) -> pl.Series:
    """Characters in which the filed credit code differs from the candidate's (null
    where no 18-character code was filed)."""
    work = rows.select(
        pl.col("filed_code").alias("f"),
        pl.col("credit_code").alias("c"),
        chosen.fill_null(False).alias("t"),
    ).with_row_index("i")
    out = pl.repeat(None, rows.height, dtype=pl.Int32, eager=True).alias("code_distance")
    todo = work.filter(pl.col("t"))
    if todo.height:
        found = _pairwise(distance.Hamming.distance, todo["f"], todo["c"], np.int32).ravel()
        out = out.scatter(todo["i"], pl.Series(found, dtype=pl.Int32))
    return out


def name_closeness() -> pl.Expr:
    """exact (字号+industry identical), typo (one character off in either part),
    other_business (same 字号, other industry words) or different."""
    return (
        pl.when(pl.col("core_edits") == 0)
        .then(pl.lit("exact"))
        .when(pl.col("core_edits") == 1)
        .then(pl.lit("typo"))
        .when(pl.col("zihao_edits") == 0)
        .then(pl.lit("other_business"))
        .otherwise(pl.lit("different"))
    )


def place() -> pl.Expr:
    """Where the mention puts the firm, from its name and address together: agree,
    disagree, mixed (one agrees, one not) or unknown.

    Region evidence means different things for different names: the same place
    backs a typo'd name but makes a same-字号 firm with other industry words a
    sister firm, not the same one. The model crosses it with name_closeness.
    """
    name, address = pl.col("region_in_name"), pl.col("region_in_address")
    agree = name.is_in(["as_registered", "match"]) | (address == "match")
    disagree = name.is_in(["partial", "conflict"]) | address.is_in(["partial", "conflict"])
    return (
        pl.when(agree & disagree)
        .then(pl.lit("mixed"))
        .when(agree)
        .then(pl.lit("agree"))
        .when(disagree)
        .then(pl.lit("disagree"))
        .otherwise(pl.lit("unknown"))
    )
