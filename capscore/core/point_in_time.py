"""The point-in-time visibility rule shared by every as-of table (scoring.md, architecture.md).

As of day D a raw record is visible iff its drop landed on or before D *and* its
own date (snapshot_date, publication_date, reported_date) is on or before D.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import polars as pl

from capscore.storage.tables import LANDING_DATE

# Ties between versions of one record that landed the same day, dated the same
# day, are broken by file then row: the later file/row in the drop wins.
LINEAGE_ORDER = ("_file", "_row_number")


def _visible(as_of: date, own_date: str) -> pl.Expr:
    return (pl.col(LANDING_DATE) <= pl.lit(as_of)) & (pl.col(own_date) <= pl.lit(as_of))


def visible_as_of(raw: pl.DataFrame, as_of: date, own_date: str) -> pl.DataFrame:
    """Rows of a raw lake frame (with its hive `landing_date`) knowable on `as_of`."""
    return raw.filter(_visible(as_of, own_date))


def became_visible(earlier: date, as_of: date, own_date: str) -> pl.Expr:
    """Whether a raw row is knowable on `as_of` and was not on `earlier` (< `as_of`): what a
    state as of `earlier` lacks of the state as of `as_of`."""
    return _visible(as_of, own_date) & ~_visible(earlier, own_date)


def among(key: pl.Expr, keys: pl.Series) -> pl.Expr:
    """Whether a row's `key` is one of `keys` (a null key is, when a null is one)."""
    return key.is_in(keys.implode(), nulls_equal=True)


def keys_where(raw: pl.LazyFrame, key: pl.Expr, changed: pl.Expr) -> pl.Series:
    """The distinct `key` values of the rows of `raw` where `changed` holds."""
    return raw.filter(changed).select(key.alias("_key")).unique().collect()["_key"]


def records_of_keys(raw: pl.LazyFrame, key: pl.Expr, changed: pl.Expr) -> pl.LazyFrame:
    """Every row of `raw` whose `key` is that of a row where `changed` holds."""
    return raw.filter(among(key, keys_where(raw, key, changed)))


def with_keys_replaced(
    earlier: pl.LazyFrame, fresh: pl.DataFrame, key: str, keys: pl.Series, order: list[str]
) -> pl.DataFrame:
    """`earlier` (a state) with the rows of `keys` (the values of its `key` column whose
    records changed) replaced by `fresh` (every row of those keys now), sorted by
    `order`: for a state whose rows of a key depend on that key's records alone, the
    state recomputed from all records. Lazy, so that a state read from the lake is not
    held beside the one made from it."""
    # A filter, not an anti-join: a join gathers the wide rows (3M patents) one by one.
    kept = earlier.select(fresh.columns).filter(~among(pl.col(key), keys)).collect()
    # Sorted eagerly: a lazy sort of the concatenation takes twice as long.
    return pl.concat([kept.cast(fresh.schema), fresh]).sort(order)


def latest_per_key(
    frame: pl.DataFrame,
    key: list[str],
    order: list[str],
    first: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """One row per `key`, in key order: the last by `order` (ascending, nulls first, so
    a null date loses); `first`: columns whose value at the key's first row by `order`
    it also carries (column -> alias). One sort, then each key's run read off its ends."""
    ordered = frame.sort([*key, *order], nulls_last=False)
    row = pl.int_range(pl.len())

    def differs(step: int) -> pl.Expr:
        return pl.any_horizontal(pl.col(k).ne_missing(pl.col(k).shift(step)) for k in key)

    run_start = pl.when((row == 0) | differs(1)).then(row).forward_fill()
    ends = (row == pl.len() - 1) | differs(-1)
    return ordered.with_columns(
        pl.col(column).gather(run_start).alias(alias) for column, alias in (first or {}).items()
    ).filter(ends)
