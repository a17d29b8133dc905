-- Tables the run report may read, as schema.name: a section whose table is missing (a mart no
-- run has published yet) says so instead of failing the report.
SELECT schema_name || '.' || table_name AS qualified_name
FROM duckdb_tables()
WHERE database_name = current_database()
