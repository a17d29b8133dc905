"""What the per-purchaser marts read, and how each table is cut to a set of purchasers.

A mart row of purchaser X is computed from X's rows only: delivery status, the C1 records,
the undelivered report, closure readiness and the buy-back register are per case, and billing
interest is a purchaser figure (net arrearage over all of X's cases). So a worker that holds
every row of its purchasers, and no row of anyone else's cases, builds exactly their rows of
the full build. Tables are sliced in this order: a case-keyed table is cut by the `cases`
already sliced, the delivery history by the `deliveries` already sliced.
"""

from __future__ import annotations

from fms.reference import REFERENCE_TABLES

# (table, the SQL file of fms/sql/scaleout/ that cuts it, whether it binds $purchasers).
# Reference tables travel whole, as the coordinator loaded them (fms.warehouse.refresh_rules).
INPUT_SLICES: tuple[tuple[str, str, bool], ...] = (
    ("countries", "scaleout/slice_rows_of_purchasers", True),
    ("cases", "scaleout/slice_rows_of_purchasers", True),
    ("case_lines", "scaleout/slice_rows_of_cases", False),
    ("payment_schedules", "scaleout/slice_rows_of_cases", False),
    ("collections", "scaleout/slice_collections", True),
    ("expenditures", "scaleout/slice_rows_of_cases", False),
    ("deliveries", "scaleout/slice_rows_of_cases", False),
    ("deliveries_history", "scaleout/slice_delivery_history", False),
    ("requirements_forecasts", "scaleout/slice_rows_of_cases", False),
    ("buy_backs", "scaleout/slice_rows_of_cases", False),
) + tuple((f"ref_{name}", "scaleout/slice_reference_table", False) for name in REFERENCE_TABLES)

# Every table the export writes and a worker reads: one Parquet file each, `<table>.parquet`.
MART_INPUTS: tuple[str, ...] = tuple(table for table, _, _ in INPUT_SLICES)
