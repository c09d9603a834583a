"""Patents as of D: the latest visible version per application, with forward citations."""

from __future__ import annotations

from datetime import date

import polars as pl

from capscore.core.personal import PersonNames, mask_personal
from capscore.core.point_in_time import (
    LANDING_DATE,
    LINEAGE_ORDER,
    among,
    became_visible,
    keys_where,
    latest_per_key,
    records_of_keys,
    visible_as_of,
)
from capscore.storage.changes import Update

KEY = "application_number"
# A later drop repeats an application with new status/grant/citations: the
# latest drop wins, then the later publication, then file/row order.
VERSION_ORDER = [LANDING_DATE, "publication_date", *LINEAGE_ORDER]


def citation_key(number: pl.Expr) -> pl.Expr:
    """An application number as citations are matched: trimmed, upper-case, without
    the `CN` prefix (a citation list may write 201710601862.3 for CN201710601862.3;
    the check digits are the same)."""
    return number.str.strip_chars().str.to_uppercase().str.strip_prefix("CN")


def canonical_number(number: pl.Expr) -> pl.Expr:
    """An application number in the contract's form, `CN` + digits + `.` + check: a
    drop may write 201710601862.3 for the application CN201710601862.3 (the
    contracts accept both; raw/patents keeps what was filed)."""
    return pl.lit("CN") + citation_key(number)


def pair_key(high: pl.Expr, low: pl.Expr) -> pl.Expr:
    """Two UInt32 ids as one UInt64 (single-key joins and group-bys are much cheaper)."""
    return high.cast(pl.UInt64) * (1 << 32) + low.cast(pl.UInt64)


def forward_citation_counts(patent: pl.DataFrame) -> pl.Series:
    """`forward_citations` of each row of `patent`: the distinct other rows citing it.

    Self-citations and repeated entries in one citing patent count once at most
    (a patent does not cite itself).
    """
    targets = patent.select(citation_key(pl.col(KEY)).alias("_key")).with_row_index("_cited")
    # Rows as UInt32 positions and a (cited, citing) pair as one UInt64: integer
    # de-duplication and counting, then a scatter back in row order (at 1M firms half
    # the time of counting citing numbers per cited number and joining them back).
    pairs = (
        patent.select(pl.col("cited_applications").alias("_key"))
        .with_row_index("_citing")
        .explode("_key")
        .drop_nulls("_key")
        .with_columns(citation_key(pl.col("_key")))
        .join(targets, on="_key")
        .filter(pl.col("_cited") != pl.col("_citing"))
        .select(pair_key(pl.col("_cited"), pl.col("_citing")).alias("_pair"))
        .unique()
    )
    counts = pairs.group_by((pl.col("_pair") // (1 << 32)).cast(pl.UInt32).alias("_cited")).len()
    return (
        pl.zeros(patent.height, pl.Int64, eager=True)
        .scatter(counts["_cited"], counts["len"])
        .alias("forward_citations")
    )


def _latest(raw_patents: pl.DataFrame, as_of: date, names: PersonNames | None) -> pl.DataFrame:
    """The latest visible version of each application of `raw_patents` (its number
    canonical), personal data masked, with the landing date of its first version."""
    versions = visible_as_of(
        raw_patents.with_columns(canonical_number(pl.col(KEY)).alias(KEY)),
        as_of,
        "publication_date",
    )
    # VERSION_ORDER begins with the landing date: a key's first version landed first.
    return mask_personal(
        latest_per_key(versions, [KEY], VERSION_ORDER, {LANDING_DATE: "first_landing_date"}),
        names,
    )


def _in_stored_order(latest: pl.DataFrame) -> pl.DataFrame:
    """`latest` with its forward citations in core/patent's column order."""
    return latest.select(
        *(c for c in latest.columns if c not in ("first_landing_date", "forward_citations")),
        "forward_citations",
        "first_landing_date",
    )


def patent_state(
    raw_patents: pl.DataFrame, as_of: date, names: PersonNames | None = None
) -> pl.DataFrame:
    """core/patent as of `as_of` from all raw/patents rows (`names`: the applicant names
    met before, personal.PersonNames).

    Citations count only from visible patents (their publication_date <= D),
    as of their latest visible version's cited list. One application is one row
    whether a drop writes its number with the `CN` prefix or without.
    """
    latest = _latest(raw_patents, as_of, names)
    return _in_stored_order(latest.with_columns(forward_citation_counts(latest)))


def patents_changed_since(raw_patents: pl.LazyFrame, earlier: date, last: date) -> pl.LazyFrame:
    """Every version of the applications with a version that became visible after
    `earlier`, by `last`: what patent_state_since reads for any date up to `last`."""
    return records_of_keys(
        raw_patents,
        canonical_number(pl.col(KEY)),
        became_visible(earlier, last, "publication_date"),
    )


def patent_state_since(
    raw_patents: pl.DataFrame,
    as_of: date,
    earlier: date,
    state: pl.LazyFrame,
    names: PersonNames | None = None,
) -> Update:
    """patent_state as of `as_of` from `state`, the one as of `earlier` (< `as_of`), as
    the rows that differ from it and the keys of those that stand: an application's row
    is made from its own versions alone, so only the applications with a version that
    became visible since are made again (a night's drop, not the millions of the lake);
    forward citations, which a new citing list moves anywhere, are counted again over
    all (from the keys and cited lists alone), and a row whose count moved is made from
    its earlier one. `raw_patents`: every version of those applications at least
    (patents_changed_since)."""
    number = canonical_number(pl.col(KEY))
    touched = keys_where(
        raw_patents.lazy(), number, became_visible(earlier, as_of, "publication_date")
    )
    fresh = _latest(raw_patents.filter(among(number, touched)), as_of, names)
    others = (
        state.select(KEY, "cited_applications", "forward_citations")
        .filter(~among(pl.col(KEY), touched))
        .collect()
    )
    counts = forward_citation_counts(
        pl.concat(
            [others.select(KEY, "cited_applications"), fresh.select(KEY, "cited_applications")]
        )
    )
    now = others.select(KEY, counts.head(others.height))
    moved = now.filter(pl.col("forward_citations").ne_missing(others["forward_citations"]))
    made = _in_stored_order(fresh.with_columns(counts.tail(fresh.height)))
    recounted = (
        state.filter(among(pl.col(KEY), moved[KEY]))
        .drop("forward_citations")
        .collect()
        .join(moved, on=KEY)
        .select(made.columns)
        .cast(made.schema)
    )
    keep = now.join(moved, on=KEY, how="anti").select(KEY)
    return Update(pl.concat([made, recounted]).sort(KEY), keep)
