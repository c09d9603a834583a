-- What the pool report's movers and tier moves compare with on $as_of (the comparison
-- date): each enterprise's composite, tier and grade from mart.enterprise_scorecard,
-- without the columns they do not read (names, reasons, limits: most of a scorecard's
-- cost).
SELECT credit_code, composite, tier, grade FROM mart.enterprise_scorecard WHERE as_of_date = $as_of::DATE
