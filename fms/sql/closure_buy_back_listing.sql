-- The buy-back register as published: the buy_back_register table named by $register_table,
-- open buy backs first, then by case and buy back.
SELECT
    buy_back_id,
    case_id,
    original_purchaser,
    articles,
    quantity,
    recipient,
    legal_authority,
    contract_executed_date,
    reconciled,
    open,
    open_reason,
    case_status
FROM query_table($register_table)
ORDER BY open DESC, case_id, buy_back_id
