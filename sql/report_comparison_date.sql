-- The as-of date the pool report compares $as_of with: the latest scored date
-- at least $lookback_days earlier, else the earliest scored date before
-- $as_of, else null (nothing to compare with). The scored dates are read from
-- meta.as_of_dates: asking scoring.enterprise_score would rebuild every date's
-- scores (7.5 s at a million firms) to list them.
WITH scored AS (
    SELECT as_of_date FROM meta.as_of_dates WHERE relation = 'scoring.enterprise_score'
)
SELECT coalesce(
    (
        SELECT max(as_of_date) FROM scored
        WHERE as_of_date <= $as_of::DATE - to_days($lookback_days::INTEGER)
    ),
    (SELECT min(as_of_date) FROM scored WHERE as_of_date < $as_of::DATE)
) AS comparison_date
