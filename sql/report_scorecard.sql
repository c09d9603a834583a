-- The pool report's enterprises on $as_of (mart.enterprise_scorecard).
SELECT * FROM mart.enterprise_scorecard WHERE as_of_date = $as_of::DATE
