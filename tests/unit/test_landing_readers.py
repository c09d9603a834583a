from __future__ import annotations

import gzip
import io
import json
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from capscore.landing.columns import conform_columns
from capscore.landing.discover import file_format
from capscore.landing.read import parse_bytes, read_landing_file
from capscore.landing.rows import ColumnHints

HINTS = ColumnHints(
    list_columns=frozenset({"applicants", "ipc_codes"}),
    text_columns=frozenset({"application_number", "title", "application_date"}),
)


def rows_of(data: bytes, fmt: str) -> list[dict[str, object]]:
    landing = parse_bytes(data, fmt, HINTS)
    assert landing.problem is None, landing.problem
    return landing.parsed.rows.to_dicts()


def test_csv_rfc4180_quoting_empty_cells_and_lists() -> None:
    data = (
        "application_number,title,applicants,claims_count\n"
        'CN202310123456.6,"一种悬架, 及其""控制""\n方法", 浙江科亿 ;浙江大学 ;,10\n'
        "CN201710601862.3,,,\n"
    ).encode()
    first, second = rows_of(data, "csv")
    assert first["title"] == '一种悬架, 及其"控制"\n方法'
    assert first["applicants"] == ["浙江科亿", "浙江大学"]
    assert first["claims_count"] == "10"
    assert first["_row_number"] == 1
    assert second == {
        "application_number": "CN201710601862.3",
        "title": None,
        "applicants": None,
        "claims_count": None,
        "_row_number": 2,
    }


def test_csv_row_with_wrong_field_count_is_malformed_with_its_row_number() -> None:
    data = b'a,b,c\n1,2,3\n4,5\n6,7,8\n9,10,11,12\n13,"cut in a quote\n'
    landing = parse_bytes(data, "csv", HINTS)
    assert landing.parsed.rows["_row_number"].to_list() == [1, 3]
    malformed = landing.parsed.malformed
    assert malformed["_row_number"].to_list() == [2, 4, 5]
    assert malformed["reason"][0] == "row has 2 fields, the header has 3"
    assert json.loads(malformed["raw_record"][0]) == {"_line": "4,5"}
    assert landing.parsed.rows_read == 5


def test_csv_header_is_stripped_and_a_repeated_name_rejects_the_file() -> None:
    assert rows_of(b" a , b\n1,2\n", "csv") == [{"a": "1", "b": "2", "_row_number": 1}]
    landing = parse_bytes(b"a,a\n1,2\n", "csv", HINTS)
    assert landing.problem is not None and landing.problem.rule == "unreadable_file"
    assert "repeats column" in landing.problem.reason
    # Trailing delimiters leave empty names: said as such, not as a repeated name "".
    trailing = parse_bytes(b"a,b,,\n1,2,,\n", "csv", HINTS)
    assert trailing.problem is not None
    assert trailing.problem.reason.endswith(
        "header has an empty column name at position 3 of 4 (a trailing delimiter?)"
    )


def test_header_only_csv_loads_no_rows() -> None:
    landing = parse_bytes(b"a,b\n", "csv", HINTS)
    assert landing.problem is None and landing.parsed.rows_read == 0


def test_header_only_csv_without_a_final_line_break_loads_no_rows() -> None:
    # RFC 4180: the last record may go without a line break; pyarrow refused the file.
    landing = parse_bytes(b"a,b", "csv", HINTS)
    assert landing.problem is None and landing.parsed.rows_read == 0
    assert rows_of(b"a,b\r\n1,2", "csv") == [{"a": "1", "b": "2", "_row_number": 1}]


@pytest.mark.parametrize(
    "tail", ['2,"cut inside the last col', '2,"cut inside the last col\n', '2,"cut ""here""\n']
)
def test_csv_cut_inside_a_quoted_last_column_is_a_malformed_row(tail: str) -> None:
    # The field count is right, so pyarrow loaded the row with its value cut short.
    data = ('a,b\n1,"ok, ""quoted""\nacross lines"\n' + tail).encode()
    landing = parse_bytes(data, "csv", HINTS)
    assert landing.parsed.rows.to_dicts() == [
        {"a": "1", "b": 'ok, "quoted"\nacross lines', "_row_number": 1}
    ]
    (bad,) = landing.parsed.malformed.to_dicts()
    assert bad["_row_number"] == 2 and "unterminated quoted field" in bad["reason"]
    assert json.loads(bad["raw_record"]) == {"_line": tail}
    # A quote inside an unquoted field is no quoting: nothing is cut.
    assert rows_of(b'a,b\n1,12" disc\n', "csv")[0]["b"] == '12" disc'


