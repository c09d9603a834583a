"""Enterprises as of D: the latest visible registry snapshot per credit_code, plus SCD2 history.

Former names are built from everything visible: the registry's own `former_names`
and the names the enterprise carried in earlier snapshots (a patent filed before
a rename carries the old name, so entity resolution needs both).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.core.personal import mask_personal
from capscore.core.point_in_time import (
    LANDING_DATE,
    LINEAGE_ORDER,
    among,
    became_visible,
    keys_where,
    records_of_keys,
    visible_as_of,
    with_keys_replaced,
)
from capscore.row_lists import row_list

KEY = "credit_code"
# A later drop re-sending the same snapshot_date is a correction of that snapshot.
SNAPSHOT_ORDER = ["snapshot_date", LANDING_DATE, *LINEAGE_ORDER]
# Columns whose change opens a new SCD2 version (others, e.g. address, do not).
TRACKED = ["name", "status", "region_code", "industry_code", "legal_form", "registered_capital"]
HISTORY_COLUMNS = [
    KEY,
    "valid_from",
    "valid_to",
    "name",
    "former_names",
    "status",
    "region_code",
    "industry_code",
    "legal_form",
    "registered_capital",
    "snapshot_date",
]
_SEQ = "_snapshot_seq"


def _snapshots(raw_registry: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Visible snapshots, one per (credit_code, snapshot_date), numbered chronologically."""
    return (
        visible_as_of(raw_registry, as_of, "snapshot_date")
        .sort([KEY, *SNAPSHOT_ORDER], nulls_last=False)
        .unique(subset=[KEY, "snapshot_date"], keep="last", maintain_order=True)
        .with_columns(pl.int_range(pl.len()).over(KEY).alias(_SEQ))
    )


def _former_names_at(snapshots: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """Former names as known at each target (credit_code, seq, name).

    The names of snapshots 0..seq in order, each snapshot contributing its
    registry former_names (oldest first) then its own name; first occurrence
    wins and the target's current name is never a former name.
    """
    tokens = (
        snapshots.select(
            KEY,
            _SEQ,
            pl.col("former_names")
            .fill_null(pl.lit([], dtype=pl.List(pl.String)))
            .list.concat(row_list(pl.col("name")))
            .alias("_token"),
        )
        .explode("_token")
        # Snapshots are sorted chronologically per enterprise, so the row
        # index orders tokens by snapshot then by position in the list.
        .with_row_index("_order")
        .drop_nulls("_token")
        .rename({_SEQ: "_token_seq"})
    )
    names = (
        targets.select(KEY, _SEQ, pl.col("name").alias("_current"))
        .join(tokens, on=KEY, how="inner")
        .filter((pl.col("_token_seq") <= pl.col(_SEQ)) & (pl.col("_token") != pl.col("_current")))
        .sort([KEY, _SEQ, "_order"])
        .unique(subset=[KEY, _SEQ, "_token"], keep="first", maintain_order=True)
        .group_by([KEY, _SEQ], maintain_order=True)
        .agg(pl.col("_token").alias("former_names"))
    )
    return (
        targets.select(KEY, _SEQ)
        .join(names, on=[KEY, _SEQ], how="left")
        .with_columns(pl.col("former_names").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )


def _history(snapshots: pl.DataFrame) -> pl.DataFrame:
    # Snapshots are sorted by enterprise then date, so plain shifts compare
    # neighbours; `_SEQ == 0` and the key test stop them crossing enterprises.
    changed = pl.col(_SEQ) == 0
    for column in TRACKED:
        changed = changed | pl.col(column).ne_missing(pl.col(column).shift(1))
    same_next = pl.col(KEY).shift(-1) == pl.col(KEY)
    versions = (
        snapshots.with_columns(pl.col(_SEQ).max().over(KEY).alias("_last_seq"))
        .filter(changed)
        .with_columns(
            pl.col("snapshot_date").alias("valid_from"),
            pl.when(same_next).then(pl.col("snapshot_date").shift(-1)).alias("valid_to"),
            # Former names as known at the version's last snapshot, so that the
            # current version agrees with core/enterprise.
            pl.when(same_next)
            .then(pl.col(_SEQ).shift(-1) - 1)
            .otherwise(pl.col("_last_seq"))
            .alias("_end"),
        )
    )
    # The name is tracked, so the end snapshot carries the version's name.
    end_targets = versions.select(KEY, pl.col("_end").alias(_SEQ), "name")
    former = _former_names_at(snapshots, end_targets).rename({_SEQ: "_end"})
    return (
        versions.drop("former_names")
        .join(former, on=[KEY, "_end"], how="left")
        .sort([KEY, "valid_from"])
        .select(HISTORY_COLUMNS)
    )


def enterprise_state(raw_registry: pl.DataFrame, as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(core/enterprise, core/enterprise_history) as of `as_of` from all raw/registry rows.

    enterprise: every column of the latest visible snapshot per credit_code
    (later snapshot_date, then later landing_date, then file/row), former_names
    rebuilt from all visible snapshots, first_seen_date.
    history: SCD2, one row per run of snapshots with unchanged tracked columns.
    """
    snapshots = _snapshots(raw_registry, as_of)
    latest = snapshots.unique(subset=[KEY], keep="last", maintain_order=True)
    former = _former_names_at(snapshots, latest)
    first_seen = snapshots.group_by(KEY).agg(pl.col("snapshot_date").min().alias("first_seen_date"))
    columns = [c for c in raw_registry.columns if c != _SEQ]
    enterprise = (
        latest.drop("former_names")
        .join(former, on=[KEY, _SEQ], how="left")
        .join(first_seen, on=KEY, how="left")
        .select([*columns, "first_seen_date"])
        .sort(KEY)
    )
    return mask_personal(enterprise), _history(snapshots)


def registry_changed_since(raw_registry: pl.LazyFrame, earlier: date, last: date) -> pl.LazyFrame:
    """Every snapshot of the enterprises with a snapshot that became visible after
    `earlier`, by `last`: what enterprise_state_since reads for any date up to `last`."""
    return records_of_keys(
        raw_registry, pl.col(KEY), became_visible(earlier, last, "snapshot_date")
    )


def enterprise_state_since(
    raw_registry: pl.DataFrame,
    as_of: date,
    earlier: date,
    state: tuple[pl.LazyFrame, pl.LazyFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """enterprise_state as of `as_of` from `state`, the one as of `earlier` (< `as_of`):
    an enterprise's rows in both tables are made from its own snapshots alone, so only
    the enterprises with a snapshot that became visible since are made again (none on a
    night without a registry drop). `raw_registry`: every snapshot of those enterprises
    at least (registry_changed_since)."""
    key = pl.col(KEY)
    touched = keys_where(raw_registry.lazy(), key, became_visible(earlier, as_of, "snapshot_date"))
    current, history = enterprise_state(raw_registry.filter(among(key, touched)), as_of)
    return (
        with_keys_replaced(state[0], current, KEY, touched, [KEY]),
        with_keys_replaced(state[1], history, KEY, touched, [KEY, "valid_from"]),
    )
