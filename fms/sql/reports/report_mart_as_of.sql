-- Run report: the date the rows of a mart ($table, one with an as_of column: delivery_status,
-- closure_readiness) are as of. The whole table, never a selection: an ad-hoc selection that
-- matches no row still reads the date of the table it came from. NULL when the table is empty.
SELECT max(as_of) AS as_of
FROM query_table($table)
