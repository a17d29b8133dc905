-- The warehouse's bookkeeping tables, created on every writing connection if missing
-- (fms/warehouse.py): what was loaded, what was refused, what each run judged and published.
CREATE TABLE IF NOT EXISTS batches (
    batch VARCHAR PRIMARY KEY,
    batch_seq INTEGER NOT NULL UNIQUE,
    files JSON NOT NULL,            -- {file name: sha256}
    loaded_at TIMESTAMP NOT NULL,
    load_date DATE NOT NULL         -- the day future-dated events were judged against
);
CREATE TABLE IF NOT EXISTS batch_file_signatures (
    batch VARCHAR NOT NULL,          -- what a loaded batch's files were when they loaded
    file VARCHAR NOT NULL,           -- (fms.ingest.file_signatures): checked each night
    sha256 VARCHAR NOT NULL,         -- instead of reading the files again
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    ctime_ns BIGINT NOT NULL,
    inode UBIGINT NOT NULL,
    device UBIGINT NOT NULL,
    PRIMARY KEY (batch, file)
);
CREATE TABLE IF NOT EXISTS load_log (
    batch VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    amount_column VARCHAR,
    amount_read DECIMAL(38,2),
    amount_loaded DECIMAL(38,2),
    amount_quarantined DECIMAL(38,2),
    rows_amount_unreadable BIGINT,   -- quarantined rows whose amount could not be read at all
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (batch, entity),
    CHECK (rows_read = rows_loaded + rows_quarantined)
);
CREATE TABLE IF NOT EXISTS quarantine (
    batch VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,
    "row" VARCHAR,                   -- the record as given: JSON of the raw text values
    reason_code VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    resolved_in_batch VARCHAR,       -- the batch in which a retried row finally loaded
    retryable BOOLEAN NOT NULL,      -- only missing references: retried on every later batch
    PRIMARY KEY (batch, entity, row_number)
);
CREATE TABLE IF NOT EXISTS dq_results (
    run_id VARCHAR NOT NULL,
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,    -- the rule, named for people (meta.rule of the suite)
    expectation_type VARCHAR NOT NULL,
    "column" VARCHAR,
    severity VARCHAR NOT NULL,       -- critical blocks publishing; warning is reported
    success BOOLEAN NOT NULL,
    unexpected_count BIGINT NOT NULL,
    element_count BIGINT NOT NULL,
    examples VARCHAR,                -- JSON: keys of a few failing rows
    stage VARCHAR NOT NULL,          -- input (new batches) or mart (staged tables)
    checked_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS publications (
    run_id VARCHAR PRIMARY KEY,
    job VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    through_batch_seq INTEGER NOT NULL,  -- every batch up to this one passed the input gate
    published_at TIMESTAMP NOT NULL,
    out_dir VARCHAR
);
