-- Quarantine reasons of every drop that landed by $as_of (mart.quarantine_reasons).
SELECT * FROM mart.quarantine_reasons WHERE partition_date <= $as_of::DATE
