"""Candidate enterprises for each distinct mention name: exact, former, normalized, blocked fuzzy.

Never all pairs. Exact and normalized candidates are hash joins on the name as
written and on the normalized names (字号 + industry, `core` and
`core_strict`). Fuzzy candidates come from blocks, for names with no exact
hit: the 1-deletion neighbourhood of the cores (two cores within one
substitution, insertion or deletion share a key: the typo case), the core
without its first 2-5 characters (a typo in the region hides it from the
parser: 佳兴华泰… for 嘉兴华泰…) and the 字号 key itself (a changed industry
word). A block holding more than `max_block` enterprises is only used split by
prefecture (the registered one, the one named in the mention). Names with no
normalized hit either also look up each core with one character swapped for a
same-sound or look-alike one (confusables.py): among a million firms the
deletion block of 恒达电器 (恒电器) is too big to use, but 恒大电器 → 恒达电器 is one
exact key. Of the fuzzy candidates only the `max_fuzzy` closest per name are
kept, a confusable swap ahead of any other at the same distance. Joins run on
integer ids; names come back only for the pairs kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import distance, process

from capscore.entity_resolution.confusables import variants
from capscore.entity_resolution.sorted_runs import rank_in_run
from capscore.row_lists import row_list

METHODS = ("exact_name", "former_name", "normalized_name", "fuzzy")
METHOD_RANK = {m: i for i, m in enumerate(METHODS)}
CANDIDATE_SCHEMA = {
    "mention_name": pl.String,
    "credit_code": pl.String,
    "registry_name": pl.String,
    "name_type": pl.String,
    "method": pl.String,
}
MIN_DELETION_CORE = 3
MIN_GARBLED, MAX_GARBLED, MIN_GARBLED_REST = 2, 5, 4
MAX_BLOCK = 40
MAX_FUZZY = 6
_ID = pl.UInt32
KEY_HASH_SEED = 2260


def name_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with one row per distinct normalized key (`_key`): `core` and `core_strict`."""
    return (
        frame.with_columns(
            row_list(pl.col("core"), pl.col("core_strict")).list.unique().alias("_key")
        )
        .explode("_key")
        .filter(pl.col("_key").str.len_chars() >= 2)
    )


def hashed(key: pl.Expr) -> pl.Expr:
    return key.hash(KEY_HASH_SEED)


def spliced(insert: pl.Expr) -> pl.Expr:
    """`_key` with its character at `_pos` replaced by `insert` ("" deletes it)."""
    key, pos = pl.col("_key"), pl.col("_pos")
    return key.str.slice(0, pos) + insert + key.str.slice(pos + 1)


def deletion_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (with `_key`) with one row per key: the key and each 1-character deletion of
    it, as a 64-bit hash (`_key` UInt64).

    The registry has ~10 of these per name: hashes keep the table and its joins small
    and fast. Two keys colliding would only add a fuzzy pair, which `_closest` ranks by
    the names themselves (and at 2^-64 per pair it does not happen)."""
    length = pl.col("_key").str.len_chars()
    return (
        frame.filter(length >= MIN_DELETION_CORE)
        .with_columns(pl.int_ranges(-1, length).alias("_pos"))
        .explode("_pos")
        # The key itself first, as the deletion past its end: every row is spliced (polars
        # evaluates both branches of a `when`, and a slice refuses a negative length).
        .with_columns(
            pl.when(pl.col("_pos") < 0).then(length).otherwise(pl.col("_pos")).alias("_pos")
        )
        .with_columns(spliced(pl.lit("")).pipe(hashed).alias("_key"))
        .drop("_pos")
    )


def garbled_cuts(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (with `_key`) with one row per key behind its first two to five
    characters: a typo inside the leading region (佳兴 for 嘉兴) hides the region from
    the parser, and the core then starts with them."""
    return (
        frame.with_columns(pl.int_ranges(MIN_GARBLED, MAX_GARBLED + 1).alias("_cut"))
        .explode("_cut")
        .with_columns(pl.col("_key").str.slice(pl.col("_cut")).alias("_key"))
        .filter(pl.col("_key").str.len_chars() >= MIN_GARBLED_REST)
        .drop("_cut")
    )


