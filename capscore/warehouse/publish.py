"""Publish `warehouse.duckdb`: build a new file, then move it into place atomically.

DuckDB allows one writer or many readers per file, never both, and analysts
keep read-only sessions open while the nightly run works. So no run ever
writes to the published file: each publish builds a fresh database next to it
(views over the Parquet lake plus the SQL library in `sql/`) and `os.replace`s
it over the old one. A session holding the old file keeps a consistent old
view; the next connect sees the new one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from capscore.core.personal import (
    EXTRA_NAME,
    FILED_NAME,
    PERSONAL_COLUMNS,
    PERSONAL_LIST_COLUMNS,
    mask_applicants_in_records,
    mask_filed_names_in_records,
)
from capscore.landing.columns import EXTRA
from capscore.sql_library import derived_views, sql_identifier, sql_literal, with_macros
from capscore.storage.changes import BASE, BOOKKEEPING, FINGERPRINT, HEADER, OP, UPSERT
from capscore.storage.files import atomic_write
from capscore.storage.lake import builds, partitions, snapshot
from capscore.storage.paths import DataRoot
from capscore.storage.tables import (
    AS_OF_DATE,
    BASE_ID,
    LAKE_TABLES,
    PIVOT_SEPARATOR,
    SCHEMAS,
    SOURCES,
    Table,
)
from data_contracts.contract import load_contract

MASK_MACRO = (
    "CREATE MACRO mask_name(s) AS CASE WHEN s IS NULL THEN NULL "
    "ELSE left(s, 1) || repeat('*', greatest(length(s) - 1, 1)) END"
)
# raw_record keeps the row as read, minus personal data: the legal representative
# keeps a first character, inventors (a list or a `;` joined cell) are dropped whole;
# a value is read to its closing quote, escaped quotes inside it included (a JSON list
# written into a text cell).
# A line that could not be split into columns ({"_line": ...}) has no names to go
# by: every field of two to four Han characters alone (a person's name, 李四光;
# firm names are longer) and every Latin word that begins with a capital (JAMES LEE,
# Li Ming; codes with digits and lower-case words stay) keeps its first character, and
# a run of escaped characters (\u674e\u56db in a JSON line) its first escape. Two passes,
# because adjacent fields share the delimiter one match consumes.
_SHORT_HAN_FIELD = r"'([^\p{Han}]|^)(\p{Han})\p{Han}{1,3}([^\p{Han}]|$)', '\1\2**\3', 'g'"
_LATIN_WORD = r"'([^\p{L}\p{N}]|^)(\p{Lu})[\p{Latin}''’-]+([^\p{L}\p{N}]|$)', '\1\2**\3', 'g'"
_ESCAPED_RUN = r"'(\\\\u[0-9a-fA-F]{4})(\\\\u[0-9a-fA-F]{4})+', '\1**', 'g'"
_LINE_MASKED = f"regexp_replace(j, {_ESCAPED_RUN})"
for _rule in (_SHORT_HAN_FIELD, _SHORT_HAN_FIELD, _LATIN_WORD, _LATIN_WORD):
    _LINE_MASKED = f"regexp_replace({_LINE_MASKED}, {_rule})"
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_JSON_ARRAY = rf'\[(?:[^\]"]|{_JSON_STRING})*\]'
MASK_JSON_MACRO = (
    "CREATE MACRO mask_json(j) AS CASE WHEN starts_with(j, '{\"_line\"') THEN "
    f"{_LINE_MASKED} "
    "ELSE regexp_replace(regexp_replace(mask_unknown_keys(j), "
    r"""'("legal_representative"\s*:\s*")([^"\\]|\\.)(?:[^"\\]|\\.)*"', '\1\2**"', 'g'), """
    rf"""'("inventors"\s*:\s*)({_JSON_ARRAY}|{_JSON_STRING})', '\1"***"', 'g') END"""
)


def _contract_columns() -> list[str]:
    return sorted({name for source in SOURCES for name in load_contract(source).names})


# _extra holds the source columns the contract does not know, as JSON: every short Han
# token and capitalised Latin word (Li, not ISO) of its values keeps its first character,
# as core stores it (personal.EXTRA_NAME, applied twice there too); the keys stay.
_MASK_EXTRA_ONCE = f"{sql_literal(EXTRA_NAME)}, '\\1\\2**\\3', 'g'"
MASK_EXTRA_MACRO = (
    "CREATE MACRO mask_extra(j) AS "
    f"regexp_replace(regexp_replace(j, {_MASK_EXTRA_ONCE}), {_MASK_EXTRA_ONCE})"
)

# A quarantined row's raw_record holds the columns the contract does not know too
# (they are `_extra` once a row loads): their values are masked there as in `_extra`
# (mask_extra, on the value as the one member of an object), or a filer's name would
# show unmasked the day its row is rejected; a contract column's value (a status, 存续)
# is not a name.
_ALONE = "'{\"v\":' || value::VARCHAR || '}'"
_UNKNOWN_NAME = (
    f"key NOT IN ({', '.join(sql_literal(c) for c in _contract_columns())}) "
    f"AND mask_extra({_ALONE}) <> {_ALONE}"
)
# Only a record with such a value is written again (the others stay byte for byte).
_OBJECT = "CASE WHEN json_valid(j) AND json_type(j) = 'OBJECT' THEN j ELSE '{}' END"
MASK_UNKNOWN_KEYS_MACRO = (
    "CREATE MACRO mask_unknown_keys(j) AS CASE "
    f"WHEN j IS NULL OR NOT EXISTS (SELECT 1 FROM json_each({_OBJECT}) WHERE {_UNKNOWN_NAME}) "
    "THEN j "
    "ELSE (SELECT '{' || string_agg(to_json(key) || ':' || CASE "
    f"WHEN {_UNKNOWN_NAME} THEN json_extract(mask_extra({_ALONE}), '$.v') ELSE value END, "
    f"',' ORDER BY id) || '}}' FROM json_each({_OBJECT})) END"
)


@dataclass
class PublishSummary:
    path: Path
    views: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    # relation -> the Delta version and the files the warehouse pins
    versions: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    # relation -> the as-of dates with rows in the version it pins
    as_of_dates: dict[str, list[date]] = field(default_factory=dict)
    snapshot: Path | None = None


def _identifiers(names: Sequence[str]) -> str:
    return ", ".join(map(sql_identifier, names))


def _select_list(con: duckdb.DuckDBPyConnection, source: str) -> str:
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    masked = []
    for name in columns:
        quoted = sql_identifier(name)
        if name in PERSONAL_COLUMNS:
            masked.append(f"mask_name({quoted}) AS {quoted}")
        elif name in PERSONAL_LIST_COLUMNS:
            masked.append(f"list_transform({quoted}, lambda x: mask_name(x)) AS {quoted}")
        elif name == "raw_record":
            masked.append(f"mask_json({quoted}) AS {quoted}")
        elif name == EXTRA:
            masked.append(f"mask_extra({quoted}) AS {quoted}")
        else:
            masked.append(quoted)
    return ", ".join(masked)


def _source(
    con: duckdb.DuckDBPyConnection, table: Table, files: list[str], empty: pl.Schema
) -> str:
    """The relation a base view reads: exactly the files of the table's version, or an
    empty relation of its schema when the version has none."""
    if files:
        listed = ", ".join(sql_literal(f) for f in files)
        # A base id begins with a date: read it as the text it is.
        typed = (
            f", hive_types = {{'{BASE_ID}': VARCHAR}}" if BASE_ID in table.partition_keys else ""
        )
        return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true{typed})"
    # An inline typed relation without rows, not a table: a holder table such as
    # `quality._empty_quarantine` (clean data never quarantines a row) showed the
    # analysts an undocumented relation beside the view.
    con.register("_empty", pl.DataFrame(schema=empty).to_arrow())
    described = con.execute("DESCRIBE SELECT * FROM _empty").fetchall()
    con.unregister("_empty")
    nulls = ", ".join(
        f"CAST(NULL AS {kind}) AS {sql_identifier(name)}" for name, kind, *_ in described
    )
    return f"(SELECT {nulls} LIMIT 0)"


def _keyed_source(stored: str, bases: str, table: Table, fingerprinted: bool) -> str:
    """The rows of every as-of date of a keyed table (storage.changes): each date's base
    without the keys its changes name, plus its upserts. `fingerprinted`: some base
    holds its rows' FINGERPRINT, which is no column of the table."""
    same_key = " AND ".join(f'c."{k}" IS NOT DISTINCT FROM b."{k}"' for k in table.keys)
    dropped = f"{BASE_ID}, {FINGERPRINT}" if fingerprinted else BASE_ID
    return f"""(
    WITH stored AS (SELECT * FROM {stored}), bases AS (SELECT * FROM {bases})
    SELECT * EXCLUDE ({OP}, {BASE}) FROM stored WHERE {OP} = '{UPSERT}'
    UNION ALL BY NAME
    SELECT h.{AS_OF_DATE}, b.* EXCLUDE ({dropped})
    FROM stored AS h JOIN bases AS b ON b.{BASE_ID} = h.{BASE}
    WHERE h.{OP} = '{HEADER}' AND NOT EXISTS (
        SELECT 1 FROM stored AS c
        WHERE c.{OP} <> '{HEADER}' AND c.{AS_OF_DATE} = h.{AS_OF_DATE} AND {same_key}
    )
)"""


