-- mart.tier_movers
-- Enterprises whose pool tier differs between an as-of date and the same
-- enterprise 7, 30 or 90 days earlier (compared with the latest as-of date
-- built on or before that day, `base_date`; a period reaching before the
-- first built date has no rows). Pick a period and a date, then sort by
-- composite_change. Day-to-day moves are in pool.tier_transitions.
--
-- columns:
--   as_of_date: the later date of the comparison
--   period_days: length of the period looked back over: 7, 30 or 90
--   base_date: the earlier date compared with (latest built as-of date <= as_of_date - period_days)
--   credit_code: 统一社会信用代码
--   name: registered name as of as_of_date (else as of base_date)
--   region_code: GB/T 2260 county-level code
--   from_tier: tier on base_date (null = not in the pool)
--   to_tier: tier on as_of_date (null = not in the pool)
--   from_composite: composite score on base_date
--   to_composite: composite score on as_of_date
--   composite_change: to_composite - from_composite
--   change: entered, exited, promoted (better grade), demoted (worse grade) or stage_changed (same grade, other stage); sql/macro_tier_change.sql
WITH pool AS (
    SELECT
        p.credit_code,
        p.as_of_date,
        CASE WHEN p.in_pool THEN p.tier END AS tier,
        CASE WHEN p.in_pool THEN p.grade END AS grade,
        s.composite
    FROM pool.cultivation_pool AS p
    LEFT JOIN scoring.enterprise_score AS s
        ON s.credit_code = p.credit_code AND s.as_of_date = p.as_of_date
),
dates AS (
    SELECT DISTINCT as_of_date FROM pool.cultivation_pool
),
windows AS (
    SELECT d.as_of_date, w.period_days, max(b.as_of_date) AS base_date
    FROM dates AS d
    CROSS JOIN (VALUES (7), (30), (90)) AS w (period_days)
    JOIN dates AS b ON b.as_of_date <= d.as_of_date - w.period_days
    GROUP BY d.as_of_date, w.period_days
),
pairs AS (
    -- Enterprises in the pool on either date (two equi-joins: an OR join cannot hash).
    SELECT w.as_of_date, w.period_days, w.base_date, p.credit_code
    FROM windows AS w
    JOIN pool AS p ON p.as_of_date = w.as_of_date
    WHERE p.tier IS NOT NULL
    UNION
    SELECT w.as_of_date, w.period_days, w.base_date, p.credit_code
    FROM windows AS w
    JOIN pool AS p ON p.as_of_date = w.base_date
    WHERE p.tier IS NOT NULL
)
SELECT
    k.as_of_date,
    k.period_days,
    k.base_date,
    k.credit_code,
    coalesce(e_now.name, e_then.name) AS name,
    coalesce(e_now.region_code, e_then.region_code) AS region_code,
    b.tier AS from_tier,
    c.tier AS to_tier,
    b.composite AS from_composite,
    c.composite AS to_composite,
    c.composite - b.composite AS composite_change,
    tier_change(b.tier, c.tier, b.grade, c.grade) AS change
FROM pairs AS k
LEFT JOIN pool AS c ON c.credit_code = k.credit_code AND c.as_of_date = k.as_of_date
LEFT JOIN pool AS b ON b.credit_code = k.credit_code AND b.as_of_date = k.base_date
LEFT JOIN core.enterprise_asof AS e_now
    ON e_now.credit_code = k.credit_code AND e_now.as_of_date = k.as_of_date
LEFT JOIN core.enterprise_asof AS e_then
    ON e_then.credit_code = k.credit_code AND e_then.as_of_date = k.base_date
WHERE c.tier IS DISTINCT FROM b.tier
