-- C1 constructive delivery transactions as of $as_of (SAMM C9.13.1.2, Tables C9.T17, C9.T18).
--
-- Reportable line (Table C9.T17, patterns in ref_c1_generic_codes, '_' = any one character as
-- in LIKE): unit of issue EA, generic code matched by an included pattern and by no excluded
-- one (G5M, G5Y); the missiles family (B1_-B4_) only for complete missile lines, i.e. line_kind
-- MATERIEL (fms-domain). Any case status: the C1 reports cumulative deliveries to date, which
-- stay true after a case is SSC or closed (fms-domain: one record per qualifying line whose
-- cumulative delivered quantity is above zero).
-- cumulative_quantity: sum of the current version of each delivery reported by $as_of
-- (deliveries_reported_by), so a re-priced delivery counts once and a reversal (quantity 0)
-- drops out.
--
-- record, the 80 columns of Table C9.T18 (numeric fields right-justified, zero-filled):
--   1-2 'C1' | 3-4 country code | 5 IA | 6-8 case designator | 9-11 record serial number (the
--   line, 001-999) | 12-15 blank | 16-21 cumulative quantity to date | 22-72 blank |
--   73-78 reporting date YYMMDD | 79 blank | 80 originator 'A'.
-- A cumulative quantity above 999,999 does not fit its 6 columns and lpad would cut it: the
-- record is NULL and quantity_overflow true (a critical data-quality failure; write_c1_file
-- refuses such a table), never a truncated field.
WITH reportable_lines AS (
    SELECT
        l.case_id,
        l.line_number,
        l.generic_code,
        min(g.family) AS c1_family
    FROM case_lines AS l
    JOIN ref_c1_generic_codes AS g
        ON g.included AND l.generic_code LIKE g.pattern
    WHERE l.unit_of_issue = 'EA'
        AND (g.family <> 'missiles' OR l.line_kind = 'MATERIEL')
        AND NOT EXISTS (
            SELECT 1
            FROM ref_c1_generic_codes AS x
            WHERE NOT x.included AND l.generic_code LIKE x.pattern
        )
    GROUP BY l.case_id, l.line_number, l.generic_code
),
cumulative AS (
    SELECT case_id, line_number, CAST(sum(quantity) AS BIGINT) AS cumulative_quantity
    FROM deliveries_reported_by(CAST($as_of AS DATE))
    GROUP BY case_id, line_number
),
transactions AS (
    SELECT
        r.case_id,
        r.line_number,
        CAST($as_of AS DATE) AS reporting_date,
        q.cumulative_quantity,
        c.country_code,
        c.implementing_agency,
        c.case_designator,
        r.generic_code,
        r.c1_family,
        q.cumulative_quantity > 999999 AS quantity_overflow
    FROM reportable_lines AS r
    JOIN cumulative AS q ON q.case_id = r.case_id AND q.line_number = r.line_number
    JOIN cases AS c ON c.case_id = r.case_id
    WHERE q.cumulative_quantity > 0
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
)
SELECT
    case_id,
    line_number,
    reporting_date,
    cumulative_quantity,
    CASE
        WHEN NOT quantity_overflow THEN
            'C1'
            || country_code
            || implementing_agency
            || case_designator
            || lpad(CAST(line_number AS VARCHAR), 3, '0')
            || repeat(' ', 4)
            || lpad(CAST(cumulative_quantity AS VARCHAR), 6, '0')
            || repeat(' ', 51)
            || strftime(reporting_date, '%y%m%d')
            || ' '
            || 'A'
    END AS record,
    quantity_overflow,
    country_code,
    generic_code,
    c1_family
FROM transactions
ORDER BY case_id, line_number
