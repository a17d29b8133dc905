-- Dataset of suite input_payment_schedules: schedule rows changed since batch $since_seq.
-- Quarterly payments fall due on 15 Mar, Jun, Sep, Dec (SAMM C9.9.1.4); an initial deposit may
-- fall on any day.
SELECT
    p.case_id,
    p.due_date,
    p.is_initial_deposit,
    p.amount,
    (SELECT count(*) FROM payment_schedules AS a
        WHERE a.case_id = p.case_id AND a.due_date = p.due_date) AS key_count
FROM payment_schedules AS p
WHERE p.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
