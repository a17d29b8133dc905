-- Audit frame for suite mart_buy_back_register: the staged register (E-Change 773).
SELECT
    s.*,
    count(*) OVER (PARTITION BY s.buy_back_id) AS key_count,
    s.open = NOT (s.contract_executed_date IS NOT NULL AND s.reconciled) AS open_flag_agrees
FROM staging.buy_back_register AS s
