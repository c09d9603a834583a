-- mart.enterprise_scorecard
-- One row per scored enterprise and as-of date: who it is, its four dimension
-- scores and composite, its pool stage, grade and tier, its credit limit per
-- product, and the reasons that raised and lowered its composite. Filter on
-- as_of_date (e.g. the latest: max(as_of_date)) for a point-in-time scorecard.
-- The legal representative is masked (personal data).
--
-- columns:
--   as_of_date: the as-of date (point-in-time: what was knowable that day)
--   credit_code: 统一社会信用代码 of the enterprise
--   name: registered name as of that date
--   region_code: GB/T 2260 county-level code of the registered address
--   prefecture_code: the prefecture-level division containing region_code (4 digits + 00)
--   industry_code: GB/T 4754-2017 industry class
--   status: registration status (存续, 在业, 迁入, 迁出, 停业, 吊销, 注销)
--   legal_representative_masked: legal representative, first character then * (personal data)
--   in_pool: whether the enterprise is in the cultivation pool
--   eligibility_reason: the first pool eligibility rule that held (null when not eligible)
--   exclusion_reason: why the enterprise is not in the pool (null when it is)
--   life_stage: seed, startup, growth or mature
--   grade: A-D within the life stage, with hysteresis
--   tier: <life_stage>-<grade>, null when not in the pool
--   innovation: innovation (创新力) dimension score, 0-100
--   competitiveness: competitiveness (竞争力) dimension score, 0-100
--   evolution: evolution (进化力) dimension score, 0-100
--   influence: influence (影响力) dimension score, 0-100
--   composite: stage-weighted composite score, 0-100
--   coverage: share of the configured indicator weight with a value (1 = nothing missing)
--   peer_group: the peer group the indicator percentiles were ranked in
--   top_reasons: indicators that raised and lowered the composite most, in words
--   tech_credit_wan: 科技信用贷 limit, 万元 (null when not evaluated)
--   ip_pledge_wan: 知识产权质押 limit, 万元
--   warrant_linked_wan: 认股选择权贷款 limit, 万元
--   total_limit_wan: sum of the product limits, 万元
--   credit_policy_version: credit policy version that produced the limits
--   model_version: scoring model version that produced the scores
WITH limits AS (
    SELECT
        credit_code,
        as_of_date,
        sum(limit_wan) FILTER (WHERE product = 'tech_credit') AS tech_credit_wan,
        sum(limit_wan) FILTER (WHERE product = 'ip_pledge') AS ip_pledge_wan,
        sum(limit_wan) FILTER (WHERE product = 'warrant_linked') AS warrant_linked_wan,
        sum(limit_wan) AS total_limit_wan,
        max(policy_version) AS credit_policy_version
    FROM credit.credit_limit
    GROUP BY credit_code, as_of_date
)
SELECT
    s.as_of_date,
    s.credit_code,
    e.name,
    e.region_code,
    left(e.region_code, 4) || '00' AS prefecture_code,
    e.industry_code,
    e.status,
    mask_name(e.legal_representative) AS legal_representative_masked,
    coalesce(p.in_pool, false) AS in_pool,
    p.eligibility_reason,
    p.exclusion_reason,
    coalesce(p.life_stage, s.life_stage) AS life_stage,
    p.grade,
    CASE WHEN p.in_pool THEN p.tier END AS tier,
    s.innovation,
    s.competitiveness,
    s.evolution,
    s.influence,
    s.composite,
    s.coverage,
    s.peer_group,
    s.top_reasons,
    l.tech_credit_wan,
    l.ip_pledge_wan,
    l.warrant_linked_wan,
    l.total_limit_wan,
    l.credit_policy_version,
    s.model_version
FROM scoring.enterprise_score AS s
LEFT JOIN core.enterprise_asof AS e
    ON e.credit_code = s.credit_code AND e.as_of_date = s.as_of_date
LEFT JOIN pool.cultivation_pool AS p
    ON p.credit_code = s.credit_code AND p.as_of_date = s.as_of_date
LEFT JOIN limits AS l
    ON l.credit_code = s.credit_code AND l.as_of_date = s.as_of_date
