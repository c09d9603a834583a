-- Pool moves between $previous and $as_of, named by the one tier_change rule
-- (sql/macro_tier_change.sql): enterprises per change.
WITH now AS (
    SELECT credit_code, tier, grade FROM mart.enterprise_scorecard WHERE as_of_date = $as_of::DATE
),
before AS (
    SELECT credit_code, tier, grade FROM mart.enterprise_scorecard WHERE as_of_date = $previous::DATE
),
moves AS (
    SELECT tier_change(before.tier, now.tier, before.grade, now.grade) AS change
    FROM now FULL JOIN before ON before.credit_code = now.credit_code
)
SELECT change, count(*) AS enterprises FROM moves WHERE change IS NOT NULL GROUP BY change
