"""Benchmarks of the nightly pipeline against the DuckDB load floor
(`python -m tools.benchmarks.run`).

Every stage runs in its own subprocess (`tools.benchmarks.stage`) so its wall time and peak
memory are its own; `tools.benchmarks.run` orders the stages, runs the CLI both ways under
Prefect, profiles, and writes `tools/benchmarks/results/<scale>-<timestamp>.{json,md}`. See
tools/benchmarks/README.md.
"""
