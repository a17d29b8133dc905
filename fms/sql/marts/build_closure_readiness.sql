-- closure_readiness: one row per case in closure scope as of $as_of, with the blockers that keep
-- it from closing (SAMM C9.4.7.5, C9.11.5, C9.13.2,
-- E-Change 773 C6.4.9.2.2). Set-based over every case; rules shared with other marts come from
-- macros: case_surcharge_rate(), case_performance(as_of) (create_rule_macros.sql),
-- deliveries_reported_by(as_of) (delivery_macros.sql), the SCML, buy-back and text rules
-- (closure_rule_macros.sql).
--
-- Scope: status IMPLEMENTED or SUPPLY_SERVICE_COMPLETE, not implemented after $as_of (a case
-- implemented later was not an implemented case on that day). A missing implementation date
-- does not hide a case the status says is implemented (the delivery marts' rule too).
-- As of D: deliveries reported by D (current version; reversals add nothing), expenditures
-- dated by D, collections received by D, an SSC date after D is no SSC date yet.
-- Money is computed in DECIMAL(38,2) and published in DECIMAL(18,2) by published_amount(): NULL
-- for a figure of 10^16 dollars or more, which the audit fails naming the case.
-- Parameters: $as_of DATE, $purchaser (country code or NULL), $case_id (or NULL).
WITH scope AS (
    SELECT
        c.case_id,
        c.country_code,
        c.status,
        c.acceptance_date,
        c.implementation_date,
        c.terms_of_sale,
        c.admin_surcharge_waived,
        CASE
            WHEN c.supply_services_complete_date <= $as_of
                THEN c.supply_services_complete_date
        END AS ssc_date,
        r.surcharge_rate
    FROM cases AS c
    JOIN case_surcharge_rate() AS r ON r.case_id = c.case_id
    WHERE c.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE')
        AND (c.implementation_date IS NULL OR c.implementation_date <= $as_of)
        AND ($purchaser IS NULL OR c.country_code = $purchaser)
        AND ($case_id IS NULL OR c.case_id = $case_id)
),

delivered_by_line AS (
    SELECT
        case_id,
        line_number,
        sum(quantity) AS delivered_quantity,
        sum(delivered_value) AS delivered_value
    FROM deliveries_reported_by($as_of)
    GROUP BY case_id, line_number
),

expended_by_line AS (
    SELECT case_id, line_number, sum(amount) AS expenditures
    FROM expenditures
    WHERE expenditure_date <= $as_of
    GROUP BY case_id, line_number
),

-- Each line's progress. MATERIEL lines are complete by quantity. SERVICES and TRAINING lines
-- are complete by value: performed value = delivered value + expenditures on the line (services
-- are reported either way), compared with the line value. SCML lines are an administrative
-- charge with nothing to deliver: never short.
lines AS (
    SELECT
        l.case_id,
        l.line_kind,
        l.line_value,
        l.ordered_quantity,
        coalesce(d.delivered_quantity, 0) AS delivered_quantity,
        coalesce(d.delivered_value, 0) + coalesce(e.expenditures, 0) AS performed_value
    FROM case_lines AS l
    JOIN scope AS s ON s.case_id = l.case_id
    LEFT JOIN delivered_by_line AS d
        ON d.case_id = l.case_id AND d.line_number = l.line_number
    LEFT JOIN expended_by_line AS e
        ON e.case_id = l.case_id AND e.line_number = l.line_number
),

line_totals AS (
    SELECT
        case_id,
        -- The case value excludes the SCML (fms-domain "Closure readiness").
        coalesce(sum(line_value) FILTER (WHERE line_kind <> 'SCML'), 0) AS case_value,
        coalesce(sum(line_value) FILTER (WHERE line_kind = 'SCML'), 0) AS scml_line_value,
        count(*) FILTER (
            WHERE line_kind = 'MATERIEL' AND delivered_quantity < ordered_quantity
        ) AS materiel_lines_short,
        coalesce(sum(ordered_quantity - delivered_quantity) FILTER (
            WHERE line_kind = 'MATERIEL' AND delivered_quantity < ordered_quantity
        ), 0) AS units_short,
        count(*) FILTER (
            WHERE line_kind IN ('SERVICES', 'TRAINING') AND performed_value < line_value
        ) AS service_lines_short,
        coalesce(sum(line_value - performed_value) FILTER (
            WHERE line_kind IN ('SERVICES', 'TRAINING') AND performed_value < line_value
        ), 0) AS value_unperformed,
        -- Any line, whatever its kind, delivered above its ordered quantity.
        count(*) FILTER (WHERE delivered_quantity > ordered_quantity) AS lines_over_delivered,
        coalesce(sum(delivered_quantity - ordered_quantity) FILTER (
            WHERE delivered_quantity > ordered_quantity
        ), 0) AS units_over_delivered
    FROM lines
    GROUP BY case_id
),

-- Estimated billings still to convert to actual (C9.13.2); a reversal is no billing.
estimated AS (
    SELECT
        case_id,
        count(*) AS estimated_deliveries,
        sum(delivered_value) AS estimated_value
    FROM deliveries_reported_by($as_of)
    WHERE price_code = 'E' AND NOT is_reversal
    GROUP BY case_id
),

open_buy_backs AS (
    SELECT
        case_id,
        count(*) AS open_buy_backs,
        string_agg(
            buy_back_id || ' ' || buy_back_open_reason(contract_executed_date, reconciled, $as_of),
            ', '
            ORDER BY buy_back_id
        ) AS open_buy_back_list
    FROM buy_backs
    WHERE buy_back_is_open(contract_executed_date, reconciled, $as_of)
    GROUP BY case_id
),

-- Collections recorded to the case (refunds and transfers out are negative); holding-account
-- collections (no case_id) are not the case's.
collected AS (
    SELECT case_id, sum(amount) AS collections
    FROM collections
    WHERE case_id IS NOT NULL AND received_date <= $as_of
    GROUP BY case_id
),

figures AS (
    SELECT
        s.*,
        CAST(coalesce(t.case_value, 0) AS DECIMAL(38, 2)) AS case_value,
        CAST(coalesce(t.scml_line_value, 0) AS DECIMAL(38, 2)) AS scml_line_value,
        coalesce(t.materiel_lines_short, 0) AS materiel_lines_short,
        coalesce(t.units_short, 0) AS units_short,
        coalesce(t.service_lines_short, 0) AS service_lines_short,
        CAST(coalesce(t.value_unperformed, 0) AS DECIMAL(38, 2)) AS value_unperformed,
        coalesce(t.lines_over_delivered, 0) AS lines_over_delivered,
        coalesce(t.units_over_delivered, 0) AS units_over_delivered,
        coalesce(e.estimated_deliveries, 0) AS estimated_deliveries,
        CAST(coalesce(e.estimated_value, 0) AS DECIMAL(38, 2)) AS estimated_value,
        coalesce(b.open_buy_backs, 0) AS open_buy_backs,
        b.open_buy_back_list,
        p.delivered_value,
        p.expenditures,
        p.performance,
        surcharge_on(p.performance, s.surcharge_rate) AS surcharge,
        CAST(coalesce(k.collections, 0) AS DECIMAL(38, 2)) AS collections
    FROM scope AS s
    JOIN case_performance($as_of) AS p ON p.case_id = s.case_id
    LEFT JOIN line_totals AS t ON t.case_id = s.case_id
    LEFT JOIN estimated AS e ON e.case_id = s.case_id
    LEFT JOIN open_buy_backs AS b ON b.case_id = s.case_id
    LEFT JOIN collected AS k ON k.case_id = s.case_id
),

scml AS (
    SELECT
        f.*,
        scml_applies(
            f.acceptance_date, f.country_code, f.terms_of_sale, f.case_value,
            f.admin_surcharge_waived
        ) AS scml_applies,
        scml_value_charged(f.scml_line_value, f.admin_surcharge_waived) AS scml_value
    FROM figures AS f
),

valued AS (
    SELECT
        *,
        CASE WHEN scml_applies THEN scml_value_required(surcharge) END AS scml_value_required,
        -- Final value = Performance(D) + round(r x Performance(D)) + SCML value.
        CAST(performance + surcharge + scml_value AS DECIMAL(38, 2)) AS final_value
    FROM scml
),

-- The blockers (closure_rule_macros.sql), in the order of the domain page's table.
blocked AS (
    SELECT
        *,
        list_filter(
            [
                blocker_not_ssc(
                    ssc_date, materiel_lines_short, service_lines_short, units_short,
                    value_unperformed
                ),
                blocker_estimated_prices(estimated_deliveries, estimated_value),
                blocker_performance_over_value(performance, case_value),
                blocker_over_delivered(lines_over_delivered, units_over_delivered),
                blocker_scml_minimum(scml_applies, scml_value, scml_value_required, surcharge),
                blocker_buy_back_open(open_buy_backs, open_buy_back_list),
                blocker_undercollected(collections, final_value)
            ],
            lambda b: b IS NOT NULL
        ) AS blockers
    FROM valued
),

judged AS (
    SELECT
        *,
        len(blockers) = 0 AS ready,
        -- What closing would release at today's figures, ready or not (provisional until ready:
        -- the final value moves while deliveries, expenditures and collections still come in).
        CAST(greatest(collections - final_value, 0) AS DECIMAL(38, 2)) AS excess_if_ready,
        CAST(date_diff('day', ssc_date, CAST($as_of AS DATE)) AS BIGINT) AS days_since_ssc,
        -- Closure should start 12 months after SSC: on the anniversary it is due, from the day
        -- after it is overdue (SSC 31 Mar 2025: overdue from 1 Apr 2026). Month-end SSC dates
        -- clamp: SSC 29 Feb 2024 + 12 months = 28 Feb 2025.
        coalesce(CAST($as_of AS DATE) > CAST(ssc_date + INTERVAL 12 MONTH AS DATE), false)
            AS overdue
    FROM blocked
),