def _table_source(
    con: duckdb.DuckDBPyConnection,
    root: DataRoot,
    table: Table,
    found: tuple[int, list[str], pl.Schema],
    summary: PublishSummary,
) -> tuple[str, list[str]]:
    """What a lake table's view reads and the files it pins (recording their versions)."""
    version, files, schema = found
    summary.versions[table.relation] = version
    source = _source(con, table, files, schema)
    if AS_OF_DATE in table.partition_keys:
        # Read off the stored partitions alone: a keyed table's date has rows when its
        # base holds some or it stores an upsert (its view would apply every change).
        with_rows = f"{OP} = '{UPSERT}' OR ({OP} = '{HEADER}' AND {BASE} IS NOT NULL)"
        where = f"WHERE {with_rows}" if table.keys else ""
        found_dates = con.sql(f"SELECT DISTINCT {AS_OF_DATE} FROM {source} {where}").fetchall()
        summary.as_of_dates[table.relation] = sorted(row[0] for row in found_dates)
    if not table.keys:
        return source, files
    bases = snapshot(root, table.bases)
    base_files = [] if bases is None else bases[1]
    if bases is not None:
        summary.versions[table.bases.relation] = bases[0]
    base_schema = pl.Schema(
        [(n, d) for n, d in schema.items() if n not in (*BOOKKEEPING, AS_OF_DATE)]
        + [(BASE_ID, pl.String())]
    )
    base_source = _source(con, table.bases, base_files, base_schema)
    fingerprinted = bases is not None and FINGERPRINT in bases[2]
    return _keyed_source(source, base_source, table, fingerprinted), files + base_files


