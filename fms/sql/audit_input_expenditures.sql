-- Audit frame for suite input_expenditures: expenditures changed since batch $since_seq.
-- Amounts may be negative (liquidations of progress payments on delivery, reversals).
SELECT
    e.expenditure_id,
    e.case_id,
    e.line_number,
    e.expenditure_date,
    e.category,
    (SELECT count(*) FROM expenditures AS a WHERE a.expenditure_id = e.expenditure_id)
        AS key_count,
    EXISTS (SELECT 1 FROM case_lines AS l
        WHERE l.case_id = e.case_id AND l.line_number = e.line_number) AS line_exists
FROM expenditures AS e
WHERE e.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
