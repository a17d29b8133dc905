"""Case closure (SAMM C9.4.7, C9.11.5, C9.13.2, E-Change 773 C6.4.9.2.2).

Marts, built into a table the caller names:
- `build_closure_readiness`: one row per implemented or SSC case as of a date: ready or not,
  the blockers with their amounts, final value, excess funds, days since SSC, overdue.
- `build_buy_back_register`: the IA's central record of buy backs, with the `open` flag the
  BUY_BACK_OPEN blocker reads.
Files: `publish_closure_outputs` (the ranked worklist, funds locked per purchaser, the register).
Rules: fms/sql/marts/closure_rule_macros.sql (SCML, buy backs, blockers),
fms/sql/marts/build_closure_readiness.sql.
"""

from fms.closure.buy_back_register import build_buy_back_register
from fms.closure.macros import create_closure_macros
from fms.closure.publish import publish_closure_outputs
from fms.closure.readiness import BLOCKER_CODES, build_closure_readiness

__all__ = [
    "BLOCKER_CODES",
    "build_buy_back_register",
    "build_closure_readiness",
    "create_closure_macros",
    "publish_closure_outputs",
]