def _unpivoted(con: duckdb.DuckDBPyConnection, source: str, name: str) -> str:
    """The rows of a pivoted table (`Table.pivoted_on`): each stored column group
    `<value>__<field>` becomes a row with `name` = value; dates stored in rows before
    the column layout are kept as they are. The row columns stand where the groups do."""
    columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    groups: dict[str, list[str]] = {}
    for column in columns:
        value, separator, field = column.partition(PIVOT_SEPARATOR)
        if separator:
            groups.setdefault(value, []).append(field)
    if not groups:
        return source
    fields = next(iter(groups.values()))
    odd = sorted(v for v, f in groups.items() if f != fields)
    if odd:
        raise ValueError(f"{source}: column groups {odd} do not have the fields {fields}")
    grouped = {f"{v}{PIVOT_SEPARATOR}{f}" for v, fs in groups.items() for f in fs}
    row_columns = [name, *fields]
    legacy = [c for c in row_columns if c in columns]
    kept = [c for c in columns if c not in grouped and c not in legacy]

    pairs = ", ".join(
        f"({_identifiers([f'{v}{PIVOT_SEPARATOR}{f}' for f in fields])}) AS {sql_literal(v)}"
        for v in groups
    )
    value = sql_identifier(name)
    # The last field is never null where the value was stored (an indicator's weight):
    # null, the date's model did not have that value.
    rows = (
        f"SELECT * FROM (SELECT {_identifiers(kept + sorted(grouped))} FROM {source}) "
        f"UNPIVOT INCLUDE NULLS (({_identifiers(fields)}) FOR {value} IN ({pairs})) "
        f"WHERE {sql_identifier(fields[-1])} IS NOT NULL"
    )
    if legacy:
        rows += (
            f" UNION ALL BY NAME SELECT {_identifiers(kept + legacy)} FROM {source} "
            f"WHERE {value} IS NOT NULL"
        )
    order: list[str] = []
    for column in columns:
        if column in kept:
            order.append(column)
        elif name not in order:
            order += row_columns
    return f"(SELECT {_identifiers(order)} FROM ({rows}))"


def _joined(source: str, other: str, keys: Sequence[str]) -> str:
    """`source`'s rows with the other columns of `other`'s row of the same keys."""
    on = _identifiers(keys)
    return (
        f"(SELECT s.*, o.* EXCLUDE ({on}) FROM {source} AS s LEFT JOIN {other} AS o USING ({on}))"
    )


