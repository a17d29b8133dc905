-- Buy backs of a case's articles (SAMM C9.T2a): the register's rows for the case.
SELECT b.buy_back_id, b.line_number, b.articles, b.quantity, b.recipient, b.legal_authority,
       b.contract_executed_date, b.reconciled, b.open, b.open_reason
FROM buy_back_register b JOIN cases c USING (case_id)
WHERE b.case_id = $case_id AND ($country IS NULL OR c.country_code = $country)
ORDER BY b.buy_back_id
