-- The model validation figures of $as_of (scoring.validation) for the pool report.
SELECT section, outcome, subject, metric, value, reference_date
FROM scoring.validation
WHERE as_of_date = $as_of::DATE
ORDER BY section, outcome, subject, metric
