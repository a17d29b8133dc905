"""Generated data exercises the payment schedule review and the quarterly delivery listing
(issue 19): schedules running SHORT of requirements and far AHEAD of them, cases within the
threshold, forecasts several quarters out, an estimated delivery re-priced to actual in a later
quarter (a REPRICING line) and a Special Billing Arrangement purchaser with a positive bill.

The figures are computed here with plain SQL over the generated landing loaded through the
project's ingest, straight from the rules of fms-domain ("Payment schedule review", "Quarterly
delivery listing", "Special Billing Arrangement"), independently of the marts that implement
them: these tests check the data, not the platform."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from fms.ingest.load_batch import load_new_batches
from fms.warehouse import connect
from tools.generate import generate

LOAD_DATE = date(2026, 11, 22)
# The last quarter end before the generator's anchor (2026-10-31): the review's and the
# billing's default as-of on the generated data.
QUARTER_END = date(2026, 9, 30)
PREVIOUS_QUARTER_END = date(2026, 6, 30)
# The quarter the statement's payment (15 Dec 2026) covers (Table C9.T16): the billing's Q.
COVERED_QUARTER = date(2027, 1, 1)
RATES = Path(__file__).parents[2] / "data" / "reference" / "admin_surcharge_rates.csv"

# Surcharge rate, performance as of E and case value of every case (fms-domain "Quarterly
# billing": the case's own rate, else the rate in force on its acceptance date; 0 if waived).
CASE_FIGURES = """
CREATE OR REPLACE TEMP TABLE case_figures AS
WITH rates AS (
    SELECT CAST(effective_from AS DATE) AS effective_from, CAST(rate AS DECIMAL(9, 6)) AS rate
    FROM read_csv($rates, header = true, all_varchar = true)
),
delivered AS (
    SELECT case_id, sum(delivered_value) AS v FROM deliveries
    WHERE reported_date <= $e GROUP BY case_id
),
expended AS (
    SELECT case_id, sum(amount) AS v FROM expenditures
    WHERE expenditure_date <= $e GROUP BY case_id
),
lines AS (SELECT case_id, sum(line_value) AS v FROM case_lines GROUP BY case_id),
collected AS (
    SELECT case_id, sum(amount) AS v FROM collections
    WHERE received_date <= $e AND case_id IS NOT NULL GROUP BY case_id
)
SELECT
    c.case_id,
    c.country_code,
    c.status,
    c.implementation_date,
    c.sblc_in_place,
    CASE
        WHEN c.admin_surcharge_waived THEN CAST(0 AS DECIMAL(9, 6))
        WHEN c.admin_surcharge_rate IS NOT NULL THEN CAST(c.admin_surcharge_rate AS DECIMAL(9, 6))
        ELSE (
            SELECT r.rate FROM rates AS r WHERE r.effective_from <= c.acceptance_date
            ORDER BY r.effective_from DESC LIMIT 1
        )
    END AS rate,
    coalesce(d.v, 0) + coalesce(x.v, 0) AS performance,
    coalesce(l.v, 0) AS case_value,
    coalesce(k.v, 0) AS collected
