-- Dataset of suite input_buy_backs: buy backs changed since batch $since_seq.
SELECT
    b.buy_back_id,
    b.case_id,
    b.line_number,
    b.quantity,
    b.recipient,
    b.legal_authority,
    b.contract_executed_date,
    b.reconciled,
    (SELECT count(*) FROM buy_backs AS a WHERE a.buy_back_id = b.buy_back_id) AS key_count
FROM buy_backs AS b
WHERE b.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
