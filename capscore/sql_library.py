"""The SQL library in `sql/`: one statement per file, the file name is the relation name.

`mart_<name>.sql` becomes the analyst view `mart.<name>`; `pool_tier_history.sql`
becomes `pool.tier_history`. Files named `<schema>_<name>.sql` for other
schemas are statements the stages run themselves, not warehouse views.
"""

from __future__ import annotations

from pathlib import Path

# The repository's sql/ folder (the project is installed editable, see Makefile).
SQL_DIR = Path(__file__).resolve().parents[1] / "sql"
VIEW_SCHEMAS = ("mart", "pool")


def read_sql(name: str) -> str:
    """The statement in `sql/<name>.sql`, without a trailing semicolon."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").strip().rstrip(";")


def derived_views() -> dict[str, str]:
    views: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        schema, _, name = path.stem.partition("_")
        if schema in VIEW_SCHEMAS and name:
            views[f"{schema}.{name}"] = read_sql(path.stem)
    return views
