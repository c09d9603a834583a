-- The as-of date the pool report compares $as_of with: the latest scored date
-- at least $lookback_days earlier, else the earliest scored date before
-- $as_of, else null (nothing to compare with).
SELECT coalesce(
    (
        SELECT max(as_of_date) FROM scoring.enterprise_score
        WHERE as_of_date <= $as_of::DATE - to_days($lookback_days::INTEGER)
    ),
    (SELECT min(as_of_date) FROM scoring.enterprise_score WHERE as_of_date < $as_of::DATE)
) AS comparison_date
