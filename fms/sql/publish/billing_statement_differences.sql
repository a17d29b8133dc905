-- Differences between candidate statements of the quarter ended $period_end and the latest
-- published revision of each purchaser's statement for that quarter: one row per field that
-- differs, per case (level 'case') or per purchaser (level 'purchaser'). A purchaser with nothing
-- published yet differs in every field (previous_revision 0); a case that appears or disappears
-- differs in every field (old or new value NULL).
-- Parameters: $period_end; $candidate_cases, $candidate_purchasers: candidate table names,
-- resolved by query_table (identifiers, never formatted into this text).
-- Every statement figure is compared, as exact text (DECIMAL to text keeps every cent).
WITH latest AS (
    SELECT country_code, max(revision) AS revision
    FROM main.purchaser_statements
    WHERE period_end = $period_end
    GROUP BY country_code
),

new_cases AS (
    SELECT * EXCLUDE (revision, selection)
    FROM query_table($candidate_cases)
    WHERE period_end = $period_end
),

old_cases AS (
    SELECT b.* EXCLUDE (revision, published_at)
    FROM main.billing_statements AS b
    JOIN latest AS l ON l.country_code = b.country_code AND l.revision = b.revision
    WHERE b.period_end = $period_end
),

new_purchasers AS (
    SELECT * EXCLUDE (revision, selection)
    FROM query_table($candidate_purchasers)
    WHERE period_end = $period_end
),

old_purchasers AS (
    SELECT p.* EXCLUDE (revision, published_at)
    FROM main.purchaser_statements AS p
    JOIN latest AS l ON l.country_code = p.country_code AND l.revision = p.revision
    WHERE p.period_end = $period_end
),

new_values AS (
    SELECT 'case' AS level, country_code, case_id, field, value
    FROM (
        SELECT country_code, case_id, COLUMNS(* EXCLUDE (country_code, case_id))::VARCHAR
        FROM new_cases
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (country_code, case_id))))
    UNION ALL
    SELECT 'purchaser' AS level, country_code, NULL AS case_id, field, value
    FROM (
        SELECT country_code, COLUMNS(* EXCLUDE (country_code))::VARCHAR
        FROM new_purchasers
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (country_code))))
),

old_values AS (
    SELECT 'case' AS level, country_code, case_id, field, value
    FROM (
        SELECT country_code, case_id, COLUMNS(* EXCLUDE (country_code, case_id))::VARCHAR
        FROM old_cases
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (country_code, case_id))))
    UNION ALL
    SELECT 'purchaser' AS level, country_code, NULL AS case_id, field, value
    FROM (
        SELECT country_code, COLUMNS(* EXCLUDE (country_code))::VARCHAR
        FROM old_purchasers
    ) UNPIVOT INCLUDE NULLS (value FOR field IN (COLUMNS(* EXCLUDE (country_code))))
),

-- Report fields in the order of the published tables' columns.
field_order AS (
    SELECT
        CASE table_name WHEN 'billing_statements' THEN 'case' ELSE 'purchaser' END AS level,
        column_name AS field,
        column_index
    FROM duckdb_columns()
    WHERE schema_name = 'main' AND table_name IN ('billing_statements', 'purchaser_statements')
)

SELECT
    coalesce(n.country_code, o.country_code) AS country_code,
    coalesce(l.revision, 0) AS previous_revision,
    coalesce(n.level, o.level) AS level,
    coalesce(n.case_id, o.case_id) AS case_id,
    coalesce(n.field, o.field) AS field,
    o.value AS old_value,
    n.value AS new_value,
    -- Report order: purchaser figures first, then case by case in column order.
    CAST(row_number() OVER (
        PARTITION BY coalesce(n.country_code, o.country_code)
        ORDER BY coalesce(n.level, o.level) DESC, coalesce(n.case_id, o.case_id), f.column_index
    ) AS INTEGER) AS line
FROM new_values AS n
FULL OUTER JOIN old_values AS o
    ON o.level = n.level
    AND o.country_code = n.country_code
    AND o.case_id IS NOT DISTINCT FROM n.case_id
    AND o.field = n.field
LEFT JOIN latest AS l ON l.country_code = coalesce(n.country_code, o.country_code)
LEFT JOIN field_order AS f
    ON f.level = coalesce(n.level, o.level) AND f.field = coalesce(n.field, o.field)
WHERE n.value IS DISTINCT FROM o.value
    OR n.field IS NULL
    OR o.field IS NULL
ORDER BY country_code, line
