-- Dataset of suite input_case_lines: lines changed since batch $since_seq, and lines whose
-- deliveries changed (delivered above ordered is a property of the sum, not of one row).
WITH touched AS (
    SELECT case_id, line_number FROM case_lines
    WHERE loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
    UNION
    SELECT case_id, line_number FROM deliveries
    WHERE loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
),
delivered AS (
    SELECT d.case_id, d.line_number, sum(d.quantity) AS delivered_quantity
    FROM deliveries AS d SEMI JOIN touched AS t USING (case_id, line_number)
    GROUP BY ALL
)
SELECT
    l.case_id,
    l.line_number,
    l.generic_code,
    l.unit_of_issue,
    l.source_of_supply,
    l.line_kind,
    l.ordered_quantity,
    l.line_value,
    coalesce(d.delivered_quantity, 0) AS delivered_quantity,
    (SELECT count(*) FROM case_lines AS a
        WHERE a.case_id = l.case_id AND a.line_number = l.line_number) AS key_count
FROM case_lines AS l
JOIN touched AS t USING (case_id, line_number)
LEFT JOIN delivered AS d USING (case_id, line_number)
