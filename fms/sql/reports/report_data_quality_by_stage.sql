-- Run report, data-quality summary: this run's expectations per gate stage (input: the rows new
-- batches brought; mart: the staged tables), from dq_results. Parameter: $run_id.
SELECT
    stage,
    count(DISTINCT suite) AS suites,
    count(*) AS expectations,
    count(*) FILTER (WHERE success) AS passed,
    count(*) FILTER (WHERE NOT success AND severity = 'warning') AS warnings,
    count(*) FILTER (WHERE NOT success AND severity = 'critical') AS critical_failures,
    coalesce(sum(unexpected_count) FILTER (WHERE NOT success), 0) AS failing_rows
FROM dq_results
WHERE run_id = $run_id
GROUP BY stage
ORDER BY CASE stage WHEN 'input' THEN 1 WHEN 'mart' THEN 2 ELSE 3 END, stage
