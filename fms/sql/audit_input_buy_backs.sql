-- Audit frame for suite input_buy_backs: buy backs changed since batch $since_seq.
SELECT
    b.buy_back_id,
    b.case_id,
    b.line_number,
    b.quantity,
    b.recipient,
    b.legal_authority,
    (SELECT count(*) FROM buy_backs AS a WHERE a.buy_back_id = b.buy_back_id) AS key_count,
    EXISTS (SELECT 1 FROM case_lines AS l
        WHERE l.case_id = b.case_id AND l.line_number = b.line_number) AS line_exists,
    -- reconciled on its case only once the buy back contract is executed (E-Change 773)
    CASE WHEN b.reconciled THEN b.contract_executed_date IS NOT NULL END
        AS reconciled_only_when_executed
FROM buy_backs AS b
WHERE b.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
