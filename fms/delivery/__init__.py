"""Delivery reporting (SAMM C9.13 and C9.15.2.3.1).

Marts, each built as of a date into a table the caller names:
- `build_delivery_status`: one row per line of every open case (delivered, undelivered,
  estimated billings and their age, late delivery reports).
- `build_c1_transactions`: the monthly C1 constructive delivery records (Tables C9.T17, C9.T18).
- `build_undelivered_report`: the quarterly undelivered report, one row per open case.
Files: `write_c1_file` and `publish_delivery_outputs`. Dates: `reporting_dates`.
"""

from fms.delivery.c1 import (
    C1FileError,
    build_c1_transactions,
    c1_file_name,
    write_c1_file,
)
from fms.delivery.publish import publish_delivery_outputs
from fms.delivery.reporting_dates import c1_reporting_date_for_month, default_delivery_report_as_of
from fms.delivery.status import build_delivery_status
from fms.delivery.undelivered import build_undelivered_report

__all__ = [
    "C1FileError",
    "build_c1_transactions",
    "build_delivery_status",
    "build_undelivered_report",
    "c1_file_name",
    "c1_reporting_date_for_month",
    "default_delivery_report_as_of",
    "publish_delivery_outputs",
    "write_c1_file",
]
