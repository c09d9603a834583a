"""Read one landing file into rows as read, or say why the whole file cannot be read."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from capscore.landing.csv_reader import CsvHeaderError, read_csv
from capscore.landing.discover import FORMATS, file_format, partition_files
from capscore.landing.encoding import UndecodableError, decode_text
from capscore.landing.jsonl_reader import read_jsonl
from capscore.landing.parquet_reader import read_parquet
from capscore.landing.rows import (
    MALFORMED_SCHEMA,
    ROW_NUMBER,
    ColumnHints,
    ParsedRows,
    split_list_cells,
)
from capscore.storage.paths import DataRoot


@dataclass(frozen=True)
class FileProblem:
    """Why a whole file is rejected: a whole-file rule id of architecture.md and a reason."""

    rule: str  # empty_file, encoding, unreadable_file (missing_column is the contract's)
    reason: str


@dataclass(frozen=True)
class LandingFile:
    file: str  # relative to the data root
    format: str | None
    encoding: str | None  # null for Parquet (and for files never decoded)
    parsed: ParsedRows
    problem: FileProblem | None = None


def _empty() -> ParsedRows:
    return ParsedRows(
        rows=pl.DataFrame(schema={ROW_NUMBER: pl.Int64}),
        malformed=pl.DataFrame(schema=MALFORMED_SCHEMA),
    )


def _rejected(
    file: str, fmt: str | None, encoding: str | None, rule: str, reason: str
) -> LandingFile:
    return LandingFile(file, fmt, encoding, _empty(), FileProblem(rule, reason))


def parse_bytes(data: bytes, fmt: str, hints: ColumnHints, file: str = "<bytes>") -> LandingFile:
    """Parse the content of a landing file of format `fmt` (see landing.discover.FORMATS)."""
    if not data:
        return _rejected(file, fmt, None, "empty_file", "file is empty (0 bytes)")
    if fmt.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as error:
            return _rejected(
                file, fmt, None, "unreadable_file", f"gzip data is truncated or corrupt: {error}"
            )
        if not data:
            return _rejected(file, fmt, None, "empty_file", "gzip file holds no data")
    if fmt == "parquet":
        try:
            parsed = _with_lists(read_parquet(data), hints)
        except Exception as error:  # any reader failure means the same: the file is unreadable
            return _rejected(file, fmt, None, "unreadable_file", f"cannot read Parquet: {error}")
        return LandingFile(file, fmt, None, parsed)
    try:
        decoded = decode_text(data)
    except UndecodableError as error:
        where = " (of the decompressed data)" if fmt.endswith(".gz") else ""
        return _rejected(file, fmt, None, "encoding", f"{error}{where}")
    if not decoded.text or decoded.text.isspace():
        return _rejected(file, fmt, decoded.encoding, "empty_file", "file holds only blank lines")
    try:
        if fmt.startswith("csv"):
            parsed = read_csv(decoded.text, decoded.utf8)
        else:
            parsed = read_jsonl(decoded.text, decoded.utf8, hints)
        parsed = _with_lists(parsed, hints)
    except CsvHeaderError as error:
        return _rejected(file, fmt, decoded.encoding, "unreadable_file", f"bad CSV header: {error}")
    except Exception as error:  # a parser failure on the file as a whole
        return _rejected(file, fmt, decoded.encoding, "unreadable_file", f"cannot parse: {error}")
    return LandingFile(file, fmt, decoded.encoding, parsed)


def _with_lists(parsed: ParsedRows, hints: ColumnHints) -> ParsedRows:
    return ParsedRows(split_list_cells(parsed.rows, hints.list_columns), parsed.malformed)


def read_landing_file(path: Path, file: str, hints: ColumnHints) -> LandingFile:
    """Read `path` (`file` is its data-root-relative name for lineage and messages)."""
    fmt = file_format(path.name)
    if fmt is None:
        return _rejected(
            file,
            None,
            None,
            "unreadable_file",
            f"unsupported file type {path.name!r}: expected " + ", ".join(f".{f}" for f in FORMATS),
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        return _rejected(file, fmt, None, "unreadable_file", f"cannot open: {error}")
    return parse_bytes(data, fmt, hints, file)


def read_drop(root: DataRoot, source: str, day: date, hints: ColumnHints) -> list[LandingFile]:
    """Every file of `landing/<source>/<day>/`, read in file-name order (none without a folder)."""
    folder = root.landing_partition(source, day.isoformat())
    return [read_landing_file(path, root.relative(path), hints) for path in partition_files(folder)]
