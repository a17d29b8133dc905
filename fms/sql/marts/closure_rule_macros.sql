-- Case-closure rules (SAMM C9.4.7.5, C9.11.5; the SCML of E-Change 773; buy backs), each
-- defined once and shared by build_closure_readiness and
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

-- ---------------------------------------------------------------------------------------------
-- Closure blockers (SAMM C9.4.7.5, C9.11.5): each a STRUCT(code, detail, amount) when
-- it holds, NULL when not. amount is money for ESTIMATED_PRICES, PERFORMANCE_OVER_VALUE,
-- SCML_MINIMUM and UNDERCOLLECTED; a count for NOT_SSC, OVER_DELIVERED and BUY_BACK_OPEN.
-- ---------------------------------------------------------------------------------------------

-- No SSC date, or a line short of its ordered quantity (services and training lines: performed
-- value below line value): supply and services are not complete (C9.4.7.5).
CREATE OR REPLACE MACRO blocker_not_ssc(
    ssc_date, materiel_lines_short, service_lines_short, units_short, value_unperformed
) AS CASE
    WHEN ssc_date IS NULL OR materiel_lines_short + service_lines_short > 0 THEN {
        'code': 'NOT_SSC',
        'detail': concat_ws(
            ', ',
            CASE WHEN ssc_date IS NULL THEN 'no SSC date' END,
            CASE WHEN materiel_lines_short + service_lines_short > 0
                THEN count_text(
                    materiel_lines_short + service_lines_short, 'line short', 'lines short'
                ) || ' (' || concat_ws(
                    ', ',
                    CASE WHEN materiel_lines_short > 0
                        THEN count_text(units_short, 'unit', 'units') END,
                    CASE WHEN service_lines_short > 0
                        THEN dollars_text(value_unperformed) || ' unperformed' END
                ) || ')'
            END
        ),
        'amount': CAST(materiel_lines_short + service_lines_short AS DECIMAL(18, 2))
    }
END;

-- A delivery still at an estimated price: every estimated billing becomes actual before
-- closure (C9.13.2).
CREATE OR REPLACE MACRO blocker_estimated_prices(estimated_deliveries, estimated_value) AS CASE
    WHEN estimated_deliveries > 0 THEN {
        'code': 'ESTIMATED_PRICES',
        'detail': count_text(estimated_deliveries, 'delivery', 'deliveries')
            || ' at estimated prices (' || dollars_text(estimated_value) || ')',
        'amount': published_amount(estimated_value)
    }
END;

-- Performance above the case value: an Amendment or Modification is needed first (C9.4.7.5.1).
CREATE OR REPLACE MACRO blocker_performance_over_value(performance, case_value) AS CASE
    WHEN performance > case_value THEN {
        'code': 'PERFORMANCE_OVER_VALUE',
        'detail': dollars_text(performance - case_value) || ' over: performance '
            || dollars_text(performance) || ' above case value ' || dollars_text(case_value)
            || ', amend or modify first',
        'amount': published_amount(performance - case_value)
    }
END;

-- A line's delivered quantity above its ordered quantity.
CREATE OR REPLACE MACRO blocker_over_delivered(lines_over_delivered, units_over_delivered) AS CASE
    WHEN lines_over_delivered > 0 THEN {
        'code': 'OVER_DELIVERED',
        'detail': count_text(lines_over_delivered, 'line', 'lines') || ' over-delivered ('
            || count_text(units_over_delivered, 'unit', 'units') || ' over)',
        'amount': CAST(lines_over_delivered AS DECIMAL(18, 2))
    }
END;

-- An SCML-era case whose surcharge + SCML value is below the minimum administrative charges
-- (C9.4.7.2.5, C9.4.7.5.2-3).
CREATE OR REPLACE MACRO blocker_scml_minimum(
    scml_applies, scml_value, scml_value_required, surcharge
) AS CASE
    WHEN scml_applies AND scml_value < scml_value_required THEN {
        'code': 'SCML_MINIMUM',
        'detail': 'surcharge ' || dollars_text(surcharge) || ' + SCML ' || dollars_text(scml_value)
            || ' below ' || dollars_text(scml_minimum_charges()) || ', SCML must be '
            || dollars_text(scml_value_required),
        'amount': published_amount(scml_value_required)
    }
END;

-- A buy back on the case not executed or not reconciled (E-Change 773, C6.4.9.2.2).
CREATE OR REPLACE MACRO blocker_buy_back_open(open_buy_backs, open_buy_back_list) AS CASE
    WHEN open_buy_backs > 0 THEN {
        'code': 'BUY_BACK_OPEN',
        'detail': count_text(open_buy_backs, 'open buy back', 'open buy backs')
            || ' (' || open_buy_back_list || ')',
        'amount': CAST(open_buy_backs AS DECIMAL(18, 2))
    }
END;

-- Collections below the final value: the purchaser owes the difference before closing (C9.11.5).
CREATE OR REPLACE MACRO blocker_undercollected(collections, final_value) AS CASE
    WHEN collections < final_value THEN {
        'code': 'UNDERCOLLECTED',
        'detail': dollars_text(final_value - collections) || ' short: collections '
            || dollars_text(collections) || ' below final value ' || dollars_text(final_value),
        'amount': published_amount(final_value - collections)
    }
END;
