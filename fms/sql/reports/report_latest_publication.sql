-- Run report: the run whose marts are in main now: the latest publication of $job as of
-- $as_of (each publication replaces the marts it names, fms/publication.py). No row when the
-- tables were written without a publication record.
SELECT run_id, job, as_of, published_at
FROM publications
WHERE job = $job AND as_of = CAST($as_of AS DATE)
ORDER BY published_at DESC
LIMIT 1
