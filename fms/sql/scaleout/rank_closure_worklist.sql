-- Scale-out: closure_readiness.worklist_rank is a rank over every case of the run, so a
-- partition can only rank its own cases. The coordinator ranks the gathered rows again in the
-- worklist order of build_closure_readiness.sql (ready first, most funds released, longest
-- since SSC, case id), which must stay the same as there; the Dask equality test compares the
-- ranks of both paths. Parameters: $table (the gathered rows).
SELECT * REPLACE (
    row_number() OVER (
        ORDER BY ready DESC, excess_funds DESC, days_since_ssc DESC NULLS LAST, case_id
    ) AS worklist_rank
)
FROM query_table($table)
