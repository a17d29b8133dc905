"""The run report as one self-contained HTML page, rendered from the Jinja2 templates in
`templates/` with autoescape: the CSS inlined, charts as inline SVG, links only to
files beside it. No script, no font, no stylesheet from anywhere else.

The templates hold the markup; this module holds what is a rule: how figures are printed (every
amount exactly from its Decimal, fms.formatting), which blocker counts money, which colour
the data-quality and schedule review cards take.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from fms.formatting import NONE, count, dollars, share
from fms.report.charts import Chart
from fms.report.figures import RunFigures
from fms.report.files import RunFile

OPEN_TABLE_ROWS = 12  # longer tables fold under their chart
QUARANTINE_REASONS = 12  # entity/reason rows shown; the worklist file lists every row
# Blockers whose amount is money; the others count lines or buy backs
# (fms/sql/marts/build_closure_readiness.sql).
MONEY_BLOCKERS = {"ESTIMATED_PRICES", "PERFORMANCE_OVER_VALUE", "SCML_MINIMUM", "UNDERCOLLECTED"}


def purchaser(row: dict) -> str:
    """The purchaser as people read it: "UK · United Kingdom", or the code alone."""
    name = row.get("purchaser_name") or row["country_code"]
    return f"{row['country_code']} · {name}" if name != row["country_code"] else name


def blocker_amount(row: dict) -> str:
    if row["code"] in MONEY_BLOCKERS:
        return dollars(row["amount"])
    unit = "buy backs" if row["code"] == "BUY_BACK_OPEN" else "lines"
    return f"{count(int(row['amount']))} {unit}"


def iso(day: date | None) -> str:
    return day.isoformat() if day else NONE


def utc(moment: datetime | None) -> str:
    """A UTC timestamp as the warehouse keeps them (naive, UTC), to the minute."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else NONE


def quality_colour(f: RunFigures) -> str:
    """Red when a critical expectation failed, amber when only warnings did, else teal."""
    return "red" if f.dq_critical else ("amber" if f.dq_warnings else "teal")


def review_colour(f: RunFigures) -> str:
    """The schedule review's card: red when a schedule runs SHORT (the USG would finance the
    case), amber when one only runs AHEAD, else teal."""
    review = f.schedule_review or {}
    if review.get("short_cases"):
        return "red"
    return "amber" if review.get("cases_to_revise") else "teal"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("fms.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt figure fails the render instead of printing blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters |= {
        "dollars": dollars,
        "number": count,
        "share": share,
        "iso": iso,
        "utc": utc,
        "purchaser": purchaser,
        "blocker_amount": blocker_amount,
    }
    env.globals |= {
        "NONE": NONE,
        "open_table_rows": OPEN_TABLE_ROWS,
        "quarantine_reasons": QUARANTINE_REASONS,
        "quality_colour": quality_colour,
        "review_colour": review_colour,
    }
    return env


def render_page(f: RunFigures, charts: dict[str, Chart | None], files: list[RunFile]) -> str:
    env = environment()
    css = env.loader.get_source(env, "run_report.css")[0]  # our own file: inlined as is
    return env.get_template("run_report.html.j2").render(
        f=f,
        charts=charts,
        files=files,
        css=Markup(css),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
