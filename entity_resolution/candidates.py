"""Candidate enterprises for each distinct mention name: exact, former, normalized, blocked fuzzy.

Never all pairs. Exact and normalized candidates are hash joins on the name as
written and on the normalized names (字号 + industry, `core` and
`core_strict`). Fuzzy candidates come from blocks, for names with no exact
hit: the 1-deletion neighbourhood of the cores (two cores within one
substitution, insertion or deletion share a key: the typo case), the core
without its first 2-5 characters (a typo in the region hides it from the
parser: 佳兴华泰… for 嘉兴华泰…) and the 字号 key itself (a changed industry
word). Blocks holding more than `max_block` enterprises are skipped (such a key
is a common word, not evidence), and of the fuzzy candidates only the
`max_fuzzy` with the closest core per name are kept. Joins run on integer ids;
names come back only for the pairs kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import distance, process

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


def name_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with one row per distinct normalized key (`_key`): `core` and `core_strict`."""
    return (
        frame.with_columns(pl.concat_list("core", "core_strict").list.unique().alias("_key"))
        .explode("_key")
        .filter(pl.col("_key").str.len_chars() >= 2)
    )


def deletion_keys(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (with `_key`) with one row per key: the key and each 1-character deletion of it."""
    length = pl.col("_key").str.len_chars()
    return (
        frame.filter(length >= MIN_DELETION_CORE)
        .with_columns(pl.int_ranges(-1, length).alias("_pos"))
        .explode("_pos")
        .with_columns(
            pl.when(pl.col("_pos") < 0)
            .then(pl.col("_key"))
            .otherwise(
                pl.col("_key").str.slice(0, pl.col("_pos"))
                + pl.col("_key").str.slice(pl.col("_pos") + 1)
            )
            .alias("_key")
        )
        .drop("_pos")
    )


def _capped(keys: pl.DataFrame, key: str, max_block: int) -> pl.DataFrame:
    """Rows of blocks (`key` values) holding at most `max_block` enterprises."""
    sizes = keys.group_by(key).agg(pl.col("_code").n_unique().alias("_n"))
    small = sizes.filter(pl.col("_n") <= max_block).select(key)
    return keys.join(small, on=key, how="semi").drop("_code")


@dataclass(frozen=True)
class RegistryIndex:
    """The registry's lookup tables, built once per as-of date. `rid` is the row of
    `names`; the key tables map a key to the rids that carry it."""

    names: pl.DataFrame  # rid, credit_code, registry_name, name_type, script, core, ...
    keys: pl.DataFrame  # rid, _key: each normalized key of each name
    small_keys: pl.DataFrame  # rid, _key: keys of blocks within max_block
    deletions: pl.DataFrame  # rid, _key: 1-deletion keys (Han names), blocks within max_block
    zihao: pl.DataFrame  # rid, zihao: blocks within max_block


def index_registry(registry: pl.DataFrame, max_block: int = MAX_BLOCK) -> RegistryIndex:
    """`registry`: registry names parsed (credit_code, registry_name, name_type, script,
    core, core_strict, zihao)."""
    names = registry.select(
        "credit_code", "registry_name", "name_type", "script", "core", "core_strict", "zihao"
    ).with_row_index("rid")
    code = pl.col("credit_code").alias("_code")
    keys = name_keys(names).select("rid", code, "script", "_key")
    deletions = deletion_keys(keys.filter(pl.col("script") == "cjk")).select("rid", "_code", "_key")
    zihao = names.filter(pl.col("zihao").str.len_chars() >= 2).select("rid", code, "zihao")
    return RegistryIndex(
        names=names,
        keys=keys.select("rid", "_key"),
        small_keys=_capped(keys.select("rid", "_code", "_key"), "_key", max_block),
        deletions=_capped(deletions.unique(), "_key", max_block),
        zihao=_capped(zihao, "zihao", max_block),
    )


def _closest(
    found: pl.DataFrame, men: pl.DataFrame, names: pl.DataFrame, keep: int
) -> pl.DataFrame:
    """The `keep` (mid, rid) pairs per mention with the closest core, ties by rid: a
    popular 字号 block brings dozens of firms, of which only the nearest can be it or
    tell a reviewer what it competes with."""
    if found.height == 0:
        return found
    mid, rid = found["mid"].to_numpy(), found["rid"].to_numpy()
    left = men["core"].fill_null("").gather(mid).to_list()
    right = names["core"].fill_null("").gather(rid).to_list()
    similarity = np.asarray(
        process.cpdist(left, right, scorer=distance.Levenshtein.normalized_similarity, workers=-1)
    ).ravel()
    return (
        found.with_columns(pl.Series("_s", similarity))
        .sort(["mid", "_s", "rid"], descending=[False, True, False])
        .filter(pl.int_range(pl.len()).over("mid") < keep)
        .drop("_s")
    )


def generate_candidates(
    mentions: pl.DataFrame, index: RegistryIndex, max_fuzzy: int = MAX_FUZZY
) -> pl.DataFrame:
    """Candidate pairs: mention_name, credit_code, registry_name, name_type, method.

    `mentions`: distinct mention names parsed (name, script, core, core_strict,
    zihao). One row per (mention_name, credit_code, registry_name), with the
    strongest method that found it (an exact or normalized hit on a former
    name is `former_name`).
    """
    men = mentions.select(
        pl.col("name").alias("mention_name"), "script", "core", "core_strict", "zihao"
    ).with_row_index("mid")
    exact = men.join(
        index.names.select("rid", "registry_name"), left_on="mention_name", right_on="registry_name"
    ).select("mid", "rid", pl.lit(METHOD_RANK["exact_name"], dtype=pl.Int8).alias("method"))
    men_keys = name_keys(men).select("mid", "script", "_key")
    normalized = men_keys.join(index.keys, on="_key").select(
        "mid", "rid", pl.lit(METHOD_RANK["normalized_name"], dtype=pl.Int8).alias("method")
    )
    unresolved = men.join(exact.select("mid").unique(), on="mid", how="anti")
    open_keys = men_keys.filter(pl.col("script") == "cjk").join(
        unresolved.select("mid"), on="mid", how="semi"
    )
    by_deletion = (
        deletion_keys(open_keys).select("mid", "_key").unique().join(index.deletions, on="_key")
    )
    # A typo inside the leading region (佳兴 for 嘉兴) hides the region from the
    # parser: the mention's core then starts with two to five extra characters.
    by_garbled_region = (
        open_keys.with_columns(pl.int_ranges(MIN_GARBLED, MAX_GARBLED + 1).alias("_cut"))
        .explode("_cut")
        .with_columns(pl.col("_key").str.slice(pl.col("_cut")).alias("_key"))
        .filter(pl.col("_key").str.len_chars() >= MIN_GARBLED_REST)
        .select("mid", "_key")
        .unique()
        .join(index.small_keys, on="_key")
    )
    by_zihao = unresolved.select("mid", "zihao").join(index.zihao, on="zihao")
    blocked = pl.concat(
        [
            frame.select(pl.col("mid").cast(_ID), pl.col("rid").cast(_ID))
            for frame in (by_deletion, by_garbled_region, by_zihao)
        ]
    ).unique()
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
