-- A case's deliveries, newest first.
SELECT d.delivery_id, d.line_number, d.shipment_date, d.reported_date, d.quantity,
       d.delivered_value, d.price_code
FROM deliveries d JOIN cases c USING (case_id)
WHERE d.case_id = $case_id AND ($country IS NULL OR c.country_code = $country)
ORDER BY d.shipment_date DESC, d.delivery_id
