-- Publish the candidate case statements of the purchasers listed in temp table
-- billing_new_revisions (country_code, revision) as that revision. Records: insert only.
-- Parameters: $period_end, $candidate_cases (table name, via query_table), $published_at.
INSERT INTO main.billing_statements BY NAME
SELECT
    c.* EXCLUDE (revision, selection),
    n.revision,
    CAST($published_at AS TIMESTAMP) AS published_at
FROM query_table($candidate_cases) AS c
JOIN billing_new_revisions AS n ON n.country_code = c.country_code
WHERE c.period_end = $period_end
