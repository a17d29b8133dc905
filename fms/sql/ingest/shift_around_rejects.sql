-- Temp table raw_reject_shift: how far the malformed records shift the numbers of the clean
-- records of raw_read. With the malformed ordinals r_1 < r_2 < ... and s_j = r_j - j (the
-- clean records before r_j), clean record k is numbered k + #{j: s_j < k}: per bucket of $w
-- clean records, the count of s_j before it (`before`) and the few inside it (`inside`).
CREATE OR REPLACE TEMP TABLE raw_reject_shift AS
WITH s AS (
    SELECT row_number - row_number() OVER (ORDER BY row_number) AS s FROM raw_malformed
),
buckets AS (
    SELECT range AS bucket FROM range(0, (SELECT count(*) FROM raw_read) // $w + 1)
)
SELECT
    b.bucket,
    (SELECT count(*) FROM s WHERE s.s <= b.bucket * $w) AS before,
    coalesce(list(s.s) FILTER (s.s IS NOT NULL), []) AS inside
FROM buckets AS b
LEFT JOIN s ON s.s > b.bucket * $w AND s.s < (b.bucket + 1) * $w
GROUP BY b.bucket
