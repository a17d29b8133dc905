-- Temp table raw_malformed: the records of a CSV file DuckDB rejected (raw_rejects, numbered
-- from its `line`: the record ordinal + 1 for the header + the blank lines before it, which are
-- not records: $blank_lines) and those the line scan kept from it (fms/ingest/csv_lines.py:
-- $numbers, $texts, $lengths, $reasons). A record's text is kept to $kept bytes.
CREATE OR REPLACE TEMP TABLE raw_malformed AS
SELECT
    line - 1 - len(list_filter($blank_lines, lambda b: b < line)) AS row_number,
    any_value(csv_line) AS csv_line,
    CASE WHEN strlen(any_value(csv_line)) < $kept THEN strlen(any_value(csv_line)) END AS bytes,
    'MALFORMED_ROW: ' || string_agg(DISTINCT lower(CAST(error_type AS VARCHAR)), ', ') AS reason
FROM raw_rejects
GROUP BY line
UNION ALL
SELECT unnest($numbers), unnest($texts), unnest($lengths), unnest($reasons)
