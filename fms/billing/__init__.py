"""Quarterly billing (DD Form 645): rules, the billing mart and published statements.

Public API:
- timeline: `billing_timeline`, `last_quarter_end_before` (Table C9.T16)
- payment schedules: `first_payment_date`, `is_samm_quarterly_due_date` (C9.9.1.4, Table C9.T12)
- initial deposits: `initial_deposit_requirement`, `initial_deposit_shortfalls`,
  `build_initial_deposit_shortfalls` (Table C9.T13, a data-quality warning)
- money: `round_half_up_cents`
- mart: `build_billing_statements`, `build_purchaser_statements`
- records: `publish_statements`, `write_adhoc_statements`, `latest_revisions`,
  `create_published_statement_tables`
"""

from fms.billing.initial_deposit import (
    InitialDepositRequirement,
    InitialDepositShortfall,
    build_initial_deposit_shortfalls,
    initial_deposit_requirement,
    initial_deposit_shortfalls,
)
from fms.billing.money import round_half_up_cents
from fms.billing.payment_schedule import first_payment_date, is_samm_quarterly_due_date
from fms.billing.publication import (
    PublicationResult,
    latest_revisions,
    publish_statements,
    write_adhoc_statements,
)
from fms.billing.statements import build_billing_statements, build_purchaser_statements
from fms.billing.tables import create_published_statement_tables
from fms.billing.timeline import BillingTimeline, billing_timeline, last_quarter_end_before

__all__ = [
    "BillingTimeline",
    "InitialDepositRequirement",
    "InitialDepositShortfall",
    "PublicationResult",
    "billing_timeline",
    "build_billing_statements",
    "build_initial_deposit_shortfalls",
    "build_purchaser_statements",
    "create_published_statement_tables",
    "first_payment_date",
    "initial_deposit_requirement",
    "initial_deposit_shortfalls",
    "is_samm_quarterly_due_date",
    "last_quarter_end_before",
    "latest_revisions",
    "publish_statements",
    "round_half_up_cents",
    "write_adhoc_statements",
]
