-- A case's lines: ordered, delivered, undelivered and estimated-price aging (delivery_status,
-- as of the nightly's date). Scope is the case's, checked by case.sql first and again here.
SELECT l.line_number, l.generic_code, l.description, l.unit_of_issue, l.line_kind,
       l.ordered_quantity, l.line_value,
       s.as_of, s.delivered_quantity, s.delivered_value, s.undelivered_value,
       s.estimated_value_outstanding, s.oldest_estimated_days
FROM case_lines l
JOIN cases c USING (case_id)
LEFT JOIN delivery_status s USING (case_id, line_number)
WHERE l.case_id = $case_id AND ($country IS NULL OR c.country_code = $country)
ORDER BY l.line_number
