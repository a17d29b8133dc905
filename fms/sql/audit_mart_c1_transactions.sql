-- Audit frame for suite mart_c1_transactions: the staged C1 records (Table C9.T18).
SELECT
    s.*,
    count(*) OVER (PARTITION BY s.case_id, s.line_number) AS key_count,
    substr(s.record, 3, 2) = c.country_code
        AND substr(s.record, 5, 1) = c.implementing_agency
        AND substr(s.record, 6, 3) = c.case_designator AS record_spells_its_case
FROM staging.c1_transactions AS s
LEFT JOIN cases AS c USING (case_id)
