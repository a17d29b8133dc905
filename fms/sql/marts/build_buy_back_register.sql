-- buy_back_register: the IA's central record of buy backs (SAMM E-Change 773, C6.4.9.2.2), one
-- row per buy back: the original purchasing partner, the articles originally purchased under
-- FMS, the recipient of the articles bought back (DOD or a country) and the legal authority for
-- any retransfer; plus whether it is still open on its case. `open` is the rule the closure
-- blocker BUY_BACK_OPEN reads (buy_back_is_open, closure_rule_macros.sql).
-- Parameters: $as_of (DATE, or NULL for the register as the warehouse holds it now),
-- $purchaser (original purchaser's country code or NULL), $case_id (or NULL).
SELECT
    b.buy_back_id,
    b.case_id,
    c.country_code AS original_purchaser,
    -- "A1A F-16C aircraft (line 001)": the line's generic code and description, and its number.
    concat_ws(' ', l.generic_code, l.description)
    || ' (line '
    || lpad(CAST(b.line_number AS VARCHAR), 3, '0')
    || ')' AS articles,
    b.quantity,
    b.recipient,
    b.legal_authority,
    b.contract_executed_date,
    b.reconciled,
    buy_back_is_open(b.contract_executed_date, b.reconciled, $as_of) AS open,
    buy_back_open_reason(b.contract_executed_date, b.reconciled, $as_of) AS open_reason,
    b.line_number,
    l.generic_code,
    l.description,
    c.status AS case_status,
    c.supply_services_complete_date AS case_ssc_date,
    CAST($as_of AS DATE) AS as_of
FROM buy_backs AS b
LEFT JOIN cases AS c ON c.case_id = b.case_id  -- a register never drops a record
LEFT JOIN case_lines AS l ON l.case_id = b.case_id AND l.line_number = b.line_number
WHERE ($purchaser IS NULL OR c.country_code = $purchaser)
    AND ($case_id IS NULL OR b.case_id = $case_id)
