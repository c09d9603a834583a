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

"Reaches" is tested with the resolver's own candidate generator (for the names no
registry firm bears, the keys it would derive from each, kept from night to night:
reach_keys.py) run against each date's registry index restricted to the changed
firms' rows (with the blocks as that date's full index uses them: a block too common
to use stays unused) plus every block a changed firm makes used on one date and
unused on the other (a firm that arrives can push a block past its cap, and every
mention that used it loses those candidates), with no limit on fuzzy candidates. The
limits only ever remove candidates, and so do the "no exact hit" gates, of which one
is applied exactly: a name an unchanged firm bears hits it exactly on both dates,
gets no fuzzy candidate on either, and is tested for exact and normalized hits alone
(at a million firms this spares most of the mentions a changed firm's blocks hold).
So every changed firm a full index proposes on either date is proposed there: the
test can flag too many mentions, never too few, and the links of a date resolved
this way equal a full re-resolution of it (tests/unit/test_er_incremental.py, and
the end-to-end test compares nightly runs with a backfill that recomputes
everything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from capscore.entity_resolution.candidates import (
    Blocks,
    RegistryIndex,
    deletion_keys,
    directly_found,
    index_registry,
    name_keys,
)
from capscore.entity_resolution.model import Comparison, comparisons, with_levels
from capscore.entity_resolution.normalize import parse_names_once
from capscore.entity_resolution.reach_keys import NameKeys, found
from capscore.entity_resolution.registry import PreparedRegistry, RegistrySnapshot, with_parse
from capscore.entity_resolution.romanized import (
    key_starts,
    may_read_as,
    romanized_candidates,
)
from capscore.storage.hashing import row_hash

# Features computed from all of a date's mentions, not from one mention and its
# candidates: a mention is re-resolved when the level one of these puts it on moves.
RUN_WIDE_FEATURES = frozenset({"ipc_lift"})
# No block is too common and no fuzzy candidate too far when only changed firms are
# indexed: every one of them a full index could propose must be found.
UNLIMITED = 2**31 - 1


# The hash of a mention's columns but its key (mention_rows).
MENTION_ROW = "_mention_row"


def mention_rows(mentions: pl.DataFrame) -> pl.DataFrame:
    """mention_key and a 64-bit hash of the mention's other columns, in their order: what
    a later date compares its mentions with, without holding the earlier ones (a changed
    mention is taken for the same only if its hash collides: 2**-64 per mention)."""
    others = [c for c in mentions.columns if c != "mention_key"]
    return mentions.select("mention_key", row_hash(others).alias(MENTION_ROW))


@dataclass(frozen=True)
class Carried:
    """One link table's resolution of a date, as a later date may reuse it: its mentions'
    mention_rows (of MENTION_SCHEMA plus what else the link reads), their links
    (mention_key plus the resolver's RESULT columns; lazy, so that a date read back from
    the lake loads only the rows kept) and the IPC–industry lift it used; `kept`: how
    many of the links were kept from an earlier date; `kinds`: the applicant links'
    names with their applicant_kind, what a later date need not classify again;
    `names`: the mentions' distinct names (empty when read back: only the run that
    resolved them keeps their reach test's keys)."""

    mention_rows: pl.DataFrame
    links: pl.LazyFrame
    lift: pl.DataFrame
    kept: int = 0
    kinds: pl.DataFrame | None = None
    names: pl.Series = field(default_factory=lambda: pl.Series("mention_name", [], pl.String))

    @classmethod
    def of(
        cls,
        mentions: pl.DataFrame,
        links: pl.LazyFrame,
        lift: pl.DataFrame,
        kept: int = 0,
        kinds: pl.DataFrame | None = None,
    ) -> Carried:
        names = mentions["mention_name"].unique()
        return cls(mention_rows(mentions), links, lift, kept, kinds, names)


@dataclass(frozen=True)
class Since:
    """An earlier as-of date's resolution: its registry and both link tables' results."""

    day: date
    registry: RegistrySnapshot
    applicants: Carried | None
    rd: Carried | None

    def reuse(self, now: PreparedRegistry, keys: NameKeys) -> tuple[Reuse | None, Reuse | None]:
        """What the applicant and the rd links of this date give a date whose registry is
        `now` (`keys`: as Reuse holds them)."""
        change = registry_change(self.registry, now)
        app, rd = (
            None if c is None else Reuse(c, change, keys) for c in (self.applicants, self.rd)
        )
        return app, rd


@dataclass(frozen=True)
class Reuse:
    """One link table of an earlier date, how the registry changed since, and the
    reach test's keys of the names met so far (kept from run to run)."""

    carried: Carried
    change: RegistryChange
    keys: NameKeys = field(default_factory=NameKeys)


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


# Each block table of the index and the column holding its key.
_BLOCKS = {"garbled": "_key", "deletions": "_key", "zihao": "zihao"}


def _use(blocks: Blocks, key: str, values: pl.DataFrame) -> pl.DataFrame:
    """For each key of `values`: whether its block is used everywhere, and the places
    where it is used split by place."""
    everywhere = (
        blocks.all.join(values, on=key, how="semi")
        .select(key)
        .unique()
        .with_columns(pl.lit(True).alias("_everywhere"))
    )
    places = (
        blocks.local.join(values, on=key, how="semi")
        .group_by(key)
        .agg(pl.col("_place").unique().sort().alias("_places"))
    )
    return values.join(everywhere, on=key, how="left").join(places, on=key, how="left")


def _flipped(
    before: RegistryIndex, after: RegistryIndex, touched: RegistryIndex
) -> dict[str, pl.DataFrame]:
    """Per block table, the keys of changed firms (`touched` indexes every key they have
    on either date) whose block is used differently on the two dates: a firm that
    arrives can make a block too common to use, and every mention that used it loses
    its candidates."""
    flipped = {}
    for table, key in _BLOCKS.items():
        values = getattr(touched, table).all.select(key).unique()
        old = _use(getattr(before, table), key, values)
        new = _use(getattr(after, table), key, values)
        both = old.join(new, on=key, suffix="_after")
        differs = (
            pl.col("_everywhere").fill_null(False) != pl.col("_everywhere_after").fill_null(False)
        ) | pl.col("_places").ne_missing(pl.col("_places_after"))
        flipped[table] = both.filter(differs).select(key)
    return flipped


def _restricted(
    index: RegistryIndex,
    codes: pl.Series,
    flipped: dict[str, pl.DataFrame],
    characters: pl.Series,
) -> RegistryIndex:
    """`index` reduced to the rows of firms in `codes` and the whole of every flipped
    block: what a mention can reach of the changes. Names stay in place (rows are
    looked up by position) but only the changed firms' can be hit exactly."""
    rids = index.names.filter(pl.col("credit_code").is_in(codes.implode()))["rid"].implode()
    changed = pl.col("rid").is_in(rids)

    def reduced(table: str) -> Blocks:
        blocks: Blocks = getattr(index, table)
        key = _BLOCKS[table]
        keep = changed | pl.col(key).is_in(flipped[table][key].implode())
        return Blocks(blocks.all.filter(keep), blocks.local.filter(keep))

    return RegistryIndex(
        names=index.names.with_columns(
            pl.when(changed).then(pl.col("registry_name")).alias("registry_name")
        ),
        keys=index.keys.filter(changed),
        # A look-alike swap can only hit a changed firm's key with one of its characters.
        characters=characters,
        garbled=reduced("garbled"),
        deletions=reduced("deletions"),
        zihao=reduced("zihao"),
    )


def _merged(first: RegistryIndex, second: RegistryIndex) -> RegistryIndex:
    """One index holding both: `second`'s rows numbered after `first`'s. A mention finds
    in it every candidate it finds in either (the exact-hit gates only narrow the search
    for mentions that hit a changed firm exactly, which reach it anyway)."""
    offset = first.names.height

    def shifted(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(pl.col("rid") + offset)

    def blocks(a: Blocks, b: Blocks) -> Blocks:
        return Blocks(pl.concat([a.all, shifted(b.all)]), pl.concat([a.local, shifted(b.local)]))

    return RegistryIndex(
        names=pl.concat([first.names, shifted(second.names)]),
        keys=pl.concat([first.keys, shifted(second.keys)]),
        characters=pl.concat([first.characters, second.characters]).unique().sort(),
        garbled=blocks(first.garbled, second.garbled),
        deletions=blocks(first.deletions, second.deletions),
        zihao=blocks(first.zihao, second.zihao),
    )


def _front_pairs(key: pl.Expr) -> list[pl.Expr]:
    """The character pairs a key's first three characters make, in order."""
    first, second, third = (key.str.slice(at, 1) for at in range(3))
    return [first + second, first + third, second + third]


def _holding(names: pl.DataFrame, touched: RegistryIndex) -> pl.Series:
    """The credit codes of `names` (parsed registry names) with a key in one of the block
    tables of `touched` (all of whose rows are in its `all`)."""
    keys = name_keys(names.select("credit_code", "script", "core", "core_strict"))
    # A key and a touched key share a 1-deletion key only if they share one of the
    # pairs their first three characters make (the first two of a deletion key are
    # 01, 02 or 12 of the key it was cut from): only those keys are cut.
    touched_pairs = pl.concat(
        touched.garbled.all.select(pair.alias("_pair")) for pair in _front_pairs(pl.col("_key"))
    )["_pair"].implode()
    near = keys.filter(
        (pl.col("script") == "cjk")
        & pl.any_horizontal(pair.is_in(touched_pairs) for pair in _front_pairs(pl.col("_key")))
    ).select("credit_code", "_key")

    def holders(frame: pl.DataFrame, table: str) -> pl.Series:
        key = _BLOCKS[table]
        held = getattr(touched, table).all.select(key).unique()
        return frame.join(held, on=key, how="semi")["credit_code"]

    # Cut _CUT_AT_A_TIME keys at a time: every 1-deletion key of the near keys at once
    # is the largest frame of a registry night.
    cut = [
        holders(deletion_keys(near.slice(start, _CUT_AT_A_TIME)), "deletions")
        for start in range(0, near.height, _CUT_AT_A_TIME)
    ]
    return pl.concat(
        [
            holders(keys, "garbled"),
            *cut,
            holders(names.select("credit_code", "zihao"), "zihao"),
        ]
    ).unique()


_CUT_AT_A_TIME = 100_000


@dataclass(frozen=True)
class RegistryChange:
    """The firms whose registry rows differ between two as-of dates: both dates' indexes
    restricted to what they touch, in one, and their rows on either date."""

    codes: pl.Series
    index: RegistryIndex
    enterprises: pl.DataFrame  # SNAPSHOT_COLUMNS rows on either date
    names: pl.DataFrame  # names on either date, parsed
    parsed: pl.DataFrame  # every registry name of the later date parsed (PARSED_SCHEMA)


def registry_change(before: RegistrySnapshot, after: PreparedRegistry) -> RegistryChange:
    codes = _changed_codes(before, after.snapshot)
    changed = pl.col("credit_code").is_in(codes.implode())
    enterprises = (
        pl.concat([before.enterprises.filter(changed), after.enterprises.filter(changed)])
        .unique(maintain_order=True)
        .sort("credit_code", maintain_order=True)
    )
    parsed = after.parsed()
    if codes.len() == 0:
        # A date with no registry drop since: nothing to reach, and the earlier date's
        # full index (the costly part) is not built.
        unused = {
            table: getattr(after.index, table).all.select(key).clear()
            for table, key in _BLOCKS.items()
        }
        nothing = _restricted(after.index, codes, unused, pl.Series([], dtype=pl.String))
        return RegistryChange(codes, nothing, enterprises, after.names.clear(), parsed)
    old_names = with_parse(before.names.filter(changed), parsed)
    names = (
        pl.concat([old_names, after.names.filter(changed)])
        .unique(["credit_code", "registry_name"], keep="first", maintain_order=True)
        .sort("credit_code", "registry_name")
    )
    # One place per firm is enough to list its keys: nothing is capped here.
    touched = index_registry(
        names, enterprises.unique("credit_code", keep="last"), max_block=UNLIMITED
    )
    # Unchanged firms have the same names (and parses) on both dates. The earlier
    # registry is indexed over the firms holding a key a changed firm has: every block
    # read below is such a key's, and holds the same firms as in an index of the whole.
    unchanged = after.names.filter(~changed)
    neighbours = unchanged.filter(pl.col("credit_code").is_in(_holding(unchanged, touched)))
    before_index = index_registry(pl.concat([neighbours, old_names]), before.enterprises)
    flipped = _flipped(before_index, after.index, touched)
    restricted = (
        _restricted(index, codes, flipped, touched.characters)
        for index in (before_index, after.index)
    )
    return RegistryChange(codes, _merged(*restricted), enterprises, names, parsed)


def reaching(names: pl.Series, change: RegistryChange, keys: NameKeys) -> pl.Series:
    """The mention names among `names` that reach a changed firm (module doc); `keys`:
    the keys of the names met so far (reach_keys.py)."""
    if change.codes.len() == 0 or names.len() == 0:
        return pl.Series("mention_name", [], dtype=pl.String)
    distinct = names.drop_nulls().unique().sort()
    # A name with an exact hit gets no fuzzy candidate. A registry name of the later
    # date is a changed firm's (an exact hit on it, found below) or an unchanged firm's,
    # the same on both dates: then only its exact and normalized candidates can be
    # changed firms. (Its parse is the registry's: nothing to parse.)
    registered = distinct.is_in(change.parsed["name"].implode())
    by_exact = directly_found(
        parse_names_once(distinct.filter(registered), change.parsed), change.index
    )
    by_keys = found(keys.of(distinct.filter(~registered), change.parsed), change.index)
    latin = distinct.filter(~distinct.str.contains(r"\p{Han}"))
    latin = latin.filter(may_read_as(latin, key_starts(change.names)))
    # Without an address a reading joins every firm of its key, wherever it lies: a
    # superset of what any address would let it reach.
    nothing = pl.repeat(None, latin.len(), dtype=pl.String, eager=True)
    queries = pl.DataFrame(
        {"mention_name": latin, "address_code": nothing, "address_street": nothing}
    ).with_row_index("query")
    by_pinyin = romanized_candidates(
        queries.cast({"query": pl.Int64}), change.names, change.enterprises
    )
    pinyin_names = queries.join(by_pinyin.select("query").unique(), on="query")["mention_name"]
    return pl.concat([by_exact, by_keys, pinyin_names]).unique()


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


def kept_mentions(
    since: Carried,
    mentions: pl.DataFrame,
    hashed: pl.DataFrame,
    lift: pl.DataFrame,
    change: RegistryChange,
    decided: pl.Series | None,
    keys: NameKeys,
) -> pl.Series:
    """Per mention of `mentions`, in their order: whether its link in `since.links`
    stands as it is (same key, same attributes: the columns of `mentions`, `hashed` by
    mention_rows row for row; and it cannot link differently now: module doc). The links
    themselves are not read: a date stores the earlier rows it keeps by their keys.
    `decided`: mention keys a reviewer decision applies to now; `keys`: the reach test's
    (reach_keys.NameKeys). A mask, not keys: callers split their rows by it without a
    join on millions of string keys."""

    # One 64-bit hash of key and row per mention, compared within this run: a hash set
    # of the earlier mentions rather than of their string keys (a collision keeps a
    # changed link: 2**-64 per pair, as mention_rows already accepts).
    def pair(rows: pl.DataFrame) -> pl.Series:
        return rows.select(row_hash(["mention_key", MENTION_ROW])).to_series()

    unchanged = pair(hashed).is_in(pair(since.mention_rows).implode())
    # The few links a person decided are read, not the millions the model made.
    decided_then = since.links.filter(pl.col("decided_by").ne_missing("model"))
    decided_then_keys = decided_then.select("mention_key").collect().to_series().implode()
    # Only the columns the tests below read: `mentions` is wide.
    same = (
        mentions.select("mention_key", "mention_name", "ipc_subclass", "filed_code")
        .with_row_index(_AT)
        .filter(unchanged & ~pl.col("mention_key").is_in(decided_then_keys))
    )
    if decided is not None:
        same = same.filter(~pl.col("mention_key").is_in(decided.implode()))
    moved = moved_ipc_classes(since.lift, lift)
    same = same.filter(~pl.col("ipc_subclass").is_in(moved.implode()).fill_null(False))
    if change.codes.len():
        same = same.filter(
            ~pl.col("mention_name").is_in(reaching(same["mention_name"], change, keys).implode())
            & ~pl.col("filed_code").is_in(change.codes.implode()).fill_null(False)
        )
    return rows_at(same[_AT], mentions.height)


# A row's position in the frame it was taken from.
_AT = "_at"


def rows_at(positions: pl.Series, height: int) -> pl.Series:
    """A mask of `height` rows, true at `positions`."""
    return pl.repeat(False, height, eager=True).scatter(positions, True).alias("kept")
