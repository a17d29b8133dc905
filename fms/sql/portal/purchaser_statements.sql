-- Every published revision of one purchaser's statements, newest quarter and revision first.
-- $code is the purchaser asked for; $country the reader's scope (NULL: an analyst).
SELECT country_code, period_end, revision, statement_date, payment_due_date, covers_start,
       covers_end, cases, amount_due, arrearage, interest, holding_account_balance, published_at
FROM purchaser_statements
WHERE country_code = $code AND ($country IS NULL OR country_code = $country)
ORDER BY period_end DESC, revision DESC
