-- Record what changed in each new revision from 2 on (revision 1 has nothing to differ from):
-- the rows of temp table billing_candidate_differences (billing_statement_differences.sql) of
-- the purchasers in billing_new_revisions. Parameters: $period_end.
INSERT INTO main.billing_statement_differences
SELECT
    d.country_code,
    CAST($period_end AS DATE) AS period_end,
    n.revision,
    d.previous_revision,
    d.line,
    d.level,
    d.case_id,
    d.field,
    d.old_value,
    d.new_value
FROM billing_candidate_differences AS d
JOIN billing_new_revisions AS n ON n.country_code = d.country_code
WHERE d.previous_revision > 0
