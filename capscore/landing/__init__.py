"""landing stage of capscore: read the files of a landing partition into rows as read.

`discover` lists a drop's files, `encoding` decodes text strictly (UTF-8 with or
without BOM, else GB18030), `csv_reader` / `jsonl_reader` / `parquet_reader`
parse, `read.read_landing_file` ties them together (whole-file problems become a
`FileProblem`), `columns.conform_columns` lines the columns up with a contract.
"""
