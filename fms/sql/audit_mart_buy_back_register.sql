-- Audit frame for suite mart_buy_back_register: the staged register (E-Change 773), judged as
-- of the run's date $as_of (NULL: the register as the warehouse holds it now): a contract
-- executed after that date was not executed yet, so its buy back was still open then.
SELECT
    s.*,
    count(*) OVER (PARTITION BY s.buy_back_id) AS key_count,
    s.open = NOT (
        s.contract_executed_date IS NOT NULL
        AND ($as_of IS NULL OR s.contract_executed_date <= $as_of)
        AND coalesce(s.reconciled, false)
    ) AS open_flag_agrees
FROM staging.buy_back_register AS s
