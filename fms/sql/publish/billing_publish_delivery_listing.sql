-- Publish the candidate delivery listing of the purchasers listed in temp table
-- billing_new_revisions (country_code, revision) with their statement's new revision, in the
-- same transaction as the statement rows. Records: insert only.
-- Parameters: $period_end, $candidate_listing (table name, via query_table), $published_at.
INSERT INTO main.delivery_listing BY NAME
SELECT
    l.* EXCLUDE (revision),
    n.revision,
    CAST($published_at AS TIMESTAMP) AS published_at
FROM query_table($candidate_listing) AS l
JOIN billing_new_revisions AS n ON n.country_code = l.country_code
WHERE l.period_end = $period_end
