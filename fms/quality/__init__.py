"""Data-quality gates: Great Expectations suites over audit frames computed in DuckDB."""
