-- Dataset of suite mart_c1_transactions: the staged C1 records (Table C9.T18).
SELECT
    s.*,
    c.country_code AS case_country_code,
    c.implementing_agency AS case_implementing_agency,
    c.case_designator,
    count(*) OVER (PARTITION BY s.case_id, s.line_number) AS key_count
FROM staging.c1_transactions AS s
LEFT JOIN cases AS c USING (case_id)
