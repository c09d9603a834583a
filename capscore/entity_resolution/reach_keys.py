"""What the reach test reads of a mention name no registry firm bears, derived once.

The reach test (incremental.py) asks of each such name whether the resolver's
candidate generator, run with no limits against the index of the changed firms,
proposes anything. With no limits that is whether one of the name's keys is in that
index: the name as written, its normalized keys, their 1-deletion keys, the keys
behind a garbled region, its 字号 (candidates.py), or one of its keys with a
character swapped for a look-alike. All but the swaps depend on the name alone, and
most names come back night after night: they are derived once (parsing them is the
costly part) and kept under cache/er_parse/ (parse_cache.py); a night derives
only the names it has not met. The swaps depend on the changed firms' characters
too: they are generated from the changed firms' side, each changed key with one
character replaced by a character it is a look-alike of (confusable_keys in reverse).

generate_candidates also gates: no fuzzy candidate for a name with an exact hit, no
swap for one with a normalized hit. Such a name is found by that hit anyway, so the
names found here are the ones it finds.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from capscore.entity_resolution.candidates import (
    MIN_DELETION_CORE,
    Blocks,
    RegistryIndex,
    deletion_keys,
    garbled_cuts,
    hashed,
    mention_table,
    name_keys,
    spliced,
)
from capscore.entity_resolution.confusables import variants
from capscore.entity_resolution.normalize import parse_names_once

# Names whose keys are derived at a time, and tested against the changes at a time.
DERIVE_CHUNK = 100_000
FOUND_CHUNK = 100_000

KEYS_SCHEMA = pl.Schema(
    {
        "mention_name": pl.String(),
        "script": pl.String(),
        "_place": pl.UInt16(),
        "zihao": pl.String(),
        "keys": pl.List(pl.String()),  # normalized keys
        "deletions": pl.List(pl.UInt64()),  # of the Han keys, hashed
        "garbled": pl.List(pl.UInt64()),  # Han keys behind a garbled region, hashed
    }
)


def derived_keys(parsed: pl.DataFrame) -> pl.DataFrame:
    """KEYS_SCHEMA rows of parsed names (as generate_candidates takes them)."""
    men = mention_table(parsed)
    keys = name_keys(men).select("mid", "script", "_key")
    han = keys.filter(pl.col("script") == "cjk").select("mid", "_key")

    def listed(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        return frame.group_by("mid").agg(pl.col("_key").alias(name))

    return (
        men.select("mid", "mention_name", "script", "_place", "zihao")
        .join(listed(keys, "keys"), on="mid", how="left")
        .join(listed(deletion_keys(han), "deletions"), on="mid", how="left")
        .join(
            listed(garbled_cuts(han).with_columns(hashed(pl.col("_key"))), "garbled"),
            on="mid",
            how="left",
        )
        .select(list(KEYS_SCHEMA))
        .cast(KEYS_SCHEMA)
    )


class NameKeys:
    """The keys of the names the reach test met, derived as names come: a backfill's
    days, and a night and the night before, share most of their names. `kept`: reads
    those an earlier run kept, on first use (a night without a registry change tests
    nothing and reads nothing)."""

    def __init__(self, kept: Callable[[], pl.DataFrame | None] = lambda: None) -> None:
        self._kept = kept
        self._known: pl.DataFrame | None = None
        self._met: list[pl.Series] = []

    @property
    def known(self) -> pl.DataFrame:
        if self._known is None:
            kept = self._kept()
            self._known = kept if kept is not None else pl.DataFrame(schema=KEYS_SCHEMA)
        return self._known

    def of(self, names: pl.Series, parsed: pl.DataFrame) -> pl.DataFrame:
        """KEYS_SCHEMA rows of the distinct `names`, deriving those not met before
        (`parsed`: as parse_names_once takes it)."""
        known = self.known
        new = names.filter(~names.is_in(known["mention_name"].implode()))
        if new.len():
            # Parts at a time: every key of every name of a province at once costs
            # gigabytes (a run after a full one derives them all).
            parts = (new.slice(start, DERIVE_CHUNK) for start in range(0, new.len(), DERIVE_CHUNK))
            derived = [derived_keys(parse_names_once(part, parsed)) for part in parts]
            known = self._known = pl.concat([known, *derived])
        self._met.append(names)
        return known.join(names.to_frame("mention_name"), on="mention_name", how="semi")

    def cover(self, names: pl.Series, parsed: pl.DataFrame) -> None:
        """Derive the keys of `names` that are no registry name (`parsed`: the registry's
        parses), as the reach test asks for them: what a later run may ask for."""
        distinct = names.drop_nulls().unique()
        self.of(distinct.filter(~distinct.is_in(parsed["name"].implode())), parsed)

    def met(self) -> pl.DataFrame:
        """The rows of every name asked for: what a later run will ask for again."""
        if not self._met:
            return pl.DataFrame(schema=KEYS_SCHEMA)
        asked = pl.concat(self._met).unique().to_frame("mention_name")
        return self.known.join(asked, on="mention_name", how="semi")


def _swapped_into(index: RegistryIndex, chars: pl.Series) -> pl.Series:
    """Hashed keys that one look-alike swap (confusable_keys, with the index's
    characters) turns into a key of the index; `chars`: the characters such keys
    may hold. The index's names with a registry_name are the ones its keys are of."""
    keys = name_keys(
        index.names.filter(pl.col("registry_name").is_not_null()).select("core", "core_strict")
    ).select("_key")
    length = pl.col("_key").str.len_chars()
    spots = (
        keys.filter(length >= MIN_DELETION_CORE)
        .unique()
        .with_columns(pl.int_ranges(0, length).alias("_pos"))
        .explode("_pos")
        .with_columns(pl.col("_key").str.slice(pl.col("_pos"), 1).alias("variant"))
    )
    swaps = variants(chars.to_list(), index.characters.to_list())
    return spots.join(swaps, on="variant").select(spliced(pl.col("char")).pipe(hashed))["_key"]


