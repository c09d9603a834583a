"""JSON Lines: one object per line; a line that is not a JSON object is a
`malformed_row` (the file still loads).

Three paths, fastest first, each taken only when the one before cannot read
the file as it is: pyarrow's C++ reader (well-formed files whose values have
the types the contract expects); polars' decoder over the well-formed lines
(malformed lines, blank lines, numbers where text belongs); Python's json module
line by line (anything else, e.g. an object where a scalar belongs). All three
give every value as text and list columns as lists of text.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from capscore.landing.rows import ROW_NUMBER, ColumnHints, ParsedRows, as_text, malformed_frame

_LINE = "_line"
# A quoted member name followed by ':' can only be an object key (a '"' inside
# a string value is escaped), at the top level or nested.
_KEY = r'"(?:[^"\\]|\\.)*"\s*:'
_BLOCK_SIZE = 64 << 20


def _with_pyarrow(utf8: bytes, hints: ColumnHints) -> pl.DataFrame | None:
    """All rows, or None if pyarrow cannot read the file exactly line for line."""
    declared = sorted(hints.text_columns | hints.list_columns)
    # Declared types keep pyarrow from turning ISO date text into timestamps.
    schema = pa.schema(
        pa.field(name, pa.list_(pa.string()) if name in hints.list_columns else pa.string())
        for name in declared
    )
    try:
        table = pa_json.read_json(
            io.BytesIO(utf8),
            read_options=pa_json.ReadOptions(use_threads=False, block_size=_BLOCK_SIZE),
            parse_options=pa_json.ParseOptions(
                explicit_schema=schema, unexpected_field_behavior="infer"
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lines = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
    if table.num_rows != lines:  # blank lines: row numbers would not be line numbers
        return None
    frame = as_text(pl.DataFrame(table))
    # A declared column comes back all null even when the file never names it;
    # the contract must see it as missing, not as empty.
    absent = [
        name
        for name in declared
        if frame[name].null_count() == frame.height and json.dumps(name).encode() not in utf8
    ]
    return frame.drop(absent).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_NUMBER)
    )


def _lines(text: str) -> pl.DataFrame:
    """Non-blank lines with their 1-based line number."""
    lines = pl.Series(_LINE, text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    return (
        lines.to_frame()
        .with_row_index(ROW_NUMBER, offset=1)
        .with_columns(pl.col(ROW_NUMBER).cast(pl.Int64))
        .filter(pl.col(_LINE).str.strip_chars() != "")
    )


def _keys(lines: pl.Series) -> list[str]:
    """Member names seen anywhere in the lines, in first-seen order."""
    found = lines.str.extract_all(_KEY).explode().drop_nulls().unique(maintain_order=True)
    return [json.loads(key.rstrip()[:-1].rstrip()) for key in found.to_list()]


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=float)


def _as_list(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [text for text in map(_as_text, value) if text is not None]
    # A scalar where an array belongs is one item, as polars' decoder reads it.
    return [_as_text(value) or ""]


def _decode_each(lines: Sequence[str], names: Sequence[str], hints: ColumnHints) -> pl.DataFrame:
    """Line-by-line fallback; decimals keep their written form (1.50 stays 1.50)."""
    objects = [json.loads(line, parse_float=Decimal) for line in lines]
    columns: dict[str, pl.Series] = {}
    for name in names:
        if name in hints.list_columns:
            values = [_as_list(obj.get(name)) for obj in objects]
            columns[name] = pl.Series(name, values, dtype=pl.List(pl.String))
        else:
            columns[name] = pl.Series(name, [_as_text(obj.get(name)) for obj in objects], pl.String)
    return pl.DataFrame(columns, height=len(objects))


def read_jsonl(text: str, utf8: bytes, hints: ColumnHints) -> ParsedRows:
    """Parse JSON Lines `text` (also given as UTF-8 bytes without BOM)."""
    fast = _with_pyarrow(utf8, hints)
    if fast is not None:
        return ParsedRows(rows=fast, malformed=malformed_frame([]))
    lines = _lines(text)
    normalized = lines[_LINE].str.json_path_match("$")
    is_object = normalized.str.starts_with("{").fill_null(False)
    bad = lines.filter(~is_object)
    good = lines.filter(is_object)
    malformed = malformed_frame(
        [
            (number, "line is not a JSON object (invalid JSON or not an {...} object)", line)
            for number, line in bad.select(ROW_NUMBER, _LINE).iter_rows()
        ]
    )
    names = _keys(good[_LINE])
    dtype = pl.Struct(
        {name: pl.List(pl.String) if name in hints.list_columns else pl.String for name in names}
    )
    try:
        decoded = good[_LINE].str.json_decode(dtype).struct.unnest() if names else None
    except pl.exceptions.PolarsError:
        decoded = _decode_each(good[_LINE].to_list(), names, hints)
    # A name seen only inside a nested value becomes an all-null column: harmless,
    # unknown columns are kept only where they hold a value.
    rows = good.select(ROW_NUMBER) if decoded is None else decoded.with_columns(good[ROW_NUMBER])
    return ParsedRows(rows=rows, malformed=malformed)
