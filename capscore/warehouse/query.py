"""Read-only queries against the published warehouse (what `capscore query` runs)."""

from __future__ import annotations

import duckdb
import polars as pl

from capscore.storage.paths import DataRoot


class WarehouseMissing(RuntimeError):
    pass


def connect_read_only(root: DataRoot) -> duckdb.DuckDBPyConnection:
    if not root.warehouse.exists():
        raise WarehouseMissing(
            f"no warehouse at {root.warehouse}: run `capscore run --data-root {root.root}` first"
        )
    return duckdb.connect(str(root.warehouse), read_only=True)


def run_query(root: DataRoot, sql: str) -> pl.DataFrame:
    con = connect_read_only(root)
    try:
        return con.sql(sql).pl()
    finally:
        con.close()


def format_result(frame: pl.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        # CSV has no lists: join them the way the landing contract does.
        flat = frame.with_columns(
            pl.col(name).cast(pl.List(pl.Utf8)).list.join("; ")
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.List)
        )
        return flat.write_csv()
    if fmt == "json":
        return frame.write_json() + "\n"
    with pl.Config(tbl_rows=200, tbl_cols=-1, fmt_str_lengths=80, tbl_width_chars=200):
        return f"{frame}\n"
