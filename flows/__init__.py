"""Prefect flows: one module per user-facing job."""
