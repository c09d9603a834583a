"""Which of an earlier as-of date's links a later date can keep as they are.

A mention's link depends on nothing but (1) the mention itself (its name, date,
applicant address and IPC class, or its filed credit code), (2) the registry
firms its name reaches (its candidates and, through them, its rivals, its
namesakes and its pinyin reading: every feature after the registry index is
computed among one mention's candidates), (3) the IPC–industry fit levels of its
IPC class, the one feature learnt from all of a date's mentions, and (4) a
reviewer decision on it. So between an as-of date D' and a later D, a mention
whose attributes are the same, that reaches no firm whose registry rows changed
(under D'’s registry or D's), whose IPC class fits every industry at the same
level and that no reviewer decided, gets on D exactly the link it got on D'.

"Reaches" is tested with the resolver's own candidate generators run against an
index of the changed firms alone, without block caps or a limit on fuzzy
candidates: caps, limits and the "no exact hit" gates only ever remove
candidates, so every changed firm a full index could propose on either date is
proposed there. The test can flag too many mentions, never too few: the links
of a date resolved this way equal a full re-resolution of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import polars as pl

from capscore.entity_resolution.candidates import (
    RegistryIndex,
    generate_candidates,
    index_registry,
)
from capscore.entity_resolution.model import Comparison, comparisons, with_levels
from capscore.entity_resolution.normalize import parse_names
from capscore.entity_resolution.registry_names import REGISTRY_NAME_SCHEMA
from capscore.entity_resolution.romanized import (
    regional_keys,
    registry_keys,
    romanized_candidates,
)

# Features computed from all of a date's mentions, not from one mention and its
# candidates: a mention is re-resolved when the level one of these puts it on moves.
RUN_WIDE_FEATURES = frozenset({"ipc_lift"})
# No block is too common and no fuzzy candidate too far when only changed firms are
# indexed: every one of them a full index could propose must be found.
UNLIMITED = 2**31 - 1
SNAPSHOT_COLUMNS = ("credit_code", "name", "region_code", "industry_code", "established_date")


@dataclass(frozen=True)
class RegistrySnapshot:
    """What matching reads of the registry as of a date: each enterprise's place, industry
    and founding (SNAPSHOT_COLUMNS) and every name it is known by (REGISTRY_NAME_SCHEMA)."""

    enterprises: pl.DataFrame
    names: pl.DataFrame


@dataclass(frozen=True)
class Carried:
    """One link table's resolution of a date, as a later date may reuse it: the mentions
    (MENTION_SCHEMA plus what else the link reads), their links (mention_key plus the
    resolver's RESULT columns) and the IPC–industry lift it used."""

    mentions: pl.DataFrame
    links: pl.DataFrame
    lift: pl.DataFrame


@dataclass(frozen=True)
class Since:
    """An earlier as-of date's resolution: its registry and both link tables' results."""

    day: date
    registry: RegistrySnapshot
    applicants: Carried | None
    rd: Carried | None


@dataclass(frozen=True)
class Reuse:
    """One link table of an earlier date and how the registry changed since."""

    carried: Carried
    change: RegistryChange


def _changed_codes(before: RegistrySnapshot, after: RegistrySnapshot) -> pl.Series:
    """Credit codes whose matching-relevant registry rows differ between the snapshots."""
    codes = []
    for old, new in (
        (before.enterprises, after.enterprises),
        (before.names, after.names),
    ):
        columns = old.columns
        new = new.select(columns)
        for a, b in ((old, new), (new, old)):
            codes.append(a.join(b, on=columns, how="anti", nulls_equal=True)["credit_code"])
    return pl.concat(codes).unique().sort()


@dataclass(frozen=True)
class RegistryChange:
    """The firms whose registry rows differ between two as-of dates, indexed as on both."""

    codes: pl.Series
    enterprises: pl.DataFrame  # their SNAPSHOT_COLUMNS rows on either date
    names: pl.DataFrame  # their names on either date, parsed

    @cached_property
    def index(self) -> RegistryIndex:
        # One place per firm is enough: with no cap, blocks are never split by place.
        places = self.enterprises.unique("credit_code", keep="last").sort("credit_code")
        return index_registry(self.names, places, max_block=UNLIMITED)

    @cached_property
    def pinyin_keys(self) -> pl.DataFrame:
        keys = registry_keys(self.names)
        # A firm that moved is reachable from mentions of its old place and its new one.
        return pl.concat(
            [
                regional_keys(keys, self.enterprises.filter(first))
                for first in (
                    pl.int_range(pl.len()).over("credit_code") == 0,
                    pl.int_range(pl.len()).over("credit_code") > 0,
                )
            ]
        ).unique()


def registry_change(before: RegistrySnapshot, after: RegistrySnapshot) -> RegistryChange:
    codes = _changed_codes(before, after)
    chosen = pl.col("credit_code").is_in(codes.implode())
    enterprises = (
        pl.concat([before.enterprises.filter(chosen), after.enterprises.filter(chosen)])
        .unique(maintain_order=True)
        .sort("credit_code", maintain_order=True)
    )
    names = (
        pl.concat(
            [
                before.names.filter(chosen).select(list(REGISTRY_NAME_SCHEMA)),
                after.names.filter(chosen).select(list(REGISTRY_NAME_SCHEMA)),
            ]
        )
        .unique(["credit_code", "registry_name"])
        .sort("credit_code", "registry_name")
    )
    parsed = parse_names(names["registry_name"].unique().sort()).rename({"name": "registry_name"})
    return RegistryChange(codes, enterprises, names.join(parsed, on="registry_name", how="left"))


def reaching(names: pl.Series, change: RegistryChange) -> pl.Series:
    """The mention names among `names` that reach a changed firm (module doc)."""
    if change.codes.len() == 0 or names.len() == 0:
        return pl.Series("mention_name", [], dtype=pl.String)
    distinct = names.drop_nulls().unique().sort()
    by_name = generate_candidates(parse_names(distinct), change.index, max_fuzzy=UNLIMITED)
    latin = distinct.filter(~distinct.str.contains(r"\p{Han}"))
    # Without an address a reading joins every firm of its key, wherever it lies: a
    # superset of what any address would let it reach.
    queries = pl.DataFrame(
        {"mention_name": latin, "address_code": pl.Series([None] * latin.len(), dtype=pl.String)}
    ).with_row_index("query")
    by_pinyin = romanized_candidates(queries.cast({"query": pl.Int64}), change.pinyin_keys)
    pinyin_names = queries.join(by_pinyin.select("query").unique(), on="query")["mention_name"]
    return pl.concat([by_name["mention_name"], pinyin_names]).unique()


def _run_wide_comparisons() -> tuple[Comparison, ...]:
    reading = tuple(
        c
        for c in comparisons()
        if any(column in RUN_WIDE_FEATURES for lv in c.levels for column in (lv.when or {}))
    )
    mixed = [
        c.name
        for c in reading
        if any(column not in RUN_WIDE_FEATURES for lv in c.levels for column in (lv.when or {}))
    ]
    if mixed:
        # Reuse would need to know which candidates such a comparison reads.
        raise ValueError(f"comparisons {mixed} mix run-wide and per-pair features")
    return reading


def moved_ipc_classes(before: pl.DataFrame, after: pl.DataFrame) -> pl.Series:
    """IPC subclasses whose fit level with some industry division differs between two
    lifts (division, ipc_subclass, ipc_lift; a missing row is no evidence)."""
    specs = _run_wide_comparisons()
    both = before.join(
        after, on=["division", "ipc_subclass"], how="full", coalesce=True, suffix="_after"
    )

    def levels(column: str) -> pl.DataFrame:
        return with_levels(both.select(pl.col(column).alias("ipc_lift")), specs).drop("ipc_lift")

    old, new = levels("ipc_lift"), levels("ipc_lift_after")
    moved = pl.any_horizontal([old[c] != new[c] for c in old.columns]) if old.width else False
    return both.filter(moved)["ipc_subclass"].unique()


def kept_links(
    since: Carried,
    mentions: pl.DataFrame,
    lift: pl.DataFrame,
    change: RegistryChange,
    decided: pl.Series | None,
) -> pl.DataFrame:
    """The rows of `since.links` whose mention (same key, same attributes: the columns
    of `mentions`) cannot link differently now (module doc). `decided`: mention keys a
    reviewer decision applies to now."""
    same = mentions.join(since.mentions, on=mentions.columns, how="semi", nulls_equal=True)
    model_made = since.links.filter(pl.col("decided_by") == "model")
    same = same.join(model_made.select("mention_key"), on="mention_key", how="semi")
    if decided is not None:
        same = same.filter(~pl.col("mention_key").is_in(decided.implode()))
    moved = moved_ipc_classes(since.lift, lift)
    same = same.filter(~pl.col("ipc_subclass").is_in(moved.implode()).fill_null(False))
    if change.codes.len():
        same = same.filter(
            ~pl.col("mention_name").is_in(reaching(same["mention_name"], change).implode())
            & ~pl.col("filed_code").is_in(change.codes.implode()).fill_null(False)
        )
    return model_made.join(same.select("mention_key"), on="mention_key", how="semi")
