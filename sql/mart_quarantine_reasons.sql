-- mart.quarantine_reasons
-- Why rows were quarantined, grouped by source, landing date, rule and column,
-- with one example to act on.
--
-- columns:
--   source: registry, patents or rd_records
--   partition_date: landing date of the drop
--   rule: first failing rule id (e.g. check_digit, malformed_date, missing_column)
--   column: first failing column (null for a whole-file problem)
--   rows: quarantined rows (a whole-file problem counts once)
--   files: files these rows came from
--   example_file: file of the example, relative to the data root
--   example_row_number: 1-based data row of the example (null for a whole-file problem)
--   example_reason: the example's reason, as a person can act on it
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY source, partition_date, rule, "column"
            ORDER BY file, row_number NULLS FIRST
        ) AS example_rank
    FROM quality.quarantine
)
SELECT
    source,
    partition_date,
    rule,
    "column",
    count(*) AS rows,
    count(DISTINCT file) AS files,
    any_value(file) FILTER (WHERE example_rank = 1) AS example_file,
    any_value(row_number) FILTER (WHERE example_rank = 1) AS example_row_number,
    any_value(reason) FILTER (WHERE example_rank = 1) AS example_reason
FROM ranked
GROUP BY source, partition_date, rule, "column"
