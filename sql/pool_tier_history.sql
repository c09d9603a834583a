-- pool.tier_history
-- SCD type 2 over the cultivation pool: one row per stretch of as-of dates an
-- enterprise spent in one tier. Rebuilt from every pool.cultivation_pool
-- partition on each read, so it depends only on which partitions exist and what
-- they hold, never on the order in which they were built or backfilled.
-- Days out of the pool are not rows. An as-of date with no partition at all is
-- skipped (not built is not evidence of a change); an enterprise absent from a
-- built date counts as out of the pool on that date.
--
-- columns:
--   credit_code: 统一社会信用代码
--   valid_from: first as-of date in this tier
--   valid_to: first built as-of date no longer in this tier (null = still in it on the latest date)
--   tier: <life_stage>-<grade>, e.g. growth-A
--   model_version: the pool policy version that placed the enterprise in this tier (on valid_from)
WITH days AS (
    SELECT
        as_of_date,
        lag(as_of_date) OVER (ORDER BY as_of_date) AS previous_day,
        lead(as_of_date) OVER (ORDER BY as_of_date) AS next_day
    FROM (SELECT DISTINCT as_of_date FROM pool.cultivation_pool)
),
observed AS (
    SELECT
        p.credit_code,
        p.as_of_date,
        CASE WHEN p.in_pool THEN p.tier END AS tier,
        p.model_version,
        d.previous_day,
        d.next_day,
        lag(p.as_of_date) OVER w AS seen_before,
        lag(CASE WHEN p.in_pool THEN p.tier END) OVER w AS tier_before
    FROM pool.cultivation_pool AS p
    JOIN days AS d USING (as_of_date)
    WINDOW w AS (PARTITION BY p.credit_code ORDER BY p.as_of_date)
),
stretches AS (
    -- A stretch starts where the tier differs from the previous built date's
    -- (absent on that date counts as out of the pool).
    SELECT
        *,
        sum(
            CASE
                WHEN seen_before IS DISTINCT FROM previous_day THEN 1
                WHEN tier_before IS DISTINCT FROM tier THEN 1
                ELSE 0
            END
        ) OVER (PARTITION BY credit_code ORDER BY as_of_date) AS stretch
    FROM observed
)
SELECT
    credit_code,
    min(as_of_date) AS valid_from,
    arg_max_null(next_day, as_of_date) AS valid_to,
    any_value(tier) AS tier,
    arg_min(model_version, as_of_date) AS model_version
FROM stretches
WHERE tier IS NOT NULL
GROUP BY credit_code, stretch
ORDER BY credit_code, valid_from
