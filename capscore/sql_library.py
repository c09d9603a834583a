"""The SQL library in `sql/`: one statement per file, the file name is the relation name.

`mart_<name>.sql` becomes the analyst view `mart.<name>`; `pool_tier_history.sql`
becomes `pool.tier_history`. `macro_<name>.sql` holds one `CREATE MACRO`: a
rule written once and called by the stages (which run it in their own DuckDB
connection) and by the warehouse views alike. Files named `<prefix>_<name>.sql`
for other prefixes are queries a stage runs itself, not warehouse views.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

# The repository's sql/ folder (the project is installed editable, see Makefile).
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
VIEW_SCHEMAS = ("mart", "pool")


def sql_identifier(name: str) -> str:
    """`name` as a quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """`text` as a DuckDB string literal (a file path in a statement)."""
    return "'" + text.replace("'", "''") + "'"


def read_sql(name: str) -> str:
    """The statement in `sql/<name>.sql`, without a trailing semicolon."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def macros() -> list[str]:
    """Every `CREATE MACRO` statement of the library, in file-name order."""
    return [read_sql(path.stem) for path in sorted(SQL_DIR.glob("macro_*.sql"))]


def with_macros(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`con` with the library's macros defined (idempotent)."""
    for statement in macros():
        con.execute(statement)
    return con


def query_frames(sql: str, **frames: pl.DataFrame) -> pl.DataFrame:
    """The result of `sql` over `frames` (each registered under its keyword), in a
    connection of its own with the library's macros: how a stage applies a rule the
    warehouse views share."""
    con = with_macros(duckdb.connect())
    try:
        for name, frame in frames.items():
            con.register(name, frame)
        return con.sql(sql).pl()
    finally:
        con.close()


def derived_views() -> dict[str, str]:
    views: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        schema, _, name = path.stem.partition("_")
        if schema in VIEW_SCHEMAS and name:
            views[f"{schema}.{name}"] = read_sql(path.stem)
    return views
