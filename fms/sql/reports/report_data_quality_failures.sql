-- Run report, data-quality summary: this run's failing expectations, critical first, then most
-- failing rows, with the keys of a few failing rows (examples: JSON list of objects).
-- Parameter: $run_id.
SELECT
    stage,
    severity,
    suite,
    expectation,
    "column",
    unexpected_count,
    element_count,
    examples
FROM dq_results
WHERE run_id = $run_id AND NOT success
ORDER BY severity = 'critical' DESC, unexpected_count DESC, suite, expectation
