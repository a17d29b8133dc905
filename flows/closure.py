"""Closure readiness: which cases can close, what blocks the rest, what money it frees."""

from flows.job_run import marts_job_flow
from flows.jobs import CLOSURE

closure_readiness = marts_job_flow(
    CLOSURE,
    """The closure worklist as of a date (C9.4.7.5, C9.11.5, E-Change 773).

    Writes the ranked worklist, funds locked by purchaser and the buy-back register to
    <out>/closure/<as_of>/ (ad hoc: <out>/closure/adhoc/<as_of>-<selection>/).
    """,
    as_of="the date judged (default: today, resolved at run time).",
)
