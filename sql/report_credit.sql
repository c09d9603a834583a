-- The pool report's credit exposure on $as_of (mart.credit_exposure).
SELECT * FROM mart.credit_exposure WHERE as_of_date = $as_of::DATE
