-- One case, in scope: its record, its country's name and its value.
-- The value sums the lines of $case_id alone: correlated on c.case_id, DuckDB summed every
-- case's lines first (9.7 ms against 6.9 ms on the large generated data,
-- tools/benchmarks/portal.py).
SELECT c.*, n.name AS purchaser_name,
       (SELECT coalesce(sum(line_value), 0) FROM case_lines l WHERE l.case_id = $case_id)
           AS case_value
FROM cases c LEFT JOIN countries n USING (country_code)
WHERE c.case_id = $case_id AND ($country IS NULL OR c.country_code = $country)
