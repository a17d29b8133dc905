-- Dataset of suite load_log: control totals of the batches loaded since $since_seq, and
-- the reconciliation of each file's loaded rows and dollars with what history holds from it.
WITH from_file AS (
    SELECT batch, 'countries' AS entity, count(*) AS n, NULL::DECIMAL(38, 2) AS amount
    FROM countries_history WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'cases', count(*), NULL FROM cases_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'case_lines', count(*), sum(line_value) FROM case_lines_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'payment_schedules', count(*), sum(amount) FROM payment_schedules_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'collections', count(*), sum(amount) FROM collections_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'expenditures', count(*), sum(amount) FROM expenditures_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'deliveries', count(*), sum(delivered_value) FROM deliveries_history
    WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'requirements_forecasts', count(*), sum(forecast_amount)
    FROM requirements_forecasts_history WHERE loaded_in_batch = batch GROUP BY batch
    UNION ALL
    SELECT batch, 'buy_backs', count(*), NULL FROM buy_backs_history
    WHERE loaded_in_batch = batch GROUP BY batch
)
SELECT
    l.batch,
    l.entity,
    l.file,
    l.rows_read,
    l.rows_loaded,
    l.rows_quarantined,
    l.amount_column,
    l.amount_read,
    l.amount_loaded,
    l.amount_quarantined,
    h.n AS rows_in_history,
    h.amount AS amount_in_history
FROM load_log AS l
LEFT JOIN from_file AS h USING (batch, entity)
WHERE l.batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
