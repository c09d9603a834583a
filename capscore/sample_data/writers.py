"""Landing file writers for every format and encoding the contract allows.

Writes are deterministic (gzip without a timestamp, Parquet without
wall-clock metadata), so the same frame gives the same bytes. Injected rows
arrive as text lines (CSV/JSON Lines) or typed one-row frames (Parquet) with
their final position, so a bad row sits among good ones as it would in a
real extract.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

FORMATS = ("csv", "csv.gz", "parquet", "jsonl", "jsonl.gz")


@dataclass(frozen=True)
class FileSpec:
    """How one landing file is written."""

    name: str  # file name without extension
    fmt: str  # one of FORMATS
    encoding: str = "utf-8"  # csv: utf-8, utf-8-sig or gb18030
    iso_dates: bool = False  # parquet: dates as ISO strings instead of date32
    list_sep: str = ";"  # csv: "; " is also allowed by the contract
    extra_columns: bool = False
    shuffle_columns: bool = False

    @property
    def line_terminator(self) -> str:
        # GB18030 extracts come from Windows tools.
        return "\r\n" if self.encoding == "gb18030" else "\n"

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.fmt}"

    @property
    def is_text(self) -> bool:
        return self.fmt != "parquet"


@dataclass(frozen=True)
class Injection:
    """A bad row placed at `position` (0-based data row) of a file.

    `record` maps column -> value (python objects; strings may be malformed
    on purpose); `raw` replaces the whole line for a row that cannot be
    parsed at all.
    """

    position: int
    record: dict[str, Any] | None = None
    raw: str | None = None


def csv_cell(value: Any, list_sep: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return list_sep.join(str(v) for v in value) if value else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_line(values: Sequence[str | None], terminator: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=terminator).writerow(["" if v is None else v for v in values])
    return buf.getvalue()


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _lists_joined(frame: pl.DataFrame, list_sep: str) -> pl.DataFrame:
    """List columns as one cell joined by the separator; an empty list is an empty cell."""
    return frame.with_columns(
        pl.when(pl.col(name).list.len() > 0).then(pl.col(name).list.join(list_sep)).alias(name)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List)
    )


def _segments(
    height: int, injections: Sequence[Injection]
) -> list[tuple[int, int, Injection | None]]:
    """Clean row ranges [start, end) and injections, in file order (positions are final rows)."""
    out: list[tuple[int, int, Injection | None]] = []
    clean = 0
    for placed, injection in enumerate(sorted(injections, key=lambda i: i.position)):
        before = injection.position - placed
        if before > clean:
            out.append((clean, before, None))
            clean = before
        out.append((clean, clean, injection))
    if clean < height:
        out.append((clean, height, None))
    return out


_CHUNK_ROWS = 100_000


def _write_text(
    out: BinaryIO, frame: pl.DataFrame, spec: FileSpec, injections: Sequence[Injection]
) -> None:
    """Stream a CSV or JSON Lines file chunk by chunk, so a large file never sits in memory as text."""
    columns = frame.columns
    is_csv = spec.fmt.startswith("csv")
    encoding = spec.encoding if is_csv else "utf-8"
    end_line = spec.line_terminator if is_csv else "\n"
    body = _lists_joined(frame, spec.list_sep) if is_csv else frame

    def put(text: str) -> None:
        # The BOM of utf-8-sig belongs at the start of the file only.
        out.write(text.encode("utf-8" if encoding == "utf-8-sig" else encoding))

    if encoding == "utf-8-sig":
        out.write(codecs.BOM_UTF8)
    if is_csv:
        put(csv_line(columns, end_line))
    for start, end, injection in _segments(frame.height, injections):
        if injection is None:
            for lo in range(start, end, _CHUNK_ROWS):
                chunk = body.slice(lo, min(_CHUNK_ROWS, end - lo))
                if is_csv:
                    put(
                        chunk.write_csv(
                            include_header=False, float_precision=2, line_terminator=end_line
                        )
                    )
                else:
                    put(chunk.write_ndjson())
        elif injection.raw is not None:
            put(injection.raw + end_line)
        elif is_csv:
            record = injection.record or {}
            put(csv_line([csv_cell(record.get(c), spec.list_sep) for c in columns], end_line))
        else:
            record = injection.record or {}
            values = {c: _json_value(record.get(c)) for c in columns}
            put(json.dumps(values, ensure_ascii=False) + "\n")


def _arrow_type(dtype: pl.DataType, iso_dates: bool) -> pa.DataType:
    if isinstance(dtype, pl.List):
        return pa.list_(pa.string())
    if dtype == pl.Date:
        return pa.string() if iso_dates else pa.date32()
    if dtype == pl.Float64:
        return pa.float64()
    if dtype == pl.Int64:
        return pa.int64()
    if dtype == pl.Boolean:
        return pa.bool_()
    return pa.string()


def _write_parquet(
    out: BinaryIO, frame: pl.DataFrame, spec: FileSpec, injections: Sequence[Injection]
) -> None:
    if injections:
        placed = sorted(injections, key=lambda i: i.position)
        bad = pl.DataFrame(
            [{c: (i.record or {}).get(c) for c in frame.columns} for i in placed],
            schema=frame.schema,
        )
        total = frame.height + len(placed)
        is_bad = np.zeros(total, dtype=bool)
        is_bad[[i.position for i in placed]] = True
        # Row i of the file is clean row k or injected row j of the concatenation.
        source = np.empty(total, dtype=np.int64)
        source[~is_bad] = np.arange(frame.height)
        source[is_bad] = frame.height + np.arange(len(placed))
        frame = pl.concat([frame, bad])[source]
    if spec.iso_dates:
        frame = frame.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
    schema = pa.schema(
        [(name, _arrow_type(dtype, spec.iso_dates)) for name, dtype in frame.schema.items()]
    )
    pq.write_table(frame.to_arrow().cast(schema), out, compression="zstd")


def _write(
    out: BinaryIO, frame: pl.DataFrame, spec: FileSpec, injections: Sequence[Injection]
) -> None:
    if spec.fmt == "parquet":
        _write_parquet(out, frame, spec, injections)
    elif spec.fmt.endswith(".gz"):
        # mtime=0 and no file name keep the bytes identical across runs.
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as gz:
            _write_text(cast(BinaryIO, gz), frame, spec, injections)
    else:
        _write_text(out, frame, spec, injections)


def write_file(
    path: Path, frame: pl.DataFrame, spec: FileSpec, injections: Sequence[Injection] = ()
) -> None:
    """Write one landing file: `frame` rows with `injections` placed among them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        _write(out, frame, spec, injections)


def render(frame: pl.DataFrame, spec: FileSpec, injections: Sequence[Injection] = ()) -> bytes:
    """The bytes write_file would write (for small files built in memory)."""
    buf = io.BytesIO()
    _write(buf, frame, spec, injections)
    return buf.getvalue()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
