-- mart.er_review_queue
-- The current entity-resolution review queue (latest as-of date), one row per
-- doubtful mention, most at stake first: the best candidate's credit exposure
-- and patents (what a decision could move), then mentions whose text recurs
-- most (one decision settles them all), then the likeliest matches (the order
-- is the review_priority macro's, the one the pipeline's preview shows).
-- An applicant who is a person is masked (personal data), and so is an R&D
-- filer's name that reads as a person's (er.review_queue holds it masked).
-- Reviewer decisions go to <root>/review/.
--
-- columns:
--   priority: 1 = review first
--   as_of_date: the as-of date of the queue
--   mention_type: applicant (a patent applicant) or rd (an R&D filing)
--   mention_key: <application_number>#<applicant_position> or <file>#<row_number>
--   mention: the name as written (masked when the applicant is an individual or
--     an R&D filer's name reads as a person's, as the applicant-kind rule says)
--   exposure_wan: the best candidate's credit limits as of the same date, 万元
--   patents: the best candidate's patents on that date
--   same_mention_count: mentions in the queue with the same text (as filed:
--     two persons masked alike are two texts)
--   best_credit_code: credit code of the most probable candidate
--   best_name: registered name of the most probable candidate
--   best_probability: its match probability, 0-1
--   runner_up_probability: the second candidate's probability (null if none)
--   margin: best_probability - runner_up_probability (small = a close call)
--   candidates: every proposed candidate (credit_code, name, probability)
--   explanation: why the model was unsure, for the reviewer
WITH individuals AS (
    SELECT application_number || '#' || applicant_position AS mention_key
    FROM er.applicant_links
    WHERE applicant_kind = 'individual'
),
queue AS (
    SELECT
        q.as_of_date,
        q.mention_type,
        q.mention_key,
        CASE
            WHEN i.mention_key IS NOT NULL THEN mask_name(q.mention)
            ELSE q.mention
        END AS mention,
        review_priority(
            q.exposure_wan, q.patents, q.same_mention_count, q.match_probability,
            q.mention_type, q.mention_key
        ) AS priority,
        q.exposure_wan,
        q.patents,
        q.same_mention_count,
        q.top_candidates AS candidates,
        q.explanation
    FROM er.review_queue AS q
    LEFT JOIN individuals AS i
        ON q.mention_type = 'applicant' AND i.mention_key = q.mention_key
),
best AS (
    SELECT
        *,
        list_reverse_sort(list_transform(candidates, lambda c: c.probability)) AS probabilities,
        list_filter(
            candidates,
            lambda c: c.probability = list_max(list_transform(candidates, lambda x: x.probability))
        )[1] AS top
    FROM queue
)
SELECT
    priority,
    as_of_date,
    mention_type,
    mention_key,
    mention,
    exposure_wan,
    patents,
    same_mention_count,
    top.credit_code AS best_credit_code,
    top.name AS best_name,
    probabilities[1] AS best_probability,
    probabilities[2] AS runner_up_probability,
    probabilities[1] - probabilities[2] AS margin,
    candidates,
    explanation
FROM best
ORDER BY priority
