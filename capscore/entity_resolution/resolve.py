"""Link patent applicants and R&D filings to registry enterprises (er.* tables).

Pure functions over polars frames: the lake tables of architecture.md in,
er/applicant_links, er/rd_links and er/review_queue rows out. Work is done once
per distinct name (most applicant strings repeat across patents) and per
distinct name pair; only the cheap context features run per mention.

Memory is bounded by resolving the distinct mention names in chunks: every step
after the registry index (candidates, features, rivals, decision) depends on one
mention name and its mentions only, so chunks are independent and their results
are the same as one pass over all names. The one run-wide input, the IPC–industry
lift, is learnt from all mentions before the first chunk.

Outputs never depend on the order of the input rows: inputs are put in a
canonical order, ties are broken by keys, floats are summed in a fixed order and
outputs are sorted by their keys (a backfill gives the nightly run's rows).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise

import polars as pl

from capscore.core.personal import FILED_NAME, PersonNames, mask_individual_names
from capscore.entity_resolution.candidates import generate_candidates
from capscore.entity_resolution.decide import (
    CANDIDATE_STRUCT,
    best_per_enterprise,
    decide,
    explanation,
)
from capscore.entity_resolution.features import (
    address_region_codes,
    context_features,
    ipc_industry_lift,
    name_features,
)
from capscore.entity_resolution.incremental import Carried, Reuse, kept_mentions, rows_at
from capscore.entity_resolution.kinds import CANDIDATE_KINDS, classify_kinds
from capscore.entity_resolution.model import MatchModel, comparisons, with_levels
from capscore.entity_resolution.normalize import parse_names_once
from capscore.entity_resolution.registry import (
    PreparedRegistry,
    RegistrySnapshot,
    prepare_registry,
)
from capscore.entity_resolution.review import apply_decisions
from capscore.entity_resolution.romanized import (
    contested,
    decide_romanized,
    romanized_candidates,
)
from capscore.entity_resolution.streets import street_key
from capscore.sql_library import query_frames
from capscore.storage import tables
from capscore.storage.changes import Update

# Distinct mention names resolved per chunk (see module doc): a few hundred MB of
# working memory per chunk whatever the size of the run; smaller chunks cost time
# (each probes the whole registry index).
CHUNK_NAMES = 60_000
# Chunks resolved at once: one chunk's Python-bound steps (parsing, rapidfuzz input)
# leave cores idle that another chunk's polars work uses; each one in flight costs
# its working memory. Resolving the applicants at 1M on 2 cores: 1 chunk 106 s,
# 2 90 s, 3 84-86 s, 4 81-83 s, 6 82 s, the peak the same (5.6-5.8 GB).
CHUNKS_IN_FLIGHT = 4
# What a patent gives each of its applicant mentions besides the name.
PATENT_CONTEXT = ("application_number", "applicant_address", "ipc_codes", "application_date")
# The input columns resolution reads (lake_io reads only these; the registry's are in
# registry.py).
PATENT_COLUMNS = ("applicants", *PATENT_CONTEXT)
RD_COLUMNS = (
    "_file",
    "_row_number",
    "enterprise_name",
    "fiscal_year",
    "credit_code",
    "credit_code_valid",
    "reported_date",
)
MENTION_SCHEMA = {
    "mention_key": pl.String,
    "mention_type": pl.String,
    "mention_name": pl.String,
    "mention_date": pl.Date,
    "address": pl.String,
    "ipc_subclass": pl.String,
    "filed_code": pl.String,
}
RESULT_COLUMNS = {
    "mention_key": pl.String,
    "credit_code": pl.String,
    "match_probability": pl.Float64,
    "method": pl.String,
    "decision": pl.String,
    "explanation": pl.String,
    "top_candidates": pl.List(CANDIDATE_STRUCT),
    "decided_by": pl.String,
}
APPLICANT_LINK_COLUMNS = [
    "application_number",
    "applicant_position",
    "applicant",
    "applicant_kind",
    "credit_code",
    "match_probability",
    "method",
    "decision",
    "explanation",
    "model_version",
    "decided_by",
    "mention_key",
    "top_candidates",
]
RD_LINK_COLUMNS = [
    "file",
    "row_number",
    "enterprise_name",
    "fiscal_year",
    "credit_code_as_filed",
    "credit_code",
    "method",
    "match_probability",
    "decision",
    "explanation",
    "model_version",
    "decided_by",
    "mention_key",
    "top_candidates",
]


def lift_anchors(
    mentions: pl.DataFrame, registry: PreparedRegistry | RegistrySnapshot
) -> pl.DataFrame:
    """industry_code, ipc_subclass of mentions whose name is one firm's current name."""
    current = registry.names.lazy().filter(pl.col("name_type") == "current")
    sole_owner = (
        current.select("registry_name", "credit_code")
        .filter(pl.col("registry_name").is_unique())
        .collect()
    )
    return (
        mentions.select("mention_name", "ipc_subclass")
        .join(sole_owner, left_on="mention_name", right_on="registry_name")
        .join(registry.enterprises.select("credit_code", "industry_code"), on="credit_code")
        .select("industry_code", "ipc_subclass")
    )


