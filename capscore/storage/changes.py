"""An as-of partition stored as its changes against a base snapshot.

Most of a day's state (every patent, every applicant link) is the day before's:
storing a full copy per as-of date grows the lake by the whole state a day. A keyed
as-of table (`Table.keys`) instead stores each date as the rows that differ from a
base snapshot, kept once in a table of bases (see `storage.lake`):

- an `upsert` row: a row of the state that the base lacks or holds otherwise;
- a `delete` row: the key of a base row that is no longer in the state;
- one `base` row naming the base (`_base`; null: the empty base).

The state is the base without the keys the changes name, plus the upserts. Any
state can be stored this way; when the changes would not be much smaller than the
state itself (or the keys do not identify rows, or the columns differ) the state
becomes a base of its own and the date stores only its `base` row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from capscore.storage.hashing import row_hash

OP = "_op"
BASE = "_base"
HEADER, UPSERT, DELETE = "base", "upsert", "delete"
BOOKKEEPING = (OP, BASE)

# When a date's changes are kept against an old base rather than making the state a
# new base. Changes accumulate from the base: with c rows changing a day on N, a base
# kept K days costs N / K + c * K / 2 rows a day, least (sqrt(2 N c)) at K = sqrt(2 N / c),
# that is when the changes (c K) times the days since the base (K) reach 2 N. And never
# more changes than half the state: then the state itself is the smaller record.
REBASE_AT_CHANGES_TIMES_DAYS = 2.0
MAX_CHANGE_SHARE = 0.5
# Rows are compared by a 64-bit hash of their values next to their keys: the base is
# never held whole to diff against it. A changed row is taken for unchanged only if its
# hash collides with its old one (2**-64: at ten thousand changed rows a day, once in
# billions of years). A base stores its rows' hashes (FINGERPRINT, 8 bytes a row), so
# a date's diff reads them instead of reading and hashing the whole base again (at 1M:
# 3.6 s of the 5.4 s a patents diff took). Polars' hashes may differ between its
# versions (or when `row_hash` changes): then every row looks changed and the state
# becomes a new base, which costs space once and is still exact.
FINGERPRINT = "_fingerprint"
_ROW, _BASE_ROW, _OLD = "_row", "_base_row", "_old"


def _row_hash(columns: Sequence[str]) -> pl.Expr:
    # Signed: Delta Lake has no unsigned integers.
    return row_hash(columns).reinterpret(signed=True).alias(FINGERPRINT)


def with_fingerprint(state: pl.DataFrame) -> pl.DataFrame:
    """`state` as a base stores it: each row's hash in FINGERPRINT."""
    return state.with_columns(_row_hash(state.columns))


def without_fingerprint(base: pl.LazyFrame) -> pl.LazyFrame:
    """A base's rows as the state they describe."""
    return base.drop(FINGERPRINT, strict=False)


def _fingerprints(frame: pl.LazyFrame, keys: Sequence[str]) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    if FINGERPRINT in names:
        return frame.select(*keys, FINGERPRINT)
    return frame.select(*keys, _row_hash(names))


def _unique(frame: pl.DataFrame, keys: Sequence[str]) -> bool:
    return not frame.select(pl.struct(keys).is_duplicated().any()).item()


