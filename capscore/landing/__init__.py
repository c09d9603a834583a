"""landing stage of capscore: which files form a drop, read them into rows as read.

`drops` is the one rule for what a drop is (date folders, temporaries,
symlinks, completeness, content hashes), `encoding` decodes text strictly
(UTF-8 with or without BOM, else GB18030 as a whole; bytes of another encoding
become held rows, see `bad_bytes`), `csv_reader` / `jsonl_reader` /
`parquet_reader` parse, `read.read_landing_file` ties them together (whole-file
problems become a `FileProblem`), `columns.conform_columns` lines the columns
up with a contract.
"""