def found(keys: pl.DataFrame, index: RegistryIndex) -> pl.Series:
    """The names of `keys` (KEYS_SCHEMA rows) with a candidate in `index` when
    nothing limits candidates (module doc). A name's answer is its own: FOUND_CHUNK
    names at a time (every deletion key of 400,000 names at once, joined into pairs as
    this first did, held 0.7 GB; block membership is now tested without the pairs)."""
    parts = [
        _found(keys.slice(start, FOUND_CHUNK), index)
        for start in range(0, keys.height, FOUND_CHUNK)
    ]
    return pl.concat(parts) if parts else pl.Series("mention_name", [], pl.String)


def _found(keys: pl.DataFrame, index: RegistryIndex) -> pl.Series:
    men = keys.with_row_index("mid")

    def exploded(frame: pl.DataFrame, column: str) -> pl.DataFrame:
        return (
            frame.select("mid", "_place", pl.col(column).alias("_key"))
            .explode("_key")
            .drop_nulls("_key")
        )

    han = men.filter(pl.col("script") == "cjk")
    han_keys = exploded(han, "keys").filter(pl.col("_key").str.len_chars() >= MIN_DELETION_CORE)
    chars = han_keys["_key"].str.split("").explode().unique()
    garbled = index.garbled
    hits = [
        men.join(
            index.names.select("registry_name").drop_nulls(),
            left_on="mention_name",
            right_on="registry_name",
            how="semi",
        ),
        exploded(men, "keys")
        .select("mid", hashed(pl.col("_key")))
        .join(index.keys, on="_key", how="semi"),
        index.deletions.holding(exploded(han, "deletions"), "_key"),
        Blocks(
            *(b.with_columns(hashed(pl.col("_key"))) for b in (garbled.all, garbled.local))
        ).holding(exploded(han, "garbled"), "_key"),
        index.zihao.holding(men.select("mid", "zihao", "_place"), "zihao"),
        han_keys.filter(hashed(pl.col("_key")).is_in(_swapped_into(index, chars).implode())),
    ]
    reached = pl.concat([hit.select(pl.col("mid").cast(pl.UInt32)) for hit in hits]).unique()
    return men.join(reached, on="mid", how="semi")["mention_name"]
