"""Parquet: list columns are list<string>, dates date32 or ISO strings.

Values are turned back into text (dates as ISO) so that Parquet rows go
through the same contract checks as CSV and JSON Lines rows.
"""

from __future__ import annotations

import io

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from capscore.landing.rows import MALFORMED_SCHEMA, ROW_NUMBER, ParsedRows, as_text


def _stored_as_dates(data: bytes) -> set[str]:
    """Columns of Parquet's one DATE type (days). Arrow's date64 is stored as it too,
    but polars reads such a column back as a datetime (from the Arrow schema kept in
    the file's metadata), which would print a time and fail the contract's date rule."""
    schema = pq.ParquetFile(io.BytesIO(data)).schema_arrow
    return {field.name for field in schema if pa.types.is_date32(field.type)}


def read_parquet(data: bytes) -> ParsedRows:
    frame = pl.read_parquet(io.BytesIO(data))
    dates = _stored_as_dates(data)
    frame = frame.with_columns(
        pl.col(name).cast(pl.Date)
        for name, dtype in frame.schema.items()
        if name in dates and isinstance(dtype, pl.Datetime)
    )
    rows = as_text(frame).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW_NUMBER)
    )
    return ParsedRows(rows=rows, malformed=pl.DataFrame(schema=MALFORMED_SCHEMA))
