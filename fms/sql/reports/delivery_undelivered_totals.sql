-- The undelivered report's heading figures, from the undelivered_report table named by
-- $table: cases, total order value, delivered value, undelivered value.
SELECT
    count(*),
    coalesce(sum(total_order_value), 0),
    coalesce(sum(delivered_value), 0),
    coalesce(sum(undelivered_value), 0)
FROM query_table($table)
