-- tier_change(from_tier, to_tier, from_grade, to_grade)
-- The one rule that names a move in the cultivation pool between two dates:
-- pool.tier_transitions (day to day), mart.tier_movers (7, 30, 90 days) and
-- the pool report all call it. Tiers are null outside the pool. The grade is
-- checked before the stage: a firm whose grade and stage change on the same
-- day is promoted or demoted; stage_changed means the same grade in another
-- stage. Grades are letters, best first (A < B < C < D), so a smaller letter
-- is a better grade. Null when the tier did not change.
CREATE OR REPLACE MACRO tier_change(from_tier, to_tier, from_grade, to_grade) AS
CASE
    WHEN from_tier IS NOT DISTINCT FROM to_tier THEN NULL
    WHEN from_tier IS NULL THEN 'entered'
    WHEN to_tier IS NULL THEN 'exited'
    WHEN to_grade < from_grade THEN 'promoted'
    WHEN to_grade > from_grade THEN 'demoted'
    ELSE 'stage_changed'
END
