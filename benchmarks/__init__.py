"""Benchmarks of the nightly pipeline against the DuckDB load floor (`python -m benchmarks.run`).

Every stage runs in its own subprocess (`benchmarks.stage`) so its wall time and peak memory
are its own; `benchmarks.run` orders the stages, runs the CLI both ways under Prefect, profiles,
and writes `benchmarks/results/<scale>-<timestamp>.{json,md}`. See benchmarks/README.md.
"""
