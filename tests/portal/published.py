"""A small published warehouse for the portal's tests: the SAMM worked example (fms-domain.md)
for two purchasers, XX (Exampleland, case XX-D-W01) and YY (Otherland, YY-D-W01), plus a case of
XX whose line description is hostile HTML (and a delivery at no charge, so XX has a delivery
listing); the nightly's marts as of 2 Dec 2026 and the
statements of the quarter ended 30 Sep 2026 published (revision 1, with their files), then the
readers' snapshot written, as a job's publication leaves them. Built with the library's own
builders and publishers (no Prefect), so the route tests stay in the fast tier.

And two accounts of each kind in a users' database beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from app.portal.accounts import UserStore
from app.portal.web import PortalSettings
from fms.billing.publication import publish_statements
from fms.billing.statements import build_billing_statements
from fms.marts import NIGHTLY_MARTS, build_staged_marts
from fms.publication import publish_staged_marts
from fms.snapshots import snapshot_path, write_snapshot
from tests.billing.builders import E
from tests.billing.worked_example import insert_worked_example
from tests.handbuilt import d, insert, open_warehouse

NIGHTLY_AS_OF = date(2026, 12, 2)
PASSWORD = "correct horse battery staple"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ACCOUNTS = {  # name: (role, country)
    "ana": ("analyst", None),
    "xavier": ("purchaser", "XX"),
    "yolanda": ("purchaser", "YY"),
}
# What each purchaser owns, and what the other must never see.
OWN = {
    "XX": {"purchaser": "XX", "case": "XX-D-W01", "statement": "/statements/XX/2026-09-30/1"},
    "YY": {"purchaser": "YY", "case": "YY-D-W01", "statement": "/statements/YY/2026-09-30/1"},
}


# Each derivation step on the statement page and the `billing_statements` column it shows.
STEP_COLUMNS = {
    "Payment schedule to the due date": "scheduled_cumulative",
    "Performance": "performance",
    "Forecast costs": "forecast_costs",
    "Termination liability": "termination_liability",
    "Administrative surcharge": "surcharge",
    "Forecast of financial requirements": "forecast_cumulative",
    "Requirement billed": "requirement",
    "Collections": "collections_cumulative",
    "Amount due and payable (column 14)": "amount_due",
    "Arrearage": "arrearage",
    "Interest": "interest",
}


@dataclass(frozen=True)
class Published:
    warehouse: Path
    out_dir: Path
    users: Path

    def settings(self, **overrides) -> PortalSettings:
        return PortalSettings(
            snapshot=snapshot_path(self.warehouse),
            users=self.users,
            secret=b"portal-tests-signing-key-0123456789abcdef",
            **overrides,
        )


def build_published(folder: Path) -> Published:
    con = open_warehouse(folder, "fms.duckdb")
    insert_worked_example(con, "XX-D-W01", "Exampleland")
    insert_worked_example(con, "YY-D-W01", "Otherland")
    insert(con, "cases", {"case_id": "XX-D-H01", "implementation_date": d("2025-03-03")})
    insert(
        con,
        "case_lines",
        {
            "case_id": "XX-D-H01",
            "line_number": 1,
            "description": HOSTILE,
            "ordered_quantity": 1,
            "line_value": Decimal("1000.00"),
        },
    )
    # A delivery at no charge reported in the quarter: XX's statement gets its delivery listing
    # (a file to download) and no figure moves.
    insert(
        con,
        "deliveries",
        {
            "delivery_id": "XX-D-H01-D1",
            "case_id": "XX-D-H01",
            "shipment_date": d("2026-08-03"),
            "reported_date": d("2026-08-14"),
            "quantity": 1,
            "delivered_value": Decimal("0.00"),
        },
    )
    build_staged_marts(con, NIGHTLY_AS_OF, NIGHTLY_MARTS)
    publish_staged_marts(
        con,
        list(NIGHTLY_MARTS),
        run_id="nightly-test",
        job="nightly",
        as_of=NIGHTLY_AS_OF,
        through_batch_seq=1,
        out_dir=None,
    )
    out_dir = folder / "out" / "quarterly-billing" / "2026Q3"
    build_billing_statements(con, E)
    publish_statements(con, E, "staging.billing_statements", out_dir)
    write_snapshot(con, folder / "fms.duckdb", "test")
    con.close()
    users = folder / "portal" / "users.sqlite"
    store = UserStore(users)
    for name, (role, country) in ACCOUNTS.items():
        store.add(name, role, PASSWORD, country=country)
    return Published(folder / "fms.duckdb", out_dir, users)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    return CSRF.search(html).group(1)


def log_in(client, name: str, password: str = PASSWORD):
    """Log in through the form, as a browser does; return the response to the POST."""
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
