-- Quarantine the malformed records of a file (raw_malformed) as MALFORMED_ROW: the record as
-- text (`csv_line`), and `csv_line_cut` when only its first $kept bytes are kept.
INSERT INTO quarantine BY NAME
SELECT
    $batch AS batch,
    $entity AS entity,
    $file AS file,
    row_number,
    CASE WHEN bytes IS NULL OR bytes > $kept
        THEN json_object('csv_line', csv_line, 'csv_line_cut', format(
            'the record is {} bytes: only its first {:,} are kept',
            coalesce(format('{:,}', bytes), format('{:,} or more', $kept)), $kept))
        ELSE json_object('csv_line', csv_line) END AS "row",
    'MALFORMED_ROW' AS reason_code,
    reason,
    false AS retryable
FROM raw_malformed