def pair_features(
    mentions: pl.DataFrame, registry: PreparedRegistry, lift: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Every (mention, candidate name) pair with its features and comparison levels.

    `mentions` has the MENTION_SCHEMA columns (others are ignored); pass only
    mentions to be looked up (enterprise/unknown kinds). `lift` (ipc_industry_lift)
    defaults to the one learnt from `mentions`."""
    mentions = mentions.select(list(MENTION_SCHEMA))
    distinct = mentions["mention_name"].unique().drop_nulls().sort()
    # Most mentions are written as a registry name: those are parsed already.
    parsed = parse_names_once(distinct, registry.parsed())
    candidates = generate_candidates(parsed, registry.index)
    pairs = name_features(candidates, parsed, registry.names, registry.enterprises)
    addresses = mentions.select("address").unique().drop_nulls()
    address_codes = addresses.with_columns(
        address_region_codes(addresses["address"]).alias("address_code"),
        street_key(pl.col("address")).alias("address_street"),
    )
    context = mentions.join(address_codes, on="address", how="left")
    if lift is None:
        lift = ipc_industry_lift(lift_anchors(mentions, registry))
    return with_levels(context_features(pairs, context, lift))


def score_mentions(
    mentions: pl.DataFrame,
    registry: PreparedRegistry,
    model: MatchModel,
    lift: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """pair_features plus match_probability."""
    return pair_features(mentions, registry, lift).with_columns(
        model.probability().alias("match_probability")
    )


def _link_chunk(
    mentions: pl.DataFrame, registry: PreparedRegistry, model: MatchModel, lift: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(RESULT_COLUMNS of the mentions that have candidates, their best candidates)."""
    levels = [c.column for c in comparisons()]
    scored = (
        pair_features(mentions, registry, lift)
        # Only what the decision and its explanation read: the pair features are wide.
        .select(
            "mention_key",
            "credit_code",
            "registry_name",
            "enterprise_name",
            "method",
            "swapped_chars",
            *levels,
        )
        .with_columns(model.probability().alias("match_probability"))
    )
    best = best_per_enterprise(scored)
    del scored
    decided = decide(best, model)
    decided = decided.with_columns(explanation(decided, model))
    linked = decided.select(
        "mention_key",
        pl.when(pl.col("decision") != "unmatched").then(pl.col("credit_code")).alias("credit_code"),
        "match_probability",
        pl.when(pl.col("decision") != "unmatched")
        .then(pl.col("method"))
        .otherwise(pl.lit("none"))
        .alias("method"),
        "decision",
        "explanation",
        "top_candidates",
        pl.lit("model").alias("decided_by"),
    ).cast(RESULT_COLUMNS)  # type: ignore[arg-type]
    return linked, best.select("mention_key", "credit_code", "method")


def _unmatched(mentions: pl.DataFrame, explanation: pl.Expr) -> pl.DataFrame:
    """RESULT_COLUMNS rows of `mentions` the model left unmatched without a candidate."""
    return mentions.select(
        "mention_key",
        pl.lit(None, dtype=pl.String).alias("credit_code"),
        pl.lit(0.0).alias("match_probability"),
        pl.lit("none").alias("method"),
        pl.lit("unmatched").alias("decision"),
        explanation.alias("explanation"),
        pl.lit(None, dtype=pl.List(CANDIDATE_STRUCT)).alias("top_candidates"),
        pl.lit("model").alias("decided_by"),
    ).cast(RESULT_COLUMNS)  # type: ignore[arg-type]


def _name_chunks(mentions: pl.DataFrame, chunk_names: int) -> Iterator[pl.DataFrame]:
    """The mentions that have a name, in parts of at most `chunk_names` distinct names
    (all mentions of a name in one part), cut by name range and made one at a time."""
    names = mentions["mention_name"].drop_nulls().unique().sort()
    bounds: list[str | None] = [*names.gather_every(chunk_names).to_list(), None]
    name = pl.col("mention_name")
    for low, high in pairwise(bounds):
        in_part = name >= low if high is None else (name >= low) & (name < high)
        yield mentions.filter(in_part)


def _in_flight(
    work: Callable[[pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]],
    parts: Iterator[pl.DataFrame],
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """work(part) for every part, in order, CHUNKS_IN_FLIGHT at a time (a part is
    made only when a slot frees, so at most that many are held)."""
    with ThreadPoolExecutor(CHUNKS_IN_FLIGHT) as pool:
        running: deque[Future[tuple[pl.DataFrame, pl.DataFrame]]] = deque()
        for part in parts:
            running.append(pool.submit(work, part))
            if len(running) == CHUNKS_IN_FLIGHT:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()


def link_mentions(
    mentions: pl.DataFrame,
    registry: PreparedRegistry,
    model: MatchModel,
    decisions: pl.DataFrame | None,
    chunk_names: int = CHUNK_NAMES,
    lift: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """RESULT_COLUMNS per mention_key of `mentions` (all of them, unmatched when no
    candidate), in no particular order. `lift` (ipc_industry_lift) defaults to the one
    learnt from `mentions`."""
    mentions = mentions.select(list(MENTION_SCHEMA))
    if lift is None:
        lift = ipc_industry_lift(lift_anchors(mentions, registry))
    reviewed = (
        decisions.select("mention_key")
        if decisions is not None
        else pl.DataFrame(schema={"mention_key": pl.String})
    )
    linked = [pl.DataFrame(schema=RESULT_COLUMNS)]  # type: ignore[arg-type]
    found = [pl.DataFrame(schema={k: pl.String for k in ("mention_key", "credit_code", "method")})]
    for chunk_links, chunk_best in _in_flight(
        lambda part: _link_chunk(part, registry, model, lift),
        _name_chunks(mentions, chunk_names),
    ):
        linked.append(chunk_links)
        # Only reviewed mentions need their candidates (the method a reviewer's pick had).
        found.append(chunk_best.join(reviewed, on="mention_key", how="semi"))
    result = pl.concat(linked)
    no_candidate = _unmatched(
        mentions.select("mention_key").join(
            result.select("mention_key"), on="mention_key", how="anti"
        ),
        pl.lit("no match: no registry enterprise has a similar name"),
    )
    result = with_romanized(pl.concat([result, no_candidate]), mentions, registry)
    return apply_decisions(result, pl.concat(found), registry.enterprises, decisions)


_DECISION_RANK = {"unmatched": 0, "review": 1, "matched": 2}


def with_romanized(
    result: pl.DataFrame, mentions: pl.DataFrame, registry: PreparedRegistry
) -> pl.DataFrame:
    """`result` with the pinyin reading (romanized.py) of Latin-script mentions: it
    takes over where the name model did not match and it matches, proposes a review
    where the model found nothing, and sends to review a model match short of an
    exact name when another firm reads the same in pinyin and fits as well."""
    near_match = (pl.col("decision") == "matched") & (pl.col("method") != "exact_name")
    open_keys = result.filter((pl.col("decision") != "matched") | near_match)
    latin = mentions.join(open_keys.select("mention_key"), on="mention_key", how="semi").filter(
        ~pl.col("mention_name").str.contains(r"\p{Han}").fill_null(True)
    )
    if latin.height == 0:
        return result
    latin = latin.select(
        "mention_key",
        "mention_name",
        address_region_codes(latin["address"]).alias("address_code"),
        street_key(pl.col("address")).alias("address_street"),
    )
    asked = ["mention_name", "address_code", "address_street"]
    queries = (
        latin.select(asked)
        .unique()
        .sort(asked, nulls_last=True)
        .with_row_index("query")
        .cast({"query": pl.Int64})
    )
    latin = latin.join(queries, on=asked, nulls_equal=True)
    candidates = romanized_candidates(queries, registry.names, registry.enterprises)
    decided = decide_romanized(
        candidates, registry.enterprises, registry.names.select("registry_name", "zihao")
    )
    takes_over = (
        latin.join(decided, on="query")
        .join(result.select("mention_key", pl.col("decision").alias("_model")), on="mention_key")
        .filter(
            pl.col("decision").replace_strict(_DECISION_RANK)
            > pl.col("_model").replace_strict(_DECISION_RANK)
        )
    )
    replacement = takes_over.select(
        "mention_key",
        "credit_code",
        "match_probability",
        pl.lit("normalized_name").alias("method"),
        "decision",
        "explanation",
        "top_candidates",
        pl.lit("model").alias("decided_by"),
    ).cast(RESULT_COLUMNS)  # type: ignore[arg-type]
    picks = latin.join(result.filter(near_match), on="mention_key")
    rivals = contested(picks.select("query", "credit_code").unique(), candidates)
    names = registry.enterprises.select("credit_code", "name")
    doubted = (
        picks.join(rivals, on="query")
        .join(names.rename({"credit_code": "rival", "name": "_rival_name"}), on="rival")
        .join(names.rename({"name": "_pick_name"}), on="credit_code")
        .select(
            "mention_key",
            "credit_code",
            "match_probability",
            "method",
            pl.lit("review").alias("decision"),
            (
                pl.lit("needs review: ")
                + pl.col("explanation")
                + "; but in pinyin "
                + pl.col("_rival_name")
                + " ("
                + pl.col("rival")
                + ") reads the same and fits as well"
            ).alias("explanation"),
            pl.concat_list(
                pl.struct(
                    "credit_code",
                    pl.col("_pick_name").alias("name"),
                    pl.col("match_probability").alias("probability"),
                ),
                pl.struct(
                    pl.col("rival").alias("credit_code"),
                    pl.col("_rival_name").alias("name"),
                    pl.col("match_probability").alias("probability"),
                ),
            ).alias("top_candidates"),
            "decided_by",
        )
        .cast(RESULT_COLUMNS)  # type: ignore[arg-type]
    )
    changed = pl.concat([replacement, doubted.join(replacement, on="mention_key", how="anti")])
    return pl.concat([result.join(changed, on="mention_key", how="anti"), changed])


def applicant_mentions(patents: pl.DataFrame) -> pl.DataFrame:
    """One row per (application_number, applicant_position), in that order: the applicant
    as written and the mention columns (MENTION_SCHEMA)."""
    exploded = (
        patents.select(PATENT_COLUMNS)
        .sort("application_number")
        .with_columns(pl.int_ranges(pl.col("applicants").list.len()).alias("applicant_position"))
        .explode(["applicants", "applicant_position"])
        .drop_nulls("applicant_position")
        .rename({"applicants": "applicant"})
    )
    return exploded.select(
        "application_number",
        pl.col("applicant_position").cast(pl.Int64),
        "applicant",
        (pl.col("application_number") + "#" + pl.col("applicant_position").cast(pl.String)).alias(
            "mention_key"
        ),
        *_applicant_mention_columns(),
    )


def _applicant_mention_columns() -> list[pl.Expr]:
    """MENTION_SCHEMA but the key, from an applicant row (applicant, applicant_position)
    beside its patent's PATENT_CONTEXT columns."""
    return [
        pl.lit("applicant").alias("mention_type"),
        pl.col("applicant").str.strip_chars().alias("mention_name"),
        pl.col("application_date").alias("mention_date"),
        # The address is the first applicant's (sources.md).
        pl.when(pl.col("applicant_position") == 0)
        .then(pl.col("applicant_address"))
        .alias("address"),
        pl.col("ipc_codes").list.first().str.slice(0, 4).alias("ipc_subclass"),
        pl.lit(None, dtype=pl.String).alias("filed_code"),
    ]


def resolve_applicants(
    patents: pl.DataFrame,
    enterprises: pl.DataFrame,
    history: pl.DataFrame,
    decisions: pl.DataFrame | None,
    model: MatchModel,
    registry: PreparedRegistry | None = None,
    chunk_names: int = CHUNK_NAMES,
) -> pl.DataFrame:
    """er.applicant_links rows for core/patent as of D (APPLICANT_LINK_COLUMNS), sorted by
    application_number, applicant_position."""
    registry = registry or prepare_registry(enterprises, history)
    return link_applicants(patents, registry, decisions, model, None, chunk_names)[0].made


def _applicant_lookup(
    patents: pl.DataFrame, known: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.Expr, pl.DataFrame]:
    """Every applicant mention (MENTION_SCHEMA plus the link table's own columns) with its
    applicant_kind, the filter of those looked up in the registry, and each name's kind
    (mention_name, applicant_kind). `known`: such kinds of an earlier date's names,
    classified by the same code: those names are not classified again."""
    mentions = applicant_mentions(patents)
    names = mentions.select("mention_name").unique().sort("mention_name")

    def classified(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(classify_kinds(frame["mention_name"]).alias("applicant_kind"))

    if known is None:
        kinds = classified(names)
    else:
        kinds = pl.concat(
            [
                names.join(known, on="mention_name", how="inner"),
                classified(names.join(known, on="mention_name", how="anti")),
            ]
        )
    mentions = mentions.join(kinds, on="mention_name", how="left", maintain_order="left")
    return mentions, pl.col("applicant_kind").is_in(CANDIDATE_KINDS).fill_null(False), kinds


def _kept(
    reuse: Reuse | None,
    mentions: pl.DataFrame,
    hashed: pl.DataFrame,
    lift: pl.DataFrame,
    decisions: pl.DataFrame | None,
) -> pl.Series:
    """Per mention of `mentions` (`hashed`: their mention_rows): whether its earlier
    link stands (incremental.py)."""
    if reuse is None:
        return rows_at(pl.Series([], dtype=pl.UInt32), mentions.height)
    decided = None if decisions is None else decisions["mention_key"]
    return kept_mentions(reuse.carried, mentions, hashed, lift, reuse.change, decided, reuse.keys)


def _made_and_kept(
    rows: pl.DataFrame,
    links: pl.DataFrame,
    kept: pl.Series,
    earlier: pl.LazyFrame | None,
    keys: list[str],
    model: MatchModel,
    columns: list[str],
) -> tuple[Update, pl.LazyFrame]:
    """The date's Update: `rows` (every mention in key order, with `keys`) joined to the
    `links` made for those not `kept` (a mask of `rows`); and its links (RESULT_COLUMNS)
    lazily, the links kept read from the `earlier` date's only if a later date asks
    (None: no links kept)."""
    made = rows if earlier is None else rows.filter(~kept)
    # `rows` is in key order and the join keeps it: no sort of the wide result.
    made = (
        made.join(links, on="mention_key", how="left", maintain_order="left")
        .with_columns(pl.lit(model.version).alias("model_version"))
        .select(columns)
    )
    own = made.select(list(RESULT_COLUMNS)).lazy()
    if earlier is None:
        return Update(made), own
    standing = rows.filter(kept)
    keep = standing.select(keys)
    stand = earlier.join(
        standing.select("mention_key").lazy(), on="mention_key", how="semi"
    ).select(list(RESULT_COLUMNS))
    return Update(made, keep), pl.concat([stand, own])


def link_applicants(
    patents: pl.DataFrame,
    registry: PreparedRegistry,
    decisions: pl.DataFrame | None,
    model: MatchModel,
    reuse: Reuse | None = None,
    chunk_names: int = CHUNK_NAMES,
) -> tuple[Update, Carried]:
    """resolve_applicants' rows, keeping the links of `reuse`'s earlier date that cannot
    have changed (then by their keys only: Update), and what a later date may reuse of
    this one."""
    mentions, looked_up, kinds = _applicant_lookup(
        patents, None if reuse is None else reuse.carried.kinds
    )
    # Only the mentions are needed from here on; a caller that passed the frame inline
    # gets its memory back for the matching.
    del patents
    looked = mentions.select(looked_up).to_series()
    # The applicant as written is compared too: the link row shows it. Selected first,
    # the filter copies only those columns of the wide mention rows.
    lookup = mentions.select(*MENTION_SCHEMA, "applicant").filter(looked)
    rows = mentions.select(
        "mention_key", "application_number", "applicant_position", "applicant", "applicant_kind"
    )
    outside = rows.filter(~looked)
    # Where the looked-up mentions sit among all: the kept mask is moved onto `rows`.
    looked_up_at = looked.arg_true()
    del mentions, looked
    # The lift is learnt from every mention, also those whose link is kept.
    lift = ipc_industry_lift(lift_anchors(lookup, registry))
    # What a later date reuses of the mentions (the links are this date's, set below).
    for_later = Carried.of(lookup, pl.LazyFrame(), lift, kinds=kinds)
    kept = _kept(reuse, lookup, for_later.mention_rows, lift, decisions)
    # Of the earlier date only its links are held, lazily (a scan of the lake, in a run).
    earlier = None if reuse is None else reuse.carried.links
    del reuse
    to_link = lookup.filter(~kept)
    del lookup
    linked = link_mentions(to_link, registry, model, decisions, chunk_names, lift)
    del to_link
    not_looked_up = _unmatched(
        outside, pl.col("applicant_kind") + ": not a registry enterprise, not looked up"
    )
    outside = apply_decisions(not_looked_up, None, registry.enterprises, decisions)
    links = pl.concat([linked, outside])
    keys = list(tables.APPLICANT_LINKS.keys)
    kept_rows = rows_at(looked_up_at.filter(kept), rows.height)
    made, own = _made_and_kept(rows, links, kept_rows, earlier, keys, model, APPLICANT_LINK_COLUMNS)
    return made, dataclasses.replace(for_later, links=own, kept=int(kept.sum()))


def _rd_mentions(rd: pl.DataFrame) -> pl.DataFrame:
    return (
        rd.select(
            pl.col("_file").alias("file"),
            pl.col("_row_number").cast(pl.Int64).alias("row_number"),
            "enterprise_name",
            "fiscal_year",
            pl.col("credit_code").alias("credit_code_as_filed"),
            pl.col("credit_code_valid").fill_null(False).alias("credit_code_valid"),
            "reported_date",
        )
        .sort("file", "row_number")
        .with_columns(
            (pl.col("file") + "#" + pl.col("row_number").cast(pl.String)).alias("mention_key")
        )
    )


def _as_name_mentions(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        "mention_key",
        pl.lit("rd").alias("mention_type"),
        pl.col("enterprise_name").str.strip_chars().alias("mention_name"),
        pl.col("reported_date").alias("mention_date"),
        pl.lit(None, dtype=pl.String).alias("address"),
        pl.lit(None, dtype=pl.String).alias("ipc_subclass"),
        pl.col("credit_code_as_filed").alias("filed_code"),
    ).cast(MENTION_SCHEMA)  # type: ignore[arg-type]


def rd_name_mentions(rd: pl.DataFrame, registry: PreparedRegistry) -> pl.DataFrame:
    """The R&D filings that must be resolved by name, as mentions (MENTION_SCHEMA)."""
    return _rd_split(rd, registry)[3].select(list(MENTION_SCHEMA))


# A filing's position among all (_rd_split).
_ROW_AT = "_row_at"


def _rd_split(
    rd: pl.DataFrame, registry: PreparedRegistry | RegistrySnapshot
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(every filing in key order, those linked by a registered code, the others, the
    others as mentions: MENTION_SCHEMA plus credit_code_valid, which their explanation
    reads, and the name and year as filed)."""
    rows = _rd_mentions(rd)
    known = registry.enterprises.select("credit_code", pl.col("name").alias("_registered"))
    # Filings whose code is valid and registered link directly, with the registered name.
    direct_code = pl.col("credit_code_valid") & pl.col("credit_code_as_filed").is_in(
        known["credit_code"].implode()
    ).fill_null(False)
    direct = rows.filter(direct_code).join(
        known, left_on="credit_code_as_filed", right_on="credit_code", how="inner"
    )
    # The others, with their position among all (the kept mask is moved onto `rows`).
    by_name = rows.with_row_index(_ROW_AT).filter(~direct_code)
    # The name as filed and the fiscal year are compared too: the link row shows them.
    mentions = _as_name_mentions(by_name).with_columns(
        by_name.select("credit_code_valid", "enterprise_name", "fiscal_year")
    )
    return rows, direct, by_name, mentions


def carried_rd(rd: pl.DataFrame, links: pl.LazyFrame, registry: RegistrySnapshot) -> Carried:
    """What a later date may reuse of the rd links `links` made from `rd` on `registry`'s
    date (link_rd returns the same when it makes them)."""
    mentions = _rd_split(rd, registry)[3]
    lift = ipc_industry_lift(lift_anchors(mentions, registry))
    return Carried.of(mentions, links.select(list(RESULT_COLUMNS)), lift)


def carried_applicants(
    patents: pl.DataFrame, links: pl.LazyFrame, registry: RegistrySnapshot
) -> Carried:
    """What a later date may reuse of the applicant links `links` made from `patents`
    (PATENT_CONTEXT columns suffice) on `registry`'s date (link_applicants returns the
    same when it makes them). The links already say each applicant's kind."""
    looked_up = (
        links.select(
            "mention_key", "application_number", "applicant_position", "applicant", "applicant_kind"
        )
        .filter(pl.col("applicant_kind").is_in(CANDIDATE_KINDS))
        .collect()
    )
    lookup = looked_up.join(
        patents.select(PATENT_CONTEXT), on="application_number", how="left"
    ).select("mention_key", *_applicant_mention_columns(), "applicant")
    lift = ipc_industry_lift(lift_anchors(lookup, registry))
    return Carried.of(lookup, links.select(list(RESULT_COLUMNS)), lift)


def resolve_rd(
    rd: pl.DataFrame,
    enterprises: pl.DataFrame,
    history: pl.DataFrame,
    decisions: pl.DataFrame | None,
    model: MatchModel,
    registry: PreparedRegistry | None = None,
    chunk_names: int = CHUNK_NAMES,
) -> pl.DataFrame:
    """er.rd_links rows for the R&D filings visible as of D (RD_LINK_COLUMNS), sorted by
    file, row_number.

    A valid credit code the registry knows links directly (method credit_code);
    a missing, check-failing or unknown code falls back to the name, the code as
    filed feeding the `credit_code` comparison (a one-character slip).
    """
    registry = registry or prepare_registry(enterprises, history)
    return link_rd(rd, registry, decisions, model, None, chunk_names)[0].made


def link_rd(
    rd: pl.DataFrame,
    registry: PreparedRegistry,
    decisions: pl.DataFrame | None,
    model: MatchModel,
    reuse: Reuse | None = None,
    chunk_names: int = CHUNK_NAMES,
    names: PersonNames | None = None,
) -> tuple[Update, Carried]:
    """resolve_rd's rows, keeping the links of `reuse`'s earlier date that cannot have
    changed, and what a later date may reuse of this one.

    A filing is linked by its name as filed; the rows hold it masked when the
    applicant-kind rule calls it a person's (core/personal.py: a filer may write the
    legal representative's name where the firm's goes), as every table after the raw
    layer does. What a later date compares (the mentions, `Carried`) is the name as
    filed, read again from the raw filings, never the stored one. `names`: names the
    rule has read before (a backfill's days share most)."""
    rows, direct, by_name, mentions = _rd_split(rd, registry)
    direct_links = direct.select(
        "mention_key",
        pl.col("credit_code_as_filed").alias("credit_code"),
        pl.lit(1.0).alias("match_probability"),
        pl.lit("credit_code").alias("method"),
        pl.lit("matched").alias("decision"),
        (
            pl.lit("matched to ")
            + pl.col("_registered")
            + " ("
            + pl.col("credit_code_as_filed")
            + "): the filed credit code is valid and registered"
        ).alias("explanation"),
        pl.lit(None, dtype=pl.List(CANDIDATE_STRUCT)).alias("top_candidates"),
        pl.lit("model").alias("decided_by"),
    ).cast(RESULT_COLUMNS)  # type: ignore[arg-type]
    lift = ipc_industry_lift(lift_anchors(mentions, registry))
    for_later = Carried.of(mentions, pl.LazyFrame(), lift)
    kept = _kept(reuse, mentions, for_later.mention_rows, lift, decisions)
    earlier = None if reuse is None else reuse.carried.links
    del reuse, mentions
    to_link = by_name.filter(~kept)
    code_note = (
        pl.when(pl.col("credit_code_as_filed").is_null())
        .then(pl.lit("no credit code filed; "))
        .when(~pl.col("credit_code_valid"))
        .then(
            pl.lit("filed credit code ")
            + pl.col("credit_code_as_filed")
            + " fails the check digit; "
        )
        .otherwise(
            pl.lit("filed credit code ") + pl.col("credit_code_as_filed") + " is not registered; "
        )
    )
    named = link_mentions(_as_name_mentions(to_link), registry, model, decisions, chunk_names, lift)
    # Lazy: the note compares the two codes character by character, and only the
    # optimizer computes those comparisons once for its test and its text (3x faster).
    named = (
        named.lazy()
        .join(
            to_link.lazy().select("mention_key", "credit_code_as_filed", "credit_code_valid"),
            on="mention_key",
        )
        .with_columns((code_note + pl.col("explanation") + _one_off_note()).alias("explanation"))
        .select(list(RESULT_COLUMNS))
        .collect()
    )
    links = pl.concat([apply_decisions(direct_links, None, registry.enterprises, decisions), named])
    kept_rows = rows_at(by_name[_ROW_AT].filter(kept), rows.height)
    made, own = _made_and_kept(
        rows, links, kept_rows, earlier, list(tables.RD_LINKS.keys), model, RD_LINK_COLUMNS
    )
    masked = Update(mask_individual_names(made.made, FILED_NAME, names), made.keep)
    return masked, dataclasses.replace(for_later, links=own, kept=int(kept.sum()))


def _one_off_note() -> pl.Expr:
    """'; the filed code differs from the linked firm's only at position k' when it does."""
    filed, linked = pl.col("credit_code_as_filed"), pl.col("credit_code")
    diffs = [
        (filed.str.slice(i, 1) != linked.str.slice(i, 1)).fill_null(False).cast(pl.Int32)
        for i in range(18)
    ]
    first_diff = pl.concat_list(diffs).list.arg_max()
    same_length = (filed.str.len_chars() == 18) & (linked.str.len_chars() == 18)
    return (
        pl.when(same_length & (pl.sum_horizontal(diffs) == 1))
        .then(
            pl.lit("; the filed credit code is one character away from this firm's (position ")
            + (first_diff + 1).cast(pl.String)
            + ": filed '"
            + filed.str.slice(first_diff, 1)
            + "', registered '"
            + linked.str.slice(first_diff, 1)
            + "')"
        )
        .otherwise(pl.lit(""))
    )


STAKES_SCHEMA = {"credit_code": pl.String, "exposure_wan": pl.Float64, "patents": pl.Int64}


def review_queue(
    applicant_links: pl.DataFrame, rd_links: pl.DataFrame, stakes: pl.DataFrame | None = None
) -> pl.DataFrame:
    """er.review_queue: every `review` decision of both link tables with its top candidates
    and what decides its priority (`review_order`), by mention type and key.

    `stakes` (STAKES_SCHEMA) says what the best candidate has at stake: its credit
    exposure (万元, the latest limits known) and its patents; `same_mention_count`
    how many mentions in the queue have its text: the text as filed when `rd_links`
    give it (er_inputs.filed_names; the stored links hold a person's name masked, and
    王** would count every three-character name of 王 as one). An R&D filer's name
    the applicant-kind rule calls a person is shown masked, as in er.rd_links.
    """
    applicants = applicant_links.filter(pl.col("decision") == "review").select(
        pl.lit("applicant").alias("mention_type"),
        "mention_key",
        pl.col("applicant").alias("mention"),
        "credit_code",
        "match_probability",
        "top_candidates",
        "explanation",
        "model_version",
    )
    rd = rd_links.filter(pl.col("decision") == "review").select(
        pl.lit("rd").alias("mention_type"),
        "mention_key",
        pl.col("enterprise_name").alias("mention"),
        "credit_code",
        "match_probability",
        "top_candidates",
        "explanation",
        "model_version",
    )
    at_stake = (
        pl.DataFrame(schema=STAKES_SCHEMA)
        if stakes is None
        else stakes.select([pl.col(c).cast(t) for c, t in STAKES_SCHEMA.items()])
    )
    queue = (
        pl.concat([applicants, rd])
        .join(at_stake, on="credit_code", how="left")
        .with_columns(
            pl.col("exposure_wan").fill_null(0.0),
            pl.col("patents").fill_null(0),
            pl.len().over("mention").cast(pl.Int64).alias("same_mention_count"),
        )
        .sort("mention_type", "mention_key")
    )
    is_rd = pl.col("mention_type") == "rd"
    return pl.concat([queue.filter(~is_rd), mask_individual_names(queue.filter(is_rd), "mention")])


def review_order(queue: pl.DataFrame) -> pl.DataFrame:
    """er.review_queue rows with their `priority` (sql/macro_review_priority.sql: 1 =
    review first), in that order."""
    return query_frames(
        "SELECT review_priority(exposure_wan, patents, same_mention_count, match_probability, "
        "mention_type, mention_key) AS priority, * FROM queue ORDER BY priority",
        queue=queue,
    )
