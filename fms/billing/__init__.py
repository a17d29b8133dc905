"""Quarterly billing (DD Form 645): rules, the billing mart and published statements.

The rules: the billing timeline (fms/billing/timeline.py, Table C9.T16), payment schedules
(payment_schedule.py, C9.9.1.4, Table C9.T12), initial deposits (initial_deposit.py, Table
C9.T13, a data-quality warning), money (money.py), the quarterly delivery listing
(delivery_listing.py). Exported here: what other modules import.
"""

from fms.billing.delivery_listing import build_delivery_listing
from fms.billing.initial_deposit import build_initial_deposit_shortfalls
from fms.billing.money import round_half_up_cents
from fms.billing.payment_schedule import first_payment_date
from fms.billing.publication import publish_statements, write_adhoc_statements
from fms.billing.statements import build_billing_statements, build_purchaser_statements
from fms.billing.timeline import billing_timeline, last_quarter_end_before

__all__ = [
    "billing_timeline",
    "build_delivery_listing",
    "build_billing_statements",
    "build_initial_deposit_shortfalls",
    "build_purchaser_statements",
    "first_payment_date",
    "last_quarter_end_before",
    "publish_statements",
    "round_half_up_cents",
    "write_adhoc_statements",
]
