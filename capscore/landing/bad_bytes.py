"""Rows holding bytes that are not in their file's encoding.

`encoding.decode_text` replaces each such run of bytes with a marker; here
every row (or malformed line) holding a marker moves to the rows that could not
be read, with rule `encoding`, a reason naming the line and the bytes, and the
row as read with the bytes shown as `\\xNN`. The other rows load, and rows_read
still counts every row.
"""

from __future__ import annotations

import re

import polars as pl

from capscore.landing.encoding import DecodedText
from capscore.landing.rows import MALFORMED_SCHEMA, ROW_NUMBER, ParsedRows

ENCODING = "encoding"
HELD = "the row is held, not loaded with guessed text"


def _pattern(decoded: DecodedText) -> re.Pattern[str]:
    marker = re.escape(decoded.marker)
    return re.compile(f"{marker}(\\d+){marker}")


def _restored(text: str, decoded: DecodedText, pattern: re.Pattern[str]) -> str:
    """JSON text with each marker replaced by its bytes written as `\\xNN` (escaped for JSON)."""
    return pattern.sub(lambda m: decoded.bad[int(m.group(1))].shown().replace("\\", "\\\\"), text)


def _reason(text: str, decoded: DecodedText, pattern: re.Pattern[str]) -> str:
    runs = [decoded.bad[int(i)] for i in pattern.findall(text)]
    lines = sorted({run.line for run in runs})
    where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))
    first = runs[0]
    return (
        f"{where}: bytes {first.shown()} at byte offset {first.offset} are not UTF-8 "
        "in a file that is otherwise UTF-8 (another encoding, e.g. GB18030, or corrupt bytes)"
    )


def _has_marker(name: str, dtype: pl.DataType, marker: str) -> pl.Expr:
    column = pl.col(name)
    if marker in name:  # a JSON member name with bad bytes: every row that uses it
        return column.is_not_null()
    if isinstance(dtype, pl.List):
        return column.list.eval(pl.element().str.contains(marker, literal=True)).list.any()
    return column.cast(pl.String).str.contains(marker, literal=True)


def hold_bad_bytes(parsed: ParsedRows, decoded: DecodedText) -> ParsedRows:
    """Move the rows and malformed lines holding bad bytes to `malformed` (rule encoding)."""
    if not decoded.bad:
        return parsed
    marker, pattern = decoded.marker, _pattern(decoded)
    rows = parsed.rows
    columns = [c for c in rows.columns if c != ROW_NUMBER]
    flags = [_has_marker(c, rows.schema[c], marker) for c in columns]
    bad = pl.any_horizontal(flags).fill_null(False) if flags else pl.lit(False)
    flagged = rows.with_columns(bad.alias("__bad"))
    held = flagged.filter(pl.col("__bad")).drop("__bad")
    record = pl.struct(columns).struct.json_encode() if columns else pl.lit("{}")
    items = [
        (
            number,
            f"{_reason(raw, decoded, pattern)}; {HELD}",
            _restored(raw, decoded, pattern),
            ENCODING,
        )
        for number, raw in held.select(ROW_NUMBER, record).iter_rows()
    ]
    for number, reason, raw, rule in parsed.malformed.select(list(MALFORMED_SCHEMA)).iter_rows():
        if marker in raw:
            # The bad bytes are why the line does not parse: the cause comes first.
            reason = f"{_reason(raw, decoded, pattern)}; {reason}"
            raw, rule = _restored(raw, decoded, pattern), ENCODING
        items.append((number, reason, raw, rule))
    moved = pl.DataFrame(items, schema=MALFORMED_SCHEMA, orient="row").sort(ROW_NUMBER)
    kept = flagged.filter(~pl.col("__bad")).drop("__bad")
    return ParsedRows(rows=kept, malformed=moved)


def header_has_bad_bytes(parsed: ParsedRows, decoded: DecodedText) -> str | None:
    """Why a CSV header with bad bytes makes the file unreadable, None if it has none."""
    if not decoded.bad:
        return None
    pattern = _pattern(decoded)
    names = ",".join(parsed.rows.columns)
    if decoded.marker not in names:
        return None
    return f"header {_reason(names, decoded, pattern)}: its columns cannot be named"