def _update_masked(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: tuple[str, ...],
    key: str,
    mask: Callable[[pl.DataFrame], pl.DataFrame],
) -> None:
    """Rewrite `columns` of a materialized table's rows whose `raw_record` (the row as
    read, JSON) names `key` as `mask` (a frame of those columns to the same frame,
    masked) gives them: which name is a person's takes the applicant-kind rule, which SQL
    does not have. A table without those columns is left as it is."""
    present = {row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()}
    if not {"raw_record", *columns} <= present:
        return
    rows = con.sql(
        f"SELECT DISTINCT {', '.join(columns)} FROM {relation} WHERE raw_record LIKE '%\"{key}\"%'"
    ).pl()
    masked = mask(rows).select(pl.col(c).alias(f"_masked_{c}") for c in columns)
    both = pl.concat([rows, masked], how="horizontal")
    changed = both.filter(
        pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"_masked_{c}")) for c in columns)
    )
    if changed.is_empty():
        return
    con.register("_masked", changed.to_arrow())
    assigned = ", ".join(f"{c} = m._masked_{c}" for c in columns)
    matched = " AND ".join(f"t.{c} IS NOT DISTINCT FROM m.{c}" for c in columns)
    con.execute(f"UPDATE {relation} AS t SET {assigned} FROM _masked AS m WHERE {matched}")
    con.unregister("_masked")


