-- Scale-out: the rows of a table keyed by country (countries, cases) that belong to the
-- purchasers of one partition, read from the shared Parquet export.
-- Parameters: $path (the table's Parquet file), $purchasers (country codes, VARCHAR[]).
SELECT *
FROM read_parquet($path)
WHERE list_contains($purchasers, country_code)
