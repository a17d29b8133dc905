-- Publish the candidate purchaser statements listed in temp table billing_new_revisions
-- (country_code, revision) as that revision. Records: insert only.
-- Parameters: $period_end, $candidate_purchasers (table name, via query_table), $published_at.
INSERT INTO main.purchaser_statements BY NAME
SELECT
    p.* EXCLUDE (revision, selection),
    n.revision,
    CAST($published_at AS TIMESTAMP) AS published_at
FROM query_table($candidate_purchasers) AS p
JOIN billing_new_revisions AS n ON n.country_code = p.country_code
WHERE p.period_end = $period_end
