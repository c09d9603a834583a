-- What the pool report's movers compare with on $as_of (the comparison date):
-- each enterprise's composite and tier from mart.enterprise_scorecard, without
-- the columns it does not read (names, reasons, limits: most of a scorecard's cost).
SELECT credit_code, composite, tier FROM mart.enterprise_scorecard WHERE as_of_date = $as_of::DATE
