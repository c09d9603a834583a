-- mart.pool_summary
-- The cultivation pool counted by as-of date, region, life stage and grade:
-- how many enterprises each cell holds, how they score, and how much credit
-- they carry. Roll up with sum(enterprises) over any subset of the keys.
-- Means and sums are rounded to 4 decimals: a parallel sum of doubles varies in
-- its last digits with the order its threads add up, and two runs over the same
-- rows must show the same figures.
--
-- columns:
--   as_of_date: the as-of date
--   region_code: GB/T 2260 county-level code
--   prefecture_code: prefecture-level division of region_code (4 digits + 00)
--   province_code: province-level division of region_code (2 digits + 0000)
--   life_stage: seed, startup, growth or mature
--   grade: A-D
--   tier: <life_stage>-<grade>
--   enterprises: enterprises in the pool in this cell
--   avg_composite: mean composite score, 0-100
--   median_composite: median composite score, 0-100
--   avg_innovation: mean innovation score
--   avg_competitiveness: mean competitiveness score
--   avg_evolution: mean evolution score
--   avg_influence: mean influence score
--   enterprises_with_credit: enterprises with a positive limit in some product
--   total_limit_wan: sum of all product limits, 万元
WITH limits AS (
    SELECT credit_code, as_of_date, sum(limit_wan) AS limit_wan
    FROM credit.credit_limit
    GROUP BY credit_code, as_of_date
)
SELECT
    p.as_of_date,
    e.region_code,
    left(e.region_code, 4) || '00' AS prefecture_code,
    left(e.region_code, 2) || '0000' AS province_code,
    p.life_stage,
    p.grade,
    p.tier,
    count(*) AS enterprises,
    round(avg(s.composite), 4) AS avg_composite,
    median(s.composite) AS median_composite,
    round(avg(s.innovation), 4) AS avg_innovation,
    round(avg(s.competitiveness), 4) AS avg_competitiveness,
    round(avg(s.evolution), 4) AS avg_evolution,
    round(avg(s.influence), 4) AS avg_influence,
    count(*) FILTER (WHERE l.limit_wan > 0) AS enterprises_with_credit,
    round(coalesce(sum(l.limit_wan), 0), 4) AS total_limit_wan
FROM pool.cultivation_pool AS p
LEFT JOIN scoring.enterprise_score AS s
    ON s.credit_code = p.credit_code AND s.as_of_date = p.as_of_date
LEFT JOIN core.enterprise_asof AS e
    ON e.credit_code = p.credit_code AND e.as_of_date = p.as_of_date
LEFT JOIN limits AS l
    ON l.credit_code = p.credit_code AND l.as_of_date = p.as_of_date
WHERE p.in_pool
GROUP BY p.as_of_date, e.region_code, p.life_stage, p.grade, p.tier