def _mask_applicants_of_records(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Mask the persons among the applicants of a materialized table's rows as read
    (`raw_record`) as core masks them (personal.mask_applicants_in_records)."""
    _update_masked(
        con,
        relation,
        ("raw_record",),
        "applicants",
        lambda rows: rows.with_columns(mask_applicants_in_records(rows["raw_record"])),
    )


def _mask_filed_names_of_records(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Mask an R&D filing's `enterprise_name` in a materialized table's rows as read
    (`raw_record`) and in their `reason` (a duplicate key quotes it) when the
    applicant-kind rule calls it a person, as core and entity resolution store it
    (personal.mask_filed_names_in_records)."""
    _update_masked(con, relation, ("raw_record", "reason"), FILED_NAME, mask_filed_names_in_records)


def _create_base_views(
    con: duckdb.DuckDBPyConnection, root: DataRoot, summary: PublishSummary
) -> None:
    """One view per lake table, pinned to the files of the table's current version: a
    session holding this warehouse keeps reading that version while later runs write."""
    for t in LAKE_TABLES:
        found = snapshot(root, t)
        if found is None:
            summary.missing.append(t.relation)
            continue
        source, files = _table_source(con, root, t, found, summary)
        if t.pivoted_on:
            source = _unpivoted(con, source, t.pivoted_on)
        for joined in t.joined:
            found_joined = snapshot(root, joined)
            if found_joined is not None:
                joined_source, joined_files = _table_source(
                    con, root, joined, found_joined, summary
                )
                source = _joined(source, joined_source, (*joined.keys, *joined.partition_keys))
                files = files + joined_files
        select = f"SELECT {_select_list(con, source)} FROM {source}"
        if t.materialize:
            # A masked copy inside the warehouse: the analysts' sandbox never needs its files.
            con.execute(f"CREATE TABLE {t.relation} AS {select}")
            _mask_applicants_of_records(con, t.relation)
            _mask_filed_names_of_records(con, t.relation)
            summary.views.append(t.relation)
            continue
        if t.latest_only:
            con.execute(f"CREATE VIEW {t.relation}_asof AS {select}")
            # The latest date built, even when it has no rows (an empty review queue is
            # today's answer, not a reason to show yesterday's).
            built = partitions(root, t)
            latest = f"DATE '{built[-1]}'" if built else "NULL"
            con.execute(
                f"CREATE VIEW {t.relation} AS SELECT * FROM {t.relation}_asof "
                f"WHERE as_of_date = {latest}"
            )
            summary.views += [f"{t.relation}_asof", t.relation]
        else:
            con.execute(f"CREATE VIEW {t.relation} AS {select}")
            summary.views.append(t.relation)
        if not t.personal:
            summary.files[t.relation] = files


def _record_publication(
    con: duckdb.DuckDBPyConnection, root: DataRoot, summary: PublishSummary
) -> None:
    """meta.*: what this warehouse pins, and the files the analysts' sandbox may read."""
    published = pl.DataFrame({"data_root": [str(root.root)], "published_at": [datetime.now(UTC)]})
    versions = pl.DataFrame(
        {"relation": list(summary.versions), "delta_version": list(summary.versions.values())},
        schema={"relation": pl.String, "delta_version": pl.Int64},
    )
    files = pl.DataFrame(
        {"file": sorted({f for listed in summary.files.values() for f in listed})},
        schema={"file": pl.String},
    )
    as_of_dates = pl.DataFrame(
        [(relation, day) for relation, days in summary.as_of_dates.items() for day in days],
        schema={"relation": pl.String, "as_of_date": pl.Date},
        orient="row",
    )
    for name, frame in (
        ("published", published),
        ("versions", versions),
        ("analyst_files", files),
        ("as_of_dates", as_of_dates),
    ):
        con.register("_frame", frame.to_arrow())
        con.execute(f"CREATE TABLE meta.{name} AS SELECT * FROM _frame")
        con.unregister("_frame")


def _create_derived_views(con: duckdb.DuckDBPyConnection, summary: PublishSummary) -> None:
    """Views from `sql/`, created in dependency order by retrying until no progress."""
    pending = dict(derived_views())
    while pending:
        errors: dict[str, str] = {}
        for relation, sql in list(pending.items()):
            try:
                con.execute(f"CREATE VIEW {relation} AS {sql}")
            except duckdb.Error as exc:
                errors[relation] = str(exc).splitlines()[0]
                continue
            summary.views.append(relation)
            del pending[relation]
        if errors and len(errors) == len(pending):
            summary.failed.update(errors)
            return


def publish_warehouse(root: DataRoot) -> PublishSummary:
    summary = PublishSummary(path=root.warehouse)

    def build(path: Path) -> None:
        con = duckdb.connect(str(path))
        try:
            for schema in SCHEMAS:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            con.execute(MASK_MACRO)
            con.execute(MASK_EXTRA_MACRO)
            con.execute(MASK_UNKNOWN_KEYS_MACRO)
            con.execute(MASK_JSON_MACRO)
            with_macros(con)
            _create_base_views(con, root, summary)
            _create_derived_views(con, summary)
            _record_publication(con, root, summary)
            con.execute("CHECKPOINT")
        finally:
            con.close()
            wal = path.with_name(path.name + ".wal")
            if wal.exists():
                wal.unlink()

    # Each publish is a file of its own (what was published when stays readable for
    # audit); `warehouse.duckdb` is then swapped to name the same bytes. A process
    # that still holds the old file open reads a distinct path from the new one.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    snapshot = atomic_write(root.published / f"warehouse-{stamp}.duckdb", build)
    atomic_write(root.warehouse, lambda tmp: os.link(snapshot, tmp))
    summary.snapshot = snapshot
    return summary


def pinned_versions(warehouse: Path) -> dict[str, int]:
    """relation -> the Delta version a published warehouse pins (meta.versions); nothing
    for a warehouse published before versions were recorded."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT relation, delta_version FROM meta.versions").fetchall()
    except duckdb.Error:
        rows = []
    finally:
        con.close()
    return {relation: int(version) for relation, version in rows}


def unpublished_writes(root: DataRoot) -> dict[str, list[str]] | None:
    """relation -> the partitions written to the lake since the warehouse analysts query
    pinned that table (they do not see those writes yet: a run stopped before its
    warehouse step); None before any warehouse is published."""
    # warehouse.duckdb, not the newest file under published/: a run killed between
    # writing its snapshot and swapping warehouse.duckdb to it leaves a newer snapshot
    # that no analyst reads.
    queried = root.warehouse if root.warehouse.exists() else latest_snapshot(root)
    if queried is None:
        return None
    pinned = pinned_versions(queried)
    written = builds(root)
    behind: dict[str, list[str]] = {}
    for table in LAKE_TABLES:
        rows = written.filter(pl.col("table") == str(table))
        if table.relation in pinned:
            rows = rows.filter(pl.col("version") > pinned[table.relation])
        if rows.height:
            behind[table.relation] = rows.get_column("partition").sort().to_list()
    return behind


def latest_snapshot(root: DataRoot) -> Path | None:
    """The most recently published warehouse file: its snapshot under published/, else
    warehouse.duckdb itself (a root published before snapshots were kept); None before any."""
    found = sorted(root.published.glob("warehouse-*.duckdb")) if root.published.exists() else []
    if found:
        return found[-1]
    return root.warehouse if root.warehouse.exists() else None
