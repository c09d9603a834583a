"""Read one landing file into rows as read, or say why the whole file cannot be read."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from capscore.landing.bad_bytes import header_has_bad_bytes, hold_bad_bytes
from capscore.landing.csv_reader import CsvHeaderError, read_csv
from capscore.landing.discover import FORMATS, file_format
from capscore.landing.drops import Drop, sha256_of
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
    sha256: str | None = None  # of the bytes read (null when nothing could be read)


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
            bad_header = header_has_bad_bytes(parsed, decoded)
            if bad_header is not None:
                return _rejected(file, fmt, decoded.encoding, "encoding", bad_header)
        else:
            parsed = read_jsonl(decoded.text, decoded.utf8, hints)
        parsed = _with_lists(hold_bad_bytes(parsed, decoded), hints)
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
        expected = ", ".join(f".{f}" for f in FORMATS)
        reason = f"unsupported file type {path.name!r}: expected {expected}"
        rejected = _rejected(file, None, None, "unreadable_file", reason)
        return replace(rejected, sha256=sha256_of(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        return _rejected(file, fmt, None, "unreadable_file", f"cannot open: {error}")
    # The hash of exactly the bytes parsed: what the audit says was loaded.
    return replace(parse_bytes(data, fmt, hints, file), sha256=hashlib.sha256(data).hexdigest())


def read_drop(root: DataRoot, drop: Drop, hints: ColumnHints) -> list[LandingFile]:
    """Every file of a drop read, and every refused entry as a rejected file, in path order."""
    read = [read_landing_file(root.root / f.path, f.path, hints) for f in drop.files]
    refused = [
        _rejected(r.path, file_format(r.path), None, "unreadable_file", r.reason)
        for r in drop.refused
    ]
    return sorted(read + refused, key=lambda f: f.file)
