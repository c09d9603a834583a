-- The pool report's enterprises on $as_of (mart.enterprise_scorecard): the columns the
-- report reads. Not the reasons, the masked representative or the registry details:
-- they were most of the read (at 1M firms, 2026-12-07: 2.4 s for every column, 1.0-1.2 s
-- for these).
SELECT
    credit_code,
    name,
    in_pool,
    life_stage,
    grade,
    tier,
    innovation,
    competitiveness,
    evolution,
    influence,
    composite,
    total_limit_wan,
    model_version
FROM mart.enterprise_scorecard
WHERE as_of_date = $as_of::DATE
