"""RFC 4180 CSV with a header row, read with pyarrow's C++ parser.

pyarrow reports every record whose field count differs from the header to a
callback instead of failing the file, which is exactly a `malformed_row`
(a truncated last row, a stray delimiter, an unterminated quote); the other
rows load. Every cell is read as text (empty cell = null) so that the contract
can report a malformed value verbatim.

pyarrow reads a file that ends inside a quoted field as if the quote were closed
there: a file cut inside its last column would load its last row with the value
cut short, the field count being right. That record is malformed too
(`_open_quote_at_end`).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv

from capscore.landing.rows import ROW_NUMBER, ParsedRows, malformed_frame

# Larger than any sane record: pyarrow fails on a record that straddles blocks.
_BLOCK_SIZE = 64 << 20
_HEADER_SNIFF_CHARS = 1 << 20
_SPECIAL = re.compile(r'["\n\r,]')


class CsvHeaderError(ValueError):
    pass


def header_names(text: str) -> list[str]:
    """Column names of the header record (quoted per RFC 4180), stripped."""
    reader = csv.reader(io.StringIO(text[:_HEADER_SNIFF_CHARS]))
    header = next((row for row in reader if row), None)
    if header is None:
        raise CsvHeaderError("no header row")
    names = [name.strip() for name in header]
    if "" in names:
        raise CsvHeaderError(
            f"header has an empty column name at position {names.index('') + 1} of "
            f"{len(names)} (a trailing delimiter?)"
        )
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise CsvHeaderError(f"header repeats column(s) {', '.join(repeated)}")
    return names


def _open_quote_at_end(text: str) -> int | None:
    """Offset of the record in which `text` ends inside a quoted field, else None.

    As pyarrow reads: a quote opens a quoted field only at the start of a field,
    `""` inside one is a quote, and newlines inside one are part of the value.
    A well-formed file has an even number of quotes, so only an odd count is walked.
    """
    if text.count('"') % 2 == 0:
        return None
    position, record_start = 0, 0
    while (found := _SPECIAL.search(text, position)) is not None:
        at = found.start()
        char = text[at]
        if char in "\n\r":
            record_start = position = at + 1
        elif char == "," or (at > 0 and text[at - 1] not in ",\n\r"):
            position = at + 1  # a delimiter, or a quote inside an unquoted field
        else:
            close = at
            while True:
                close = text.find('"', close + 1)
                if close == -1:
                    return record_start
                if text.startswith('"', close + 1):
                    close += 1  # an escaped quote
                    continue
                break
            position = close + 1
    return None


def read_csv(text: str, utf8: bytes) -> ParsedRows:
    """Parse CSV `text` (also given as UTF-8 bytes without BOM, which pyarrow reads)."""
    names = header_names(text)
    invalid: list[tuple[int, str, str]] = []
    cut_at = _open_quote_at_end(text)
    if cut_at is None and not utf8.endswith((b"\n", b"\r")):
        # RFC 4180 lets the last record go without a line break; pyarrow refuses a
        # header-only file without one ("Could not skip initial 1 rows").
        utf8 += b"\n"

    def on_invalid_row(row: pa_csv.InvalidRow) -> str:
        # row.number counts records from the header (1), so it is the data row + 1.
        invalid.append(
            (
                row.number - 1,
                f"row has {row.actual_columns} fields, the header has {row.expected_columns}",
                row.text,
            )
        )
        return "skip"

    table = pa_csv.read_csv(
        io.BytesIO(utf8),
        read_options=pa_csv.ReadOptions(
            column_names=names, skip_rows=1, use_threads=False, block_size=_BLOCK_SIZE
        ),
        parse_options=pa_csv.ParseOptions(
            newlines_in_values=True, invalid_row_handler=on_invalid_row
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    rows = pl.DataFrame(table)
    # The valid records are the record numbers pyarrow did not report, in order.
    bad = np.array([n for n, _, _ in invalid], dtype=np.int64)
    numbers = np.setdiff1d(np.arange(1, rows.height + bad.size + 1, dtype=np.int64), bad)
    rows = rows.with_columns(pl.Series(ROW_NUMBER, numbers, dtype=pl.Int64))
    last = rows.height + bad.size
    if cut_at is not None and last > 0 and last not in bad:
        rows = rows.filter(pl.col(ROW_NUMBER) != last)
        reason = "row ends inside an unterminated quoted field: the file looks truncated"
        invalid.append((last, reason, text[cut_at:]))
    return ParsedRows(rows=rows, malformed=malformed_frame(invalid))