FROM cases AS c
LEFT JOIN delivered AS d USING (case_id)
LEFT JOIN expended AS x USING (case_id)
LEFT JOIN lines AS l USING (case_id)
LEFT JOIN collected AS k USING (case_id)
"""

# The requirement through each coming payment date d_k of every IMPLEMENTED case (payment dates
# after E whose covered quarter is no later than the case's last forecast quarter, at least
# one), the schedule due by it and the variance against the threshold.
REVIEW = """
CREATE OR REPLACE TEMP TABLE review AS
WITH scope AS (
    SELECT * FROM case_figures
    WHERE status = 'IMPLEMENTED' AND implementation_date <= $e
),
dates AS (
    SELECT
        k,
        CAST(date_trunc('quarter', $e) + to_months(CAST(3 * k + 2 AS INTEGER))
            + INTERVAL 14 DAY AS DATE) AS payment_date,
        CAST(date_trunc('quarter', $e) + to_months(CAST(3 * k + 3 AS INTEGER)) AS DATE)
            AS covers_start
    FROM range(1, 13) AS t(k)
),
last_forecast AS (
    SELECT case_id, max(quarter_start) AS last_quarter FROM requirements_forecasts
    GROUP BY case_id
),
case_dates AS (
    SELECT s.*, d.k, d.payment_date, d.covers_start
    FROM scope AS s
    LEFT JOIN last_forecast AS f USING (case_id)
    JOIN dates AS d ON d.k = 1 OR d.covers_start <= f.last_quarter
),
needs AS (
    SELECT
        cd.case_id,
        cd.k,
        coalesce(sum(rf.forecast_amount), 0) AS forecast_costs,
        coalesce(sum(rf.termination_liability) FILTER (
            WHERE rf.quarter_start = cd.covers_start AND NOT cd.sblc_in_place), 0) AS tl
    FROM case_dates AS cd
    LEFT JOIN requirements_forecasts AS rf
        ON rf.case_id = cd.case_id
        AND rf.quarter_start > $e
        AND rf.quarter_start <= cd.covers_start
    GROUP BY ALL
),
scheduled AS (
    SELECT cd.case_id, cd.k, coalesce(sum(ps.amount), 0) AS scheduled
    FROM case_dates AS cd
    LEFT JOIN payment_schedules AS ps
        ON ps.case_id = cd.case_id AND ps.due_date <= cd.payment_date
    GROUP BY ALL
)
SELECT
    cd.case_id,
    cd.country_code,
    cd.k,
    cd.payment_date,
    s.scheduled,
    cd.performance + n.forecast_costs + n.tl
        + round(cd.rate * (cd.performance + n.forecast_costs), 2) AS requirement,
    s.scheduled - (cd.performance + n.forecast_costs + n.tl
        + round(cd.rate * (cd.performance + n.forecast_costs), 2)) AS variance,
    -- T = max($100,000, 5% of the case value, all its lines)
    greatest(CAST(100000 AS DECIMAL(38, 2)), round(cd.case_value * 0.05, 2)) AS threshold
FROM case_dates AS cd
JOIN needs AS n USING (case_id, k)
JOIN scheduled AS s USING (case_id, k)
"""

# The purchaser-level bill of each Special Billing Arrangement purchaser (C9.10.2): its cases'
# forecast_cumulative (the requirement through the covered quarter, R_1 of the review) less
# their collections and its holding account, as of E.
SBA_BILLS = """
WITH scope AS (
    SELECT f.* FROM case_figures AS f
    JOIN countries AS co USING (country_code)
    WHERE co.has_special_billing_arrangement
        AND f.status IN ('IMPLEMENTED', 'SUPPLY_SERVICE_COMPLETE') AND f.implementation_date <= $e
),
forecasts AS (
    SELECT
        s.case_id,
        coalesce(sum(rf.forecast_amount), 0) AS forecast_costs,
        coalesce(sum(rf.termination_liability) FILTER (
            WHERE rf.quarter_start = $q AND NOT s.sblc_in_place), 0) AS tl
    FROM scope AS s
    LEFT JOIN requirements_forecasts AS rf
        ON rf.case_id = s.case_id AND rf.quarter_start > $e AND rf.quarter_start <= $q
    GROUP BY ALL
),
holding AS (
    SELECT country_code, sum(amount) AS balance FROM collections
    WHERE case_id IS NULL AND received_date <= $e GROUP BY country_code
),
per_case AS (
    SELECT
        s.country_code,
        s.status,
        s.performance + f.forecast_costs + f.tl
            + round(s.rate * (s.performance + f.forecast_costs), 2) AS forecast_cumulative,
        s.collected,
        f.forecast_costs
    FROM scope AS s
    JOIN forecasts AS f USING (case_id)
)
SELECT
    c.country_code,
    greatest(
        sum(c.forecast_cumulative) - sum(c.collected) - coalesce(any_value(h.balance), 0), 0
    ) AS bill,
    -- the same on the cases still forecasting costs alone: what their forecasts leave unpaid
    coalesce(sum(c.forecast_cumulative - c.collected) FILTER (WHERE c.forecast_costs > 0), 0)
        - coalesce(any_value(h.balance), 0) AS forecasts_beyond_cash
FROM per_case AS c
LEFT JOIN holding AS h USING (country_code)
GROUP BY c.country_code
ORDER BY c.country_code
"""

# Estimated deliveries the history batch reported in one quarter, re-sent by a daily batch at
# an actual price with another value and reported in a later quarter.
REPRICED_LATER = """
SELECT h.delivery_id, h.case_id, h.reported_date AS first_reported, d.reported_date,
       h.delivered_value AS estimated_value, d.delivered_value AS actual_value
FROM deliveries_history AS h
JOIN deliveries AS d USING (delivery_id)
WHERE h.batch_seq = 1 AND d.price_code = 'A' AND h.price_code = 'E'
    AND d.delivered_value <> h.delivered_value
    AND date_trunc('quarter', d.reported_date) > date_trunc('quarter', h.reported_date)
