-- The closure worklist's heading figures, from the listing named by $table
-- (closure_worklist.sql): ready cases, cases, funds the ready cases release, ready cases
-- more than 12 months after SSC.
SELECT
    count(*) FILTER (WHERE ready),
    count(*),
    coalesce(sum(funds_released_on_closure) FILTER (WHERE ready), 0),
    count(*) FILTER (WHERE ready AND overdue)
FROM query_table($table)
