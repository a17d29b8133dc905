-- The overview: one row per purchaser in scope ($country NULL = every purchaser, for an
-- analyst), with its cases, their value, its collections, its latest published statement
-- (latest quarter, latest revision) and the excess funds of its cases ready to close
-- (fms-domain.md "Closure readiness": excess = collections - final value, released at closure).
-- $code: one purchaser (its page), or NULL for all.
-- Every part reads the purchasers in scope only, and cases are counted apart from the sum of
-- their lines (a distinct count over every line joined to its case: 52 ms against 43 ms for
-- every purchaser on the large generated data, tools/benchmarks/portal.py).
WITH scope AS (
    SELECT country_code, name
    FROM countries
    WHERE ($country IS NULL OR country_code = $country) AND ($code IS NULL OR country_code = $code)
),
case_count AS (
    SELECT country_code, count(DISTINCT case_id) AS cases
    FROM cases
    WHERE country_code IN (SELECT country_code FROM scope)
    GROUP BY country_code
),
line_value AS (
    SELECT c.country_code, sum(l.line_value) AS case_value
    FROM case_lines l JOIN cases c USING (case_id)
    WHERE c.country_code IN (SELECT country_code FROM scope)
    GROUP BY c.country_code
),
case_value AS (
    SELECT country_code, n.cases, coalesce(v.case_value, 0) AS case_value
    FROM case_count n LEFT JOIN line_value v USING (country_code)
),
paid AS (
    SELECT country_code, sum(amount) AS collections
    FROM collections
    WHERE country_code IN (SELECT country_code FROM scope)
    GROUP BY country_code
),
latest AS (
    SELECT *
    FROM purchaser_statements
    WHERE country_code IN (SELECT country_code FROM scope)
    QUALIFY row_number() OVER (
        PARTITION BY country_code ORDER BY period_end DESC, revision DESC) = 1
),
locked AS (
    SELECT country_code,
           count(*) FILTER (WHERE ready) AS cases_ready,
           coalesce(sum(excess_funds) FILTER (WHERE ready), 0) AS funds_locked
    FROM closure_readiness
    WHERE country_code IN (SELECT country_code FROM scope)
    GROUP BY country_code
)
SELECT s.country_code,
       s.name,
       coalesce(v.cases, 0) AS cases,
       coalesce(v.case_value, 0) AS case_value,
       coalesce(p.collections, 0) AS collections,
       l.period_end,
       l.revision,
       l.amount_due,
       l.arrearage,
       l.interest,
       coalesce(k.cases_ready, 0) AS cases_ready,
       coalesce(k.funds_locked, 0) AS funds_locked
FROM scope s
LEFT JOIN case_value v USING (country_code)
LEFT JOIN paid p USING (country_code)
LEFT JOIN latest l USING (country_code)
LEFT JOIN locked k USING (country_code)
ORDER BY s.country_code
