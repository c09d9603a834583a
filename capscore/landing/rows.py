"""What a reader returns: the rows as read, and the rows it could not read."""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
from polars.datatypes import DataTypeClass

PolarsDataType = pl.DataType | DataTypeClass
ROW_NUMBER = "_row_number"
# A cell whose items need stripping or dropping: spaces at an item's edge, or an empty item.
_UNTIDY_CELL = r"(?:^|;)\s|\s(?:;|$)|(?:^|;)(?:;|$)"
_UNTIDY_ITEM = r"^\s|\s$|^$"
MALFORMED = "malformed_row"
MALFORMED_SCHEMA: dict[str, pl.DataType] = {
    ROW_NUMBER: pl.Int64(),
    "reason": pl.String(),
    "raw_record": pl.String(),
    "rule": pl.String(),  # malformed_row, or encoding for bytes not in the file's encoding
}


@dataclass(frozen=True)
class ColumnHints:
    """What a reader needs to know of the contract: which columns hold lists, and
    which hold text (dates included), so that a typed format does not guess."""

    list_columns: frozenset[str] = frozenset()
    text_columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedRows:
    """`rows`: one column per source column (String, or List(String) for list
    columns) plus the 1-based `_row_number`; `malformed`: rows that could not be
    split into columns or decoded (MALFORMED_SCHEMA)."""

    rows: pl.DataFrame
    malformed: pl.DataFrame

    @property
    def rows_read(self) -> int:
        return self.rows.height + self.malformed.height


def malformed_frame(items: list[tuple[int, str, str]]) -> pl.DataFrame:
    """(row number, reason, raw text) -> MALFORMED_SCHEMA; raw text kept as `{"_line": ...}`."""
    return pl.DataFrame(
        [
            (n, reason, json.dumps({"_line": text}, ensure_ascii=False), MALFORMED)
            for n, reason, text in items
        ],
        schema=MALFORMED_SCHEMA,
        orient="row",
    )


def split_list_cells(frame: pl.DataFrame, list_columns: frozenset[str]) -> pl.DataFrame:
    """List columns as List(String): CSV cells are split on ';' (spaces around it are
    not significant), arrays keep their items; blank items are dropped and an empty
    list is null, like an empty cell. Tidy columns (the common case) skip the
    per-item cleaning, which costs more than the split itself."""
    exprs = []
    for name in sorted(list_columns & set(frame.columns)):
        column = pl.col(name)
        dtype = frame.schema[name]
        if isinstance(dtype, pl.List):
            items = column if dtype.inner == pl.String else column.cast(pl.List(pl.String))
            flat = items.explode()
            untidy = (
                flat.str.contains(_UNTIDY_ITEM).any()
                | (items.list.len() == 0).any()
                # A null item (explode also gives one null per null list).
                | (flat.null_count() > items.null_count())
            )
        else:
            text = column.cast(pl.String)
            items = text.str.split(";")
            untidy = text.str.contains(_UNTIDY_CELL).any()
        if not frame.select(untidy).item():
            exprs.append(items.alias(name))
            continue
        cleaned = items.list.eval(
            pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")
        )
        exprs.append(pl.when(cleaned.list.len() > 0).then(cleaned).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def as_json(expr: pl.Expr) -> pl.Expr:
    """A nested value (list, struct) as JSON text."""
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.head(-1)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as text (dates ISO, booleans true/false), lists as lists of text,
    so that typed formats go through the same contract checks as CSV."""
    return frame.select(_as_text(name, dtype).alias(name) for name, dtype in frame.schema.items())


def _as_text(name: str, dtype: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if isinstance(dtype, pl.List | pl.Array):
        if dtype.inner == pl.String:
            return column.cast(pl.List(pl.String))
        return column.cast(pl.List(dtype.inner)).list.eval(_element_as_text(dtype.inner))
    return _expr_as_text(column, dtype)


def _element_as_text(dtype: PolarsDataType) -> pl.Expr:
    return _expr_as_text(pl.element(), dtype)


def _expr_as_text(expr: pl.Expr, dtype: PolarsDataType) -> pl.Expr:
    if dtype == pl.String:
        return expr
    if dtype == pl.Date:
        return expr.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pl.Struct | pl.List | pl.Array):
        return as_json(expr)
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false"))
    return expr.cast(pl.String)