def confusable_keys(frame: pl.DataFrame, inventory: pl.Series) -> pl.DataFrame:
    """`frame` (with `_key`) with one row per key that is `_key` with one character
    swapped for a same-sound or look-alike character of `inventory`, hashed."""
    length = pl.col("_key").str.len_chars()
    spots = (
        frame.filter(length >= MIN_DELETION_CORE)
        .with_columns(pl.int_ranges(0, length).alias("_pos"))
        .explode("_pos")
        .with_columns(pl.col("_key").str.slice(pl.col("_pos"), 1).alias("char"))
    )
    swaps = variants(spots["char"].unique().to_list(), inventory.to_list())
    return (
        spots.join(swaps, on="char")
        .with_columns(spliced(pl.col("variant")).pipe(hashed).alias("_key"))
        .drop("_pos", "char", "variant")
    )


def _capped(keys: pl.DataFrame, key: str, max_block: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows of blocks holding at most `max_block` enterprises, rows of the bigger blocks
    split by place (prefecture) where each part holds at most `max_block`)."""
    firms = pl.col("_code").n_unique()
    sized = keys.with_columns(firms.over(key).alias("_n"))
    small = sized.filter(pl.col("_n") <= max_block).drop("_n")
    big = sized.filter(pl.col("_n") > max_block).drop("_n")
    local = big.filter(firms.over(key, "_place") <= max_block)
    return small.drop("_code", "_place"), local.drop("_code")


@dataclass(frozen=True)
class Blocks:
    """A blocking key's table: rid per key value, and for key values too common to
    be evidence on their own, rid per (key value, prefecture)."""

    all: pl.DataFrame
    local: pl.DataFrame

    def join(self, mentions: pl.DataFrame, key: str) -> pl.DataFrame:
        """(mid, rid) of `mentions` (mid, key, _place) sharing a block."""
        everywhere = mentions.select("mid", key).unique().join(self.all, on=key)
        placed = mentions.filter(pl.col("_place").is_not_null()).select("mid", key, "_place")
        nearby = placed.unique().join(self.local, on=[key, "_place"])
        return pl.concat([everywhere.select("mid", "rid"), nearby.select("mid", "rid")])

    def holding(self, mentions: pl.DataFrame, key: str) -> pl.DataFrame:
        """mid of `mentions` (mid, key, _place) sharing a block: those `join` pairs, without
        making the pairs (a common block pairs a mention with thousands of firms)."""
        everywhere = mentions.join(self.all.select(key), on=key, how="semi")
        placed = mentions.filter(pl.col("_place").is_not_null())
        nearby = placed.join(self.local.select(key, "_place"), on=[key, "_place"], how="semi")
        return pl.concat([everywhere.select("mid"), nearby.select("mid")])


@dataclass(frozen=True)
class RegistryIndex:
    """The registry's lookup tables, built once per as-of date. `rid` is the row of
    `names`."""

    names: pl.DataFrame  # rid, credit_code, registry_name, name_type, script, core, ...
    keys: pl.DataFrame  # rid, _key: each normalized key of each name, hashed
    characters: pl.Series  # every character of the Han keys
    garbled: Blocks  # normalized keys, for cores behind an unrecognized region
    deletions: Blocks  # 1-deletion keys of Han names
    zihao: Blocks  # 字号 keys


def prefecture(region_code: pl.Expr) -> pl.Expr:
    """The prefecture of a GB/T 2260 code (its first 4 digits) as a number: blocks are
    split by it, and a number keeps those tables small."""
    return region_code.str.slice(0, 4).cast(pl.UInt16, strict=False)


def place_of(region_codes: pl.Expr) -> pl.Expr:
    """The prefecture of the first region code, if it names one."""
    code = region_codes.list.first()
    return pl.when(~code.str.ends_with("0000")).then(prefecture(code))


def index_registry(
    registry: pl.DataFrame, region_codes: pl.DataFrame, max_block: int = MAX_BLOCK
) -> RegistryIndex:
    """`registry`: registry names parsed (credit_code, registry_name, name_type, script,
    core, core_strict, zihao); `region_codes`: credit_code, region_code (registered)."""
    first_name = pl.col("credit_code") != pl.col("credit_code").shift()
    names = (
        registry.select(
            "credit_code", "registry_name", "name_type", "script", "core", "core_strict", "zihao"
        )
        # rid breaks ties between equally close candidates: it must not depend on row order.
        .sort("credit_code", "registry_name")
        .with_row_index("rid")
        # The enterprise as an integer, to count the enterprises of a block.
        .with_columns(first_name.fill_null(True).cum_sum().cast(_ID).alias("_code"))
        .join(
            region_codes.select("credit_code", prefecture(pl.col("region_code")).alias("_place")),
            on="credit_code",
            how="left",
            maintain_order="left",
        )
    )
    keys = name_keys(names).select("rid", "_code", "_place", "script", "_key")
    # ~10 deletion keys per name: they carry only the name's row, the enterprise and its
    # place come back by row. The rare repeated key of a name (a doubled character) is
    # left in: block sizes count enterprises and the blocked pairs are deduplicated.
    deletions = deletion_keys(keys.filter(pl.col("script") == "cjk").select("rid", "_key"))
    deletions = deletions.with_columns(
        names[column].gather(deletions["rid"]) for column in ("_code", "_place")
    )
    zihao = names.filter(pl.col("zihao").str.len_chars() >= 2).select(
        "rid", "_code", "_place", "zihao"
    )
    han_keys = keys.filter(pl.col("script") == "cjk")["_key"].unique()
    return RegistryIndex(
        names=names.drop("_code", "_place"),
        keys=keys.select("rid", hashed(pl.col("_key"))),
        characters=han_keys.str.split("").explode().unique().sort(),
        garbled=Blocks(*_capped(keys.drop("script"), "_key", max_block)),
        deletions=Blocks(*_capped(deletions, "_key", max_block)),
        zihao=Blocks(*_capped(zihao, "zihao", max_block)),
    )


def _similarity(
    found: pl.DataFrame, men: pl.DataFrame, names: pl.DataFrame, column: str, other: str
) -> pl.Series:
    """Normalized Levenshtein similarity of men[column] at `mid` and names[other] at `rid`."""
    left = men[column].fill_null("").gather(found["mid"]).to_list()
    right = names[other].fill_null("").gather(found["rid"]).to_list()
    scorer = distance.Levenshtein.normalized_similarity
    found_sim = process.cpdist(left, right, scorer=scorer, workers=-1)
    return pl.Series(np.asarray(found_sim).ravel(), dtype=pl.Float64)


def _closest(
    found: pl.DataFrame, men: pl.DataFrame, names: pl.DataFrame, keep: int
) -> pl.DataFrame:
    """The `keep` (mid, rid) pairs per mention closest in core, then a confusable swap
    (`_swap`) first, then closest in full name (which carries the region), ties by rid:
    a popular 字号 block brings dozens of firms, of which only the nearest can be it or
    tell a reviewer what it competes with.

    The full-name similarity only decides between pairs tied with the `keep`-th
    closest core, so it is computed for those pairs only."""
    if found.height == 0:
        return found
    by_core = found.with_columns(_similarity(found, men, names, "core", "core").alias("_c"))
    cut = pl.col("_c").top_k(keep).min().over("mid")
    # Pairs tied at the cut, in mentions that have more than `keep` pairs.
    contested = (pl.col("_c") == cut) & (pl.len().over("mid") > keep)
    by_core = by_core.filter(pl.col("_c") >= cut).with_columns(contested.alias("_tied"))
    tied = by_core.filter(pl.col("_tied"))
    by_full = tied.select(
        "mid", "rid", _similarity(tied, men, names, "mention_name", "registry_name").alias("_f")
    )
    return (
        by_core.join(by_full, on=["mid", "rid"], how="left")
        .sort(
            ["mid", "_c", "_swap", "_f", "rid"],
            descending=[False, True, True, True, False],
            nulls_last=True,
        )
        .filter(rank_in_run("mid") < keep)
        .select("mid", "rid")
    )


def mention_table(mentions: pl.DataFrame) -> pl.DataFrame:
    return mentions.select(
        pl.col("name").alias("mention_name"),
        "script",
        "core",
        "core_strict",
        "zihao",
        place_of(pl.col("region_codes")).alias("_place"),
    ).with_row_index("mid")


def _direct(
    men: pl.DataFrame, index: RegistryIndex
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(exact name hits, the mentions' normalized keys, normalized key hits): the
    candidates no block or limit narrows."""
    exact = men.join(
        index.names.select("rid", "registry_name"), left_on="mention_name", right_on="registry_name"
    ).select("mid", "rid", pl.lit(METHOD_RANK["exact_name"], dtype=pl.Int8).alias("method"))
    men_keys = name_keys(men).select("mid", "script", "_place", "_key")
    normalized = (
        men_keys.select("mid", hashed(pl.col("_key")))
        .join(index.keys, on="_key")
        .select("mid", "rid", pl.lit(METHOD_RANK["normalized_name"], dtype=pl.Int8).alias("method"))
    )
    return exact, men_keys, normalized