def changes(base: pl.LazyFrame, state: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame | None:
    """The upsert and delete rows that turn `base` into `state`; None when the two
    cannot be related by `keys` (different columns, keys it lacks or keys that repeat).
    `base` may hold its rows' FINGERPRINT (as written by with_fingerprint)."""
    keys = list(keys)
    if without_fingerprint(base).collect_schema() != state.schema or not set(keys) <= set(
        state.columns
    ):
        return None
    old = _base_keys(base, keys)
    made = _located(_fingerprints(state.lazy(), keys).with_row_index(_ROW).collect(), old, keys)
    if made is None:
        return None
    held = _held(made[_BASE_ROW], old)
    if held is None:
        return None
    deletes = _deleted(old, held, keys)
    # A key repeated on one side and absent from the other: its rows are all upserts or
    # all deletes (on a night, few).
    if not (_unique(_new_keys(made, keys), keys) and _unique(deletes, keys)):
        return None
    return _as_delta(state.select(pl.all().gather(_changed(made))), deletes)


@dataclass(frozen=True)
class Update:
    """A date's rows as a stage made them: all of them (`keep` None), or, when it kept
    rows of an earlier date, the rows it made (`made`) and the keys of the earlier rows
    that stand as they are (`keep`), which it never read: what lake.write_partition_update
    stores a date by."""

    made: pl.DataFrame
    keep: pl.DataFrame | None = None

    def on(self, earlier: pl.DataFrame) -> pl.DataFrame:
        """The whole state, given the earlier date's rows (sorted by the keys)."""
        if self.keep is None:
            return self.made
        keys = self.keep.columns
        stand = earlier.join(self.keep, on=keys, how="semi", nulls_equal=True)
        return pl.concat([stand, self.made]).sort(keys, maintain_order=True)


_KEY_HASH, _OLD_KEY = "_key_hash", "_old_key_"


def _key_hash(keys: Sequence[str]) -> pl.Expr:
    return row_hash(keys).alias(_KEY_HASH)


def _located(frame: pl.DataFrame, old: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
    """`frame` (holding `keys`) with the _BASE_ROW and FINGERPRINT of its key in `old`
    (null where the base lacks it); None if a hash matched another key or several base
    rows. A join on one 64-bit hash of the keys, then the keys compared: several times
    faster than joining on a text and a number column at a million rows."""
    found = frame.with_columns(_key_hash(keys)).join(old, on=_KEY_HASH, how="left", suffix=_OLD)
    if found.height != frame.height:
        return None
    matched = found.filter(pl.col(_BASE_ROW).is_not_null())
    same = pl.all_horizontal(pl.col(k).eq_missing(pl.col(_OLD_KEY + k)) for k in keys)
    if not matched.select(same.all()).item():
        return None
    return found.drop(_KEY_HASH, *(_OLD_KEY + k for k in keys))


def _base_keys(base: pl.LazyFrame, keys: list[str]) -> pl.DataFrame:
    """Each base row's key hash, _BASE_ROW, FINGERPRINT and keys (as _OLD_KEY + key)."""
    return (
        _fingerprints(base, keys)
        .with_row_index(_BASE_ROW)
        .select(
            _key_hash(keys),
            _BASE_ROW,
            FINGERPRINT,
            *(pl.col(k).alias(_OLD_KEY + k) for k in keys),
        )
        .collect(engine="streaming")
    )


def _held(rows: pl.Series, old: pl.DataFrame) -> pl.Series | None:
    """A mark (1) on each base row some of `rows` (base row numbers, null: none) holds;
    None when one is held twice."""
    held = rows.drop_nulls()
    marked = pl.zeros(old.height, pl.UInt8, eager=True).scatter(held, 1)
    return marked if marked.sum() == held.len() else None


def _deleted(old: pl.DataFrame, held: pl.Series, keys: list[str]) -> pl.DataFrame:
    """The keys of the base rows not held (`_held`'s marks), in base order."""
    return old.filter(held == 0).select(pl.col(_OLD_KEY + k).alias(k) for k in keys)


def _new_keys(located: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return located.filter(pl.col(_BASE_ROW).is_null()).select(keys)


def _changed(made: pl.DataFrame) -> pl.Series:
    """The row numbers of `made` (located, with FINGERPRINT) its base holds otherwise."""
    return made.filter(pl.col(FINGERPRINT).ne_missing(pl.col(FINGERPRINT + _OLD)))[_ROW].sort()


def _as_delta(upserts: pl.DataFrame, deletes: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(
        [
            upserts.with_columns(pl.lit(UPSERT).alias(OP)),
            deletes.with_columns(pl.lit(DELETE).alias(OP)),
        ],
        how="diagonal_relaxed",
    ).with_columns(pl.lit(None, pl.String).alias(BASE))


def changes_since(
    base: pl.LazyFrame,
    since: pl.DataFrame,
    kept: pl.DataFrame,
    rows: pl.DataFrame,
    keys: Sequence[str],
    order: Sequence[str] = (),
) -> tuple[pl.DataFrame, int] | None:
    """What `changes` gives for the state "the rows of an earlier state whose keys are in
    `kept`, plus `rows`" and that state's height, without that state: `since` is the
    earlier state as stored against `base` (its changes, as `stored` made them; its base
    row may be left in). The earlier rows kept are never read: a row the earlier state
    holds as the base does is no change now either, and one it changed is in `since`.
    None when the state cannot be stored so (`changes`' reasons, or `rows` repeating a
    kept key or keys `kept` names and the earlier state lacks). The upserts come in the
    order `changes` gives a state sorted by `order` then `keys`."""
    keys = list(keys)
    if without_fingerprint(base).collect_schema() != rows.schema or not set(keys) <= set(
        rows.columns
    ):
        return None
    old = _base_keys(base, keys)
    earlier_upserts = since.filter(pl.col(OP) == UPSERT).select(rows.columns)
    earlier_deletes = since.filter(pl.col(OP) == DELETE).select(keys)
    stand = _located(kept.select(keys), old, keys)
    made = _located(_fingerprints(rows.lazy(), keys).with_row_index(_ROW).collect(), old, keys)
    upserted = _located(earlier_upserts.select(keys).with_row_index(_ROW), old, keys)
    deleted = _located(earlier_deletes, old, keys)
    if stand is None or made is None or upserted is None or deleted is None:
        return None
    in_base = pl.col(_BASE_ROW).is_not_null()
    # Base rows the state holds (kept as they are or made again): each at most once.
    held = _held(pl.concat([stand[_BASE_ROW], made[_BASE_ROW]]), old)
    # Keys the base lacks: new since the base (the earlier state's upserts) or now.
    stand_new = _new_keys(stand, keys)
    if (
        held is None
        or not _unique(pl.concat([stand_new, _new_keys(made, keys)]), keys)
        # A kept key the earlier state holds: in its base and not deleted, or upserted.
        or stand.filter(in_base)[_BASE_ROW].is_in(deleted[_BASE_ROW].drop_nulls().implode()).any()
        or stand_new.join(upserted.select(keys), on=keys, how="anti", nulls_equal=True).height
    ):
        return None
    kept_rows = stand.filter(in_base)[_BASE_ROW].implode()
    standing = upserted.filter(
        pl.col(_BASE_ROW).is_in(kept_rows)
        | (
            ~in_base
            & pl.struct(keys).is_in(stand_new.select(pl.struct(keys)).to_series().implode())
        )
    )[_ROW]
    upserts = pl.concat(
        [
            earlier_upserts.select(pl.all().gather(standing.sort())),
            rows.select(pl.all().gather(_changed(made))),
        ]
    ).sort([*order, *keys], maintain_order=True, nulls_last=False)
    return _as_delta(upserts, _deleted(old, held, keys)), stand.height + made.height


def worth_keeping(changed: int, state: int, days_from_base: int) -> bool:
    """Whether `changed` rows kept against a base `days_from_base` old are a better
    record of a state of `state` rows than the state itself."""
    return changed <= MAX_CHANGE_SHARE * state and (
        changed * max(days_from_base, 1) <= REBASE_AT_CHANGES_TIMES_DAYS * state
    )


def new_base_id(day: date) -> str:
    """A base's name: the date it was taken on, and a suffix of its own (a date rebuilt
    takes a new base; the old one stays while a date or a published warehouse needs it)."""
    return f"{day.isoformat()}-{uuid.uuid4().hex[:8]}"


def base_date(base_id: str) -> date:
    return date.fromisoformat(base_id[:10])


def header(base_id: str | None) -> pl.DataFrame:
    return pl.DataFrame({OP: [HEADER], BASE: [base_id]}, schema={OP: pl.String, BASE: pl.String})


def stored(delta: pl.DataFrame, base_id: str | None) -> pl.DataFrame:
    """What the date's partition holds: its `base` row, then its changes."""
    return pl.concat([header(base_id), delta], how="diagonal_relaxed")


def base_of(partition: pl.DataFrame) -> str | None:
    """The base a stored partition names (read from its `base` row)."""
    found = partition.filter(pl.col(OP) == HEADER)[BASE]
    if found.len() != 1:
        raise ValueError(f"a stored as-of partition names {found.len()} bases, expected 1")
    return found.item()


def scan_applied(base: pl.LazyFrame, partition: pl.DataFrame, keys: Sequence[str]) -> pl.LazyFrame:
    """The state a stored partition describes on `base` (base rows in their order, then
    the upserts), lazily: a query on it reads only what it needs of the base.
    `partition` may hold more columns than the base."""
    touched = partition.filter(pl.col(OP) != HEADER).select(keys)
    if touched.is_empty():  # a base of its own, or a day that changed nothing
        return base
    schema = base.collect_schema()
    if len(keys) == 1:
        # A filter where one column is the key: an anti-join gathers the wide base rows
        # one by one (3M patents: 2.6 s against 0.4 s).
        dropped = touched[keys[0]].implode()
        kept = base.filter(~pl.col(keys[0]).is_in(dropped, nulls_equal=True))
    else:
        kept = base.join(
            touched.lazy(), on=list(keys), how="anti", nulls_equal=True, maintain_order="left"
        )
    upserts = partition.filter(pl.col(OP) == UPSERT).select(schema.names()).cast(schema)
    return pl.concat([kept, upserts.lazy()], how="vertical")
