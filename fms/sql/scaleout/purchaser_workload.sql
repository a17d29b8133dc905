-- Scale-out: how much work each purchaser is, to balance the partitions: its rows in the
-- largest inputs the marts read (deliveries and expenditures dominate), plus one per case.
-- Every purchaser of `countries` is listed (a purchaser without cases weighs 0).
WITH per_case AS (
    SELECT case_id, count(*) AS n FROM deliveries GROUP BY case_id
    UNION ALL
    SELECT case_id, count(*) AS n FROM expenditures GROUP BY case_id
    UNION ALL
    SELECT case_id, count(*) AS n FROM case_lines GROUP BY case_id
    UNION ALL
    SELECT case_id, 1 AS n FROM cases
)
SELECT co.country_code, CAST(coalesce(sum(pc.n), 0) AS BIGINT) AS workload
FROM countries AS co
LEFT JOIN cases AS c ON c.country_code = co.country_code
LEFT JOIN per_case AS pc ON pc.case_id = c.case_id
GROUP BY co.country_code
ORDER BY co.country_code
