-- mart.data_quality
-- Every landing drop's health, one row per source and landing date: files and
-- rows read, loaded and quarantined, rejected files, and which rules rejected
-- rows. Row counts always add up: rows_read = rows_loaded + rows_quarantined.
--
-- columns:
--   source: registry, patents or rd_records
--   partition_date: landing date of the drop
--   files: files in the drop
--   files_rejected: files rejected whole (missing column, encoding, empty, unreadable)
--   rows_read: data rows read from the drop's files
--   rows_loaded: rows that passed the contract and were loaded
--   rows_quarantined: rows routed to quality.quarantine
--   quarantine_rate: rows_quarantined / rows_read (null when nothing was read)
--   rule_counts: quarantined rows per first failing rule id
--   top_rule: the rule that quarantined the most rows
--   file_errors: the whole-file errors, one per rejected file
--   loaded_at: when the drop was last loaded (UTC)
WITH files AS (
    SELECT
        source,
        partition_date,
        count(*) AS files,
        count(*) FILTER (WHERE status = 'rejected') AS files_rejected,
        sum(rows_read) AS rows_read,
        sum(rows_loaded) AS rows_loaded,
        sum(rows_quarantined) AS rows_quarantined,
        list(file || ': ' || error ORDER BY file) FILTER (WHERE error IS NOT NULL) AS file_errors,
        max(loaded_at) AS loaded_at
    FROM quality.load_audit
    GROUP BY source, partition_date
),
rules AS (
    SELECT
        source,
        partition_date,
        histogram(rule) AS rule_counts,
        mode(rule) AS top_rule
    FROM quality.quarantine
    WHERE row_number IS NOT NULL
    GROUP BY source, partition_date
)
SELECT
    f.source,
    f.partition_date,
    f.files,
    f.files_rejected,
    f.rows_read,
    f.rows_loaded,
    f.rows_quarantined,
    f.rows_quarantined / nullif(f.rows_read, 0) AS quarantine_rate,
    r.rule_counts,
    r.top_rule,
    coalesce(f.file_errors, []) AS file_errors,
    f.loaded_at
FROM files AS f
LEFT JOIN rules AS r
    ON r.source = f.source AND r.partition_date = f.partition_date