def test_jsonl_arrays_numbers_and_malformed_lines() -> None:
    lines = [
        '{"application_number": "CN202310123456.6", "applicants": ["甲", " 乙 "], "claims_count": 10}',
        "{not json",
        "",
        '{"application_number": "CN201710601862.3", "applicants": [], "pct": true}',
        "[1, 2]",
    ]
    landing = parse_bytes("\n".join(lines).encode(), "jsonl", HINTS)
    rows = landing.parsed.rows
    assert rows["_row_number"].to_list() == [1, 4]
    assert rows["applicants"].to_list() == [["甲", "乙"], None]
    assert rows["claims_count"].to_list() == ["10", None]
    assert rows["pct"].to_list() == [None, "true"]
    assert landing.parsed.malformed["_row_number"].to_list() == [2, 5]
    assert landing.parsed.rows_read == 4


def test_jsonl_fast_and_fallback_paths_read_the_same_values() -> None:
    lines = [
        '{"application_number": "CN202310123456.6", "application_date": "2023-01-05", '
        '"applicants": ["甲"], "claims_count": 10, "pct": false, "extra": "x"}',
        '{"application_number": "CN201710601862.3", "application_date": "2017-09-01", '
        '"applicants": ["乙", "丙"], "claims_count": 3, "pct": true}',
    ]
    fast = rows_of("\n".join(lines).encode(), "jsonl")
    # A blank line in between takes the line-by-line path (line numbers shift by one).
    slow = rows_of("\n\n".join(lines).encode(), "jsonl")
    assert [r.pop("_row_number") for r in fast] == [1, 2]
    assert [r.pop("_row_number") for r in slow] == [1, 3]
    assert fast == slow
    assert fast[0]["application_date"] == "2023-01-05"
    assert fast[0]["claims_count"] == "10" and fast[0]["pct"] == "false"


def test_jsonl_value_of_an_unexpected_type_is_kept_as_text() -> None:
    data = b'{"title": {"zh": "\xe6\x82\xac"}, "applicants": "one"}\n'
    (row,) = rows_of(data, "jsonl")
    assert row["title"] == '{"zh": "悬"}'
    assert row["applicants"] == ["one"]


def _parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_parquet_lists_dates_and_numbers_come_back_as_text() -> None:
    frame = pl.DataFrame(
        {
            "application_date": [date(2023, 1, 5), None],
            "publication_date": ["2023-07-05", "2023-08-01"],
            "applicants": [["甲", "乙"], []],
            "claims_count": [10, None],
            "pct": [True, False],
        }
    )
    rows = rows_of(_parquet(frame), "parquet")
    assert rows[0] == {
        "application_date": "2023-01-05",
        "publication_date": "2023-07-05",
        "applicants": ["甲", "乙"],
        "claims_count": "10",
        "pct": "true",
        "_row_number": 1,
    }
    assert rows[1]["applicants"] is None and rows[1]["pct"] == "false"


