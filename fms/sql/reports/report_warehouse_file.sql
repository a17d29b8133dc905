-- Run report, the warehouse card: the DuckDB file the figures are read from (NULL in memory).
-- Read from the connection itself, so the card names the file actually read, whatever the
-- caller's summary says.
SELECT path
FROM duckdb_databases()
WHERE database_name = current_database()
