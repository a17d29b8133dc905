-- Dataset of suite input_collections: collections changed since batch $since_seq.
-- Amounts may be negative (refunds, transfers out); a collection without a case is held in the
-- purchaser's holding account (C9.11.4).
SELECT
    k.collection_id,
    k.country_code,
    k.case_id,
    k.received_date,
    k.funding_source,
    (SELECT count(*) FROM collections AS a WHERE a.collection_id = k.collection_id) AS key_count
FROM collections AS k
WHERE k.loaded_in_batch IN (SELECT batch FROM batches WHERE batch_seq > $since_seq)
