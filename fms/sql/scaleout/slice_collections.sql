-- Scale-out: the collections of the partition's purchasers: by country (holding-account
-- collections have no case, C9.11.4) or by a case of the partition (the marts read a case's
-- collections by case_id). Parameters: $path, $purchasers (VARCHAR[]).
SELECT *
FROM read_parquet($path)
WHERE list_contains($purchasers, country_code)
    OR case_id IN (SELECT case_id FROM cases)
