"""Monthly delivery report: the C1 file (due by the 20th), delivery status, undelivered report."""

from flows.job_run import marts_job_flow
from flows.jobs import DELIVERY_REPORT

delivery_report = marts_job_flow(
    DELIVERY_REPORT,
    """Delivery reporting as of a date (SAMM C9.13, Tables C9.T17/T18, C9.15.2.3.1).

    Writes the C1 file, delivery status and undelivered report to
    <out>/delivery-report/<as_of>/ (ad hoc: <out>/delivery-report/adhoc/<as_of>-<selection>/).
    The published tables stay the nightly refresh's.
    """,
    as_of="the date reported (default: the last day of the previous month, resolved at run "
    "time: the date this month's C1 file, due by the 20th, reports).",
)