ORDER BY h.delivery_id
"""

# The listing's reconciliation per case for the quarter ended E: delivered value as of E on all
# the data, less the previous quarter's statement (computed when only the history batch was
# in), less the REPORTED deliveries of the quarter: what is left is the REPRICING line.
REPRICING_LINES = """
WITH previous AS (
    SELECT case_id, sum(delivered_value) AS v FROM deliveries_history
    WHERE batch_seq = 1 AND reported_date <= $previous GROUP BY case_id
),
current AS (
    SELECT case_id, sum(delivered_value) AS v,
        coalesce(sum(delivered_value) FILTER (WHERE reported_date > $previous), 0) AS reported
    FROM deliveries WHERE reported_date <= $e GROUP BY case_id
)
SELECT case_id, c.v - coalesce(p.v, 0) - c.reported AS repricing
FROM current AS c
LEFT JOIN previous AS p USING (case_id)
WHERE c.v - coalesce(p.v, 0) - c.reported <> 0
ORDER BY case_id
"""


def load(root: Path, scale: str = "small", seed: int = 0) -> Path:
    """Generate `scale` data with `seed` under `root` and load every batch: the warehouse."""
    generate(root / "data", scale, seed=seed)
    warehouse = root / "w.duckdb"
    with connect(warehouse) as con:
        load_new_batches(con, root / "data" / "landing", LOAD_DATE)
    return warehouse


def review_figures(con: duckdb.DuckDBPyConnection, quarter_end: date = QUARTER_END) -> None:
    params = {"rates": str(RATES), "e": quarter_end}
    con.execute(CASE_FIGURES, params)
    con.execute(REVIEW, {"e": quarter_end})


def situations(warehouse: Path) -> dict[str, object]:
    """How many cases fall in each situation, and the figures behind them."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        review_figures(con)
        per_case = con.execute(
            """
            SELECT
                case_id,
                count(*) AS payment_dates,
                bool_or(variance < -threshold) AS short,
                bool_or(variance > threshold) AS ahead,
                min(variance) AS lowest,
                max(variance) AS highest
            FROM review GROUP BY case_id
            """
        ).fetchall()
        sba = con.execute(SBA_BILLS, {"e": QUARTER_END, "q": COVERED_QUARTER}).fetchall()
        repriced = con.execute(REPRICED_LATER).fetchall()
        lines = con.execute(
            REPRICING_LINES, {"e": QUARTER_END, "previous": PREVIOUS_QUARTER_END}
        ).fetchall()
    return {
        "reviewed": len(per_case),
        "short": sum(1 for r in per_case if r[2]),
        "ahead": sum(1 for r in per_case if r[3]),
        "within": sum(1 for r in per_case if not r[2] and not r[3]),
        "several_dates": sum(1 for r in per_case if r[1] >= 3),
        "sba_bills": {code: (bill, beyond) for code, bill, beyond in sba},
        "repriced_later": repriced,
        "repricing_lines": dict(lines),
    }


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, object]:
    return situations(load(tmp_path_factory.mktemp("review_inputs")))


def test_some_schedules_run_short_of_requirements_beyond_the_threshold(small):
    assert small["short"] >= 2, small


def test_some_schedules_run_far_ahead_of_requirements(small):
    assert small["ahead"] >= 2, small


def test_some_reviewed_cases_stay_within_the_threshold(small):
    assert small["within"] >= 2, small


def test_forecasts_run_several_quarters_out_so_reviews_have_several_payment_dates(small):
    assert small["several_dates"] >= 5, small


def test_a_special_billing_arrangement_purchaser_has_a_positive_bill(small):
    bills = small["sba_bills"]
    assert bills, "no Special Billing Arrangement purchaser with cases in billing scope"
    # Positive because the purchaser's forecasts run beyond its cash (holding account included),
    # not only through an arrearage on a finished case.
    assert any(
        bill > Decimal("100000.00") and beyond > Decimal("100000.00")
        for bill, beyond in bills.values()
    ), bills


def test_an_estimate_is_re_priced_to_actual_in_a_later_quarter(small):
    repriced = small["repriced_later"]
    assert repriced, "no estimated delivery re-priced to actual in a later quarter"
    for _, _, first, later, estimated, actual in repriced:
        assert first <= PREVIOUS_QUARTER_END < later <= QUARTER_END
        assert estimated != actual


def test_the_delivery_listing_of_the_quarter_gets_a_repricing_line(small):
    """The re-priced cases' movement is not all REPORTED deliveries: a REPRICING line."""
    repriced_cases = {r[1] for r in small["repriced_later"]}
    assert repriced_cases and repriced_cases <= set(small["repricing_lines"]), small
