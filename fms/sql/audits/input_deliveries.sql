-- Dataset of suite input_deliveries: deliveries changed since batch $since_seq.
SELECT
    d.delivery_id,
    d.case_id,
    d.line_number,
    d.shipment_date,
    d.reported_date,
    d.quantity,
    d.price_code,
    d.delivered_value,
    coalesce(k.key_count, 0) AS key_count
FROM deliveries AS d
-- Rows sharing each audited key, counted for the audited keys only: a correlated count would
-- group the whole table (4M rows at scale large) even for a nightly of a few thousand.
LEFT JOIN (
    SELECT delivery_id, count(*) AS key_count FROM deliveries
    WHERE delivery_id IN (
        SELECT delivery_id FROM deliveries
        WHERE loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq))
    GROUP BY delivery_id
) AS k ON k.delivery_id = d.delivery_id
WHERE d.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
