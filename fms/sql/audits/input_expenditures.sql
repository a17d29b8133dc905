-- Dataset of suite input_expenditures: expenditures changed since batch $since_seq.
-- Amounts may be negative (liquidations of progress payments on delivery, reversals).
SELECT
    e.expenditure_id,
    e.case_id,
    e.line_number,
    e.expenditure_date,
    e.category,
    coalesce(k.key_count, 0) AS key_count
FROM expenditures AS e
-- Rows sharing each audited key, counted for the audited keys only: a correlated count would
-- group the whole table (4M rows at scale large) even for a nightly of a few thousand.
LEFT JOIN (
    SELECT expenditure_id, count(*) AS key_count FROM expenditures
    WHERE expenditure_id IN (
        SELECT expenditure_id FROM expenditures
        WHERE loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq))
    GROUP BY expenditure_id
) AS k ON k.expenditure_id = e.expenditure_id
WHERE e.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