released AS (
    SELECT
        *,
        -- Funds released to the Holding Account by closing now (C9.11.5): the excess when
        -- ready, 0 while a blocker keeps the case open (excess_if_ready: the provisional figure).
        CAST(CASE WHEN ready THEN excess_if_ready ELSE 0 END AS DECIMAL(38, 2)) AS excess_funds
    FROM judged
)

SELECT
    CAST($as_of AS DATE) AS as_of,
    case_id,
    country_code,
    ready,
    blockers,
    ssc_date AS supply_services_complete_date,
    days_since_ssc,
    overdue,
    published_amount(final_value) AS final_value,
    published_amount(excess_funds) AS excess_funds,
    -- Worklist order: ready cases first, most funds released, longest since SSC, case id.
    row_number() OVER (
        ORDER BY ready DESC, excess_funds DESC, days_since_ssc DESC NULLS LAST, case_id
    ) AS worklist_rank,
    CAST(len(blockers) AS INTEGER) AS blocker_count,
    array_to_string(list_transform(blockers, lambda b: b.code || ': ' || b.detail), '; ')
        AS blocker_summary,
    published_amount(excess_if_ready) AS excess_if_ready,
    status,
    acceptance_date,
    implementation_date,
    terms_of_sale,
    published_amount(case_value) AS case_value,
    published_amount(delivered_value) AS delivered_value,
    published_amount(expenditures) AS expenditures,
    published_amount(performance) AS performance,
    surcharge_rate,
    published_amount(surcharge) AS surcharge,
    scml_applies,
    published_amount(scml_value) AS scml_value,
    published_amount(scml_value_required) AS scml_value_required,
    published_amount(collections) AS collections
FROM released
