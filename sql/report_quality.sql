-- Data quality of every drop that landed by $as_of (mart.data_quality).
SELECT * EXCLUDE (rule_counts) FROM mart.data_quality WHERE partition_date <= $as_of::DATE
