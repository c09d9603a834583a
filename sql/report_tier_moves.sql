-- Pool moves between the comparison date and $as_of, named by the one tier_change rule
-- (sql/macro_tier_change.sql): enterprises per change. It reads the two scorecards the
-- report already holds (report_scorecard.sql, report_previous_scorecard.sql), which the
-- caller registers as report_now and report_before: the scorecard view is not worked
-- out twice more for three of its columns.
WITH moves AS (
    SELECT tier_change(b.tier, n.tier, b.grade, n.grade) AS change
    FROM report_now AS n
    FULL JOIN report_before AS b ON b.credit_code = n.credit_code
)
SELECT change, count(*) AS enterprises FROM moves WHERE change IS NOT NULL GROUP BY change
