-- mart.credit_exposure
-- Credit limits summed by as-of date, product, life stage, grade and region:
-- the program's exposure if every limit were drawn, and how many enterprises
-- carry it. Enterprises evaluated with a zero limit are counted apart. Sums and
-- means are rounded to 4 decimals (the order a parallel sum adds in moves its
-- last digits; two runs over the same rows must show the same figures).
--
-- columns:
--   as_of_date: the as-of date
--   product: tech_credit (科技信用贷), ip_pledge (知识产权质押) or warrant_linked (认股选择权贷款)
--   life_stage: seed, startup, growth or mature (null when not scored)
--   grade: A-D (null when not in the pool)
--   region_code: GB/T 2260 county-level code
--   prefecture_code: prefecture-level division of region_code (4 digits + 00)
--   province_code: province-level division of region_code (2 digits + 0000)
--   enterprises_evaluated: enterprises with a row for this product
--   enterprises_with_limit: enterprises whose limit is above zero
--   total_limit_wan: sum of limits, 万元
--   avg_limit_wan: mean limit over enterprises with a limit, 万元
--   max_limit_wan: largest single limit, 万元
--   top_binding_constraint: the cap that most often set a positive limit (ties: the first by name)
WITH limits AS (
    SELECT
        c.as_of_date,
        c.product,
        c.credit_code,
        c.limit_wan,
        c.binding_constraint,
        coalesce(p.life_stage, s.life_stage) AS life_stage,
        CASE WHEN p.in_pool THEN p.grade END AS grade,
        e.region_code
    FROM credit.credit_limit AS c
    LEFT JOIN pool.cultivation_pool AS p
        ON p.credit_code = c.credit_code AND p.as_of_date = c.as_of_date
    LEFT JOIN scoring.enterprise_score AS s
        ON s.credit_code = c.credit_code AND s.as_of_date = c.as_of_date
    LEFT JOIN core.enterprise_asof AS e
        ON e.credit_code = c.credit_code AND e.as_of_date = c.as_of_date
),
binding AS (
    -- The most frequent cap per group; a tie goes to the first name, so that identical
    -- queries give identical answers (mode() picks any of the tied values).
    SELECT as_of_date, product, life_stage, grade, region_code, binding_constraint
    FROM (
        SELECT
            as_of_date, product, life_stage, grade, region_code, binding_constraint,
            row_number() OVER (
                PARTITION BY as_of_date, product, life_stage, grade, region_code
                ORDER BY count(*) DESC, binding_constraint
            ) AS place
        FROM limits
        WHERE limit_wan > 0
        GROUP BY as_of_date, product, life_stage, grade, region_code, binding_constraint
    )
    WHERE place = 1
),
totals AS (
    SELECT
        as_of_date,
        product,
        life_stage,
        grade,
        region_code,
        count(*) AS enterprises_evaluated,
        count(*) FILTER (WHERE limit_wan > 0) AS enterprises_with_limit,
        round(coalesce(sum(limit_wan), 0), 4) AS total_limit_wan,
        round(avg(limit_wan) FILTER (WHERE limit_wan > 0), 4) AS avg_limit_wan,
        max(limit_wan) AS max_limit_wan
    FROM limits
    GROUP BY as_of_date, product, life_stage, grade, region_code
)
SELECT
    t.as_of_date,
    t.product,
    t.life_stage,
    t.grade,
    t.region_code,
    left(t.region_code, 4) || '00' AS prefecture_code,
    left(t.region_code, 2) || '0000' AS province_code,
    t.enterprises_evaluated,
    t.enterprises_with_limit,
    t.total_limit_wan,
    t.avg_limit_wan,
    t.max_limit_wan,
    b.binding_constraint AS top_binding_constraint
FROM totals AS t
LEFT JOIN binding AS b
    ON b.as_of_date = t.as_of_date
    AND b.product = t.product
    AND b.life_stage IS NOT DISTINCT FROM t.life_stage
    AND b.grade IS NOT DISTINCT FROM t.grade
    AND b.region_code IS NOT DISTINCT FROM t.region_code
