-- Case-closure rules (fms-domain.md "Closure readiness", "FMS Administrative Surcharge and the
-- SCML", "Buy backs"), each defined once and shared by build_closure_readiness and
-- build_buy_back_register. Scalar macros; (re)created by fms.closure.macros before a build.

-- ---------------------------------------------------------------------------------------------
-- Small Case Management Line (SAMM C9.4.7)
-- ---------------------------------------------------------------------------------------------

-- The administrative charges (surcharge + SCML) an SCML case must reach and keep at closure
-- (C9.4.7.2, C9.4.7.2.5).
CREATE OR REPLACE MACRO scml_minimum_charges() AS CAST(15000.00 AS DECIMAL(18, 2));

-- Does the SCML minimum apply to a case?
-- - Accepted 1 Aug 2006 through 2 Jul 2012, both days included (C9.4.7, C9.4.7.2: "accepted
--   on or after August 1, 2006"; rescinded for cases accepted on/after 3 July 2012). A case
--   with no acceptance date is not judged an SCML case (nothing to place it in the era).
-- - Not Presidential Drawdown cases, country code S9 (C9.4.7.3.4).
-- - Not EDA cases written only to transfer the grant item: terms of sale EDA_GRANT and a $0
--   case value (C9.4.7.3.3); an EDA case with support lines (value > 0) keeps the SCML.
-- - Not when the surcharge is waived: the SCML is part of that waiver (C9.4.7.2.3).
-- - NOT applied: the exception for cases wholly FMF funded by a purchaser that received
--   $1-$400,000 FMF the previous year (C9.4.7.3.2). The contract carries no FMF history.
-- case_value is the sum of the case's non-SCML line values.
CREATE OR REPLACE MACRO scml_applies(
    acceptance_date, country_code, terms_of_sale, case_value, surcharge_waived
) AS coalesce(
    acceptance_date BETWEEN DATE '2006-08-01' AND DATE '2012-07-02'
    AND country_code <> 'S9'
    AND NOT (terms_of_sale = 'EDA_GRANT' AND case_value = 0)
    AND NOT surcharge_waived,
    false
);

-- The SCML value an SCML case needs so that surcharge + SCML reach the minimum (C9.4.7.2:
-- "surcharge $500 -> SCML $14,500"); 0 once the surcharge alone reaches it (C9.4.7.2.2).
CREATE OR REPLACE MACRO scml_value_required(surcharge) AS CAST(
    greatest(scml_minimum_charges() - surcharge, 0) AS DECIMAL(38, 2)
);

-- The SCML value charged to the purchaser: the SCML lines' value, nothing when the surcharge
-- is waived (the SCML is part of that waiver and is not charged, C9.4.7.2.3).
CREATE OR REPLACE MACRO scml_value_charged(scml_line_value, surcharge_waived) AS CAST(
    CASE WHEN surcharge_waived THEN 0 ELSE coalesce(scml_line_value, 0) END AS DECIMAL(38, 2)
);

-- ---------------------------------------------------------------------------------------------
-- Buy backs (SAMM E-Change 773, C6.4.9.2.2)
-- ---------------------------------------------------------------------------------------------

-- Why a buy back is still open, or NULL when it is closed: a buy back is reconciled on the
-- case once its contract is executed, so it is open while its contract is not executed or it
-- is not reconciled. As of a date D, a contract executed after D was not executed yet; with
-- as_of NULL (the register as the warehouse holds it now) any execution date counts.
CREATE OR REPLACE MACRO buy_back_open_reason(contract_executed_date, reconciled, as_of) AS
nullif(
    concat_ws(
        ' and ',
        CASE
            WHEN contract_executed_date IS NULL
                OR contract_executed_date > CAST(as_of AS DATE) THEN 'not executed'
        END,
        CASE WHEN NOT coalesce(reconciled, false) THEN 'not reconciled' END
    ),
    ''
);

CREATE OR REPLACE MACRO buy_back_is_open(contract_executed_date, reconciled, as_of) AS
buy_back_open_reason(contract_executed_date, reconciled, as_of) IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- Text for people
-- ---------------------------------------------------------------------------------------------

-- An amount as analysts write it, exactly: -$1,234.50. Built from integers (whole dollars with
-- thousands separators, then the cents), never through a binary float; any DECIMAL(38,2).
CREATE OR REPLACE MACRO dollars_text(amount) AS
CASE
    WHEN amount IS NOT NULL THEN
        CASE WHEN amount < 0 THEN '-' ELSE '' END
        || '$'
        || format('{:,}', CAST(trunc(abs(CAST(amount AS DECIMAL(38, 2)))) AS HUGEINT))
        || '.'
        || lpad(
            CAST(
                CAST(
                    (abs(CAST(amount AS DECIMAL(38, 2)))
                        - trunc(abs(CAST(amount AS DECIMAL(38, 2))))) * 100
                    AS INTEGER
                ) AS VARCHAR
            ),
            2,
            '0'
        )
END;

-- "1 line" / "2 lines": a count with its noun, singular or plural.
CREATE OR REPLACE MACRO count_text(n, singular, plural) AS
format('{:,}', CAST(n AS BIGINT)) || ' ' || CASE WHEN n = 1 THEN singular ELSE plural END;
