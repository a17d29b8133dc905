-- Audit frame for suite input_deliveries: deliveries changed since batch $since_seq.
SELECT
    d.delivery_id,
    d.case_id,
    d.line_number,
    d.shipment_date,
    d.reported_date,
    d.quantity,
    d.price_code,
    (SELECT count(*) FROM deliveries AS a WHERE a.delivery_id = d.delivery_id) AS key_count,
    EXISTS (SELECT 1 FROM case_lines AS l
        WHERE l.case_id = d.case_id AND l.line_number = d.line_number) AS line_exists,
    d.shipment_date <= d.reported_date AS shipped_before_reported,
    d.delivered_value >= 0 AS delivered_value_not_negative,
    -- a reversal resends the delivery with quantity and value both 0 (fms-domain "Money"); a
    -- value without quantity is suspicious (a $0 value with a quantity is a no-cost article)
    d.quantity <> 0 OR d.delivered_value = 0 AS zero_quantity_carries_no_value
FROM deliveries AS d
WHERE d.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
