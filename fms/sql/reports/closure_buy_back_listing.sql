-- The buy-back register as published: the buy_back_register table named by $register_table,
-- open buy backs first, then by case and buy back. listing_position: the row's place in that
-- order (the files are written in it; not shown).
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
    case_status,
    row_number() OVER (ORDER BY open DESC, case_id, buy_back_id) AS listing_position
FROM query_table($register_table)
ORDER BY listing_position
