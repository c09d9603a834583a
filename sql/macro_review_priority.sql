-- review_priority(exposure_wan, patents, same_mention_count, match_probability,
--                 mention_type, mention_key)
-- The order reviewers work through one as-of date's er.review_queue in (1 = review
-- first): a decision that could move a large limit or many patents before a small
-- one, then a mention whose text recurs in the queue (one decision settles them
-- all), then the more probable before the less; type and key make the order total.
-- A window over the rows it is called on: the er_review_queue asset (its preview)
-- and mart.er_review_queue (the latest queue) call it. Not stored: a new item
-- would renumber every row after it each day.
CREATE OR REPLACE MACRO review_priority(
    exposure_wan, patents, same_mention_count, match_probability, mention_type, mention_key
) AS
row_number() OVER (
    ORDER BY
        exposure_wan DESC,
        patents DESC,
        same_mention_count DESC,
        match_probability DESC,
        mention_type,
        mention_key
)