def directly_found(mentions: pl.DataFrame, index: RegistryIndex) -> pl.Series:
    """The names of `mentions` (as generate_candidates takes them) with an exact or a
    normalized candidate in `index`: all a name with an exact hit can be proposed."""
    men = mention_table(mentions)
    exact, _, normalized = _direct(men, index)
    found = pl.concat([exact.select("mid"), normalized.select("mid")]).unique()
    return men.join(found, on="mid", how="semi")["mention_name"]


def generate_candidates(
    mentions: pl.DataFrame, index: RegistryIndex, max_fuzzy: int = MAX_FUZZY
) -> pl.DataFrame:
    """Candidate pairs: mention_name, credit_code, registry_name, name_type, method.

    `mentions`: distinct mention names parsed (name, script, region_codes, core,
    core_strict, zihao). One row per (mention_name, credit_code, registry_name), with the
    strongest method that found it (an exact or normalized hit on a former
    name is `former_name`).
    """
    men = mention_table(mentions)
    exact, men_keys, normalized = _direct(men, index)
    unresolved = men.join(exact.select("mid").unique(), on="mid", how="anti")
    open_keys = men_keys.filter(pl.col("script") == "cjk").join(
        unresolved.select("mid"), on="mid", how="semi"
    )
    by_deletion = index.deletions.join(deletion_keys(open_keys), "_key")
    by_garbled_region = index.garbled.join(garbled_cuts(open_keys), "_key")
    by_zihao = index.zihao.join(unresolved, "zihao")
    no_key_hit = open_keys.join(normalized.select("mid").unique(), on="mid", how="anti")
    by_swap = confusable_keys(no_key_hit.select("mid", "_key"), index.characters).join(
        index.keys, on="_key"
    )
    blocked = (
        pl.concat(
            [
                frame.select(
                    pl.col("mid").cast(_ID), pl.col("rid").cast(_ID), pl.lit(swap).alias("_swap")
                )
                for frame, swap in (
                    (by_deletion, False),
                    (by_garbled_region, False),
                    (by_zihao, False),
                    (by_swap, True),
                )
            ]
        )
        .group_by("mid", "rid")
        .agg(pl.col("_swap").max())
    )
    fuzzy = _closest(blocked, men, index.names, max_fuzzy).with_columns(
        pl.lit(METHOD_RANK["fuzzy"], dtype=pl.Int8).alias("method")
    )
    found = pl.concat(
        [
            frame.select(pl.col("mid").cast(_ID), pl.col("rid").cast(_ID), "method")
            for frame in (exact, normalized, fuzzy)
        ]
    )
    strongest = found.group_by("mid", "rid").agg(pl.col("method").min())
    named = strongest.join(men.select(pl.col("mid").cast(_ID), "mention_name"), on="mid").join(
        index.names.select(pl.col("rid").cast(_ID), "credit_code", "registry_name", "name_type"),
        on="rid",
    )
    method = pl.col("method").replace_strict(dict(enumerate(METHODS)), return_dtype=pl.String)
    return named.select(
        "mention_name",
        "credit_code",
        "registry_name",
        "name_type",
        pl.when((pl.col("name_type") == "former") & (pl.col("method") < METHOD_RANK["fuzzy"]))
        .then(pl.lit("former_name"))
        .otherwise(method)
        .alias("method"),
    )
