"""Prefect tasks: thin wrappers, one step each, around the plain functions in `fms`."""