def test_parquet_date64_columns_are_dates() -> None:
    # Parquet has one DATE type; Arrow's date64 is stored as it, and is a date too.
    table = pa.table(
        {
            "application_date": pa.array([date(2023, 1, 5), None], pa.date64()),
            "publication_date": pa.array([date(2023, 7, 5), date(2023, 8, 1)], pa.date32()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    rows = rows_of(buffer.getvalue(), "parquet")
    assert [(r["application_date"], r["publication_date"]) for r in rows] == [
        ("2023-01-05", "2023-07-05"),
        (None, "2023-08-01"),
    ]


def test_truncated_parquet_and_gzip_are_unreadable_files() -> None:
    parquet = _parquet(pl.DataFrame({"a": list(range(1000))}))
    gz = gzip.compress(b"a,b\n" + b"1,2\n" * 1000)
    for data, fmt in ((parquet[: len(parquet) // 2], "parquet"), (gz[: len(gz) // 2], "csv.gz")):
        landing = parse_bytes(data, fmt, HINTS)
        assert landing.problem is not None and landing.problem.rule == "unreadable_file", fmt
        assert landing.parsed.rows_read == 0


def test_gzip_csv_and_jsonl_are_read() -> None:
    assert rows_of(gzip.compress(b"a\n1\n"), "csv.gz") == [{"a": "1", "_row_number": 1}]
    assert rows_of(gzip.compress(b'{"a": "1"}\n'), "jsonl.gz") == [{"a": "1", "_row_number": 1}]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_files(data: bytes) -> None:
    landing = parse_bytes(data, "csv", HINTS)
    assert landing.problem is not None and landing.problem.rule == "empty_file"


def test_undecodable_bytes_make_their_row_an_encoding_row_with_line_and_offset() -> None:
    landing = parse_bytes(b"a,b\n1,\xff\xff\n2,3\n", "csv", HINTS)
    assert landing.problem is None and landing.encoding == "utf-8"
    assert landing.parsed.rows.to_dicts() == [{"a": "2", "b": "3", "_row_number": 2}]
    [held] = landing.parsed.malformed.to_dicts()
    assert (held["_row_number"], held["rule"]) == (1, "encoding")
    assert held["reason"].startswith("line 2: bytes \\xff\\xff at byte offset 6 are not UTF-8")
    assert json.loads(held["raw_record"]) == {"a": "1", "b": "\\xff\\xff"}
    assert landing.parsed.rows_read == 2


def test_utf16_is_still_rejected_whole() -> None:
    landing = parse_bytes("a,b\n1,2\n".encode("utf-16"), "csv", HINTS)
    assert landing.problem is not None and landing.problem.rule == "encoding"
    assert "NUL byte" in landing.problem.reason


def test_gb18030_csv_reads_exactly() -> None:
    data = "application_number,title\nCN202310123456.6,一种智能悬架\n".encode("gb18030")
    landing = parse_bytes(data, "csv", HINTS)
    assert landing.encoding == "gb18030"
    assert landing.parsed.rows["title"].to_list() == ["一种智能悬架"]


def test_file_formats() -> None:
    assert [file_format(n) for n in ("a.CSV", "b.csv.gz", "c.jsonl.gz", "d.parquet", "e.txt")] == [
        "csv",
        "csv.gz",
        "jsonl.gz",
        "parquet",
        None,
    ]


def test_unsupported_file_is_rejected_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "readme.txt"
    path.write_text("hello")
    landing = read_landing_file(path, "landing/x/readme.txt", HINTS)
    assert landing.problem is not None and landing.problem.rule == "unreadable_file"
    assert "readme.txt" in landing.problem.reason


def test_conform_keeps_unknown_columns_as_json_and_lists_missing_ones() -> None:
    rows = pl.DataFrame(
        {"a": ["1", "2"], "zz": ["x", None], "yy": ["悬", None], "_row_number": [1, 2]}
    )
    conformed = conform_columns(rows, ["a", "b", "c"], {"c"})
    assert conformed.missing == ["b", "c"] and conformed.extra == ["zz", "yy"]
    assert conformed.frame.columns == ["a", "b", "c", "_row_number", "_extra"]
    assert conformed.frame.schema["c"] == pl.List(pl.String)
    extra = conformed.frame["_extra"].to_list()
    assert json.loads(extra[0]) == {"zz": "x", "yy": "悬"} and extra[1] is None


def test_a_list_where_one_value_belongs_is_kept_as_json_text() -> None:
    rows = pl.DataFrame({"a": [["1", "2"]], "c": [["x"]], "_row_number": [1]})
    frame = conform_columns(rows, ["a", "c"], {"c"}).frame
    assert frame["a"].to_list() == ['["1","2"]'] and frame["c"].to_list() == [["x"]]
