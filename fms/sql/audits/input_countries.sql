-- Dataset of suite input_countries: current countries rows changed since batch $since_seq,
-- with the whole-table checks computed here in SQL (exact) for Great Expectations to judge.
SELECT
    c.country_code,
    c.name,
    c.has_special_billing_arrangement,
    count(*) OVER (PARTITION BY c.country_code) AS key_count_in_batch,
    (SELECT count(*) FROM countries AS a WHERE a.country_code = c.country_code) AS key_count
FROM countries AS c
WHERE c.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
