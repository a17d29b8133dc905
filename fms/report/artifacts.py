"""What a run shows in the Prefect UI: a markdown summary with the key figures and links to the
files, and tables of the top items. Plain functions of RunFigures (the task only posts them).

Money is printed as exact text ("$1,234.50"): table artifacts are JSON, and a JSON number would
be a float.
"""

from __future__ import annotations

import re
from pathlib import Path

from fms.formatting import count, dollars, share
from fms.report.figures import RunFigures, Source
from fms.report.files import REPORT_NAME, RunFile
from fms.report.page import iso

_NOT_KEY = re.compile(r"[^a-z0-9-]+")


def artifact_key(job: str, what: str) -> str:
    """A Prefect artifact key (lowercase letters, digits, dashes): `<job>-<what>`."""
    return _NOT_KEY.sub("-", f"{job}-{what}".lower()).strip("-")


def _md(text: str) -> str:
    """Text safe in a markdown table cell."""
    return text.replace("|", "/").replace("\n", " ")


def as_of_text(source: Source) -> str:
    """A figure's date for the summary table; another run's says whose it is."""
    when = iso(source.as_of)
    if source.this_run:
        return when
    if source.run_id:
        return f"{when} ({source.job_title.lower()} run {source.run_id})"
    return f"{when} ({source.job_title.lower()}, {source.table})"


def key_figures(f: RunFigures) -> list[tuple[str, str, Source]]:
    """(figure, value, what it is as of): the run's headline numbers, money exact."""
    run, statements = f.run_source, f.statement_source
    rows = [
        ("Implemented cases", count(sum(p["cases"] for p in f.purchasers)), run),
        ("Case value", dollars(f.total("purchasers", "case_value")), run),
        ("Collections received", dollars(f.total("purchasers", "collections")), run),
    ]
    if f.latest_statement_period:
        rows.append(
            (
                f"Amount due (latest statements, to {f.latest_statement_period})",
                dollars(f.total("purchasers", "amount_due")),
                statements,
            )
        )
    else:
        rows.append(("Amount due", "no billing statements published", statements))
    if f.delivery is not None:
        delivered = f.total("delivery", "delivered_value")
        undelivered = f.total("delivery", "undelivered_value")
        rows += [
            (figure, value, f.delivery_source)
            for figure, value in (
                ("Delivered value (open cases)", dollars(delivered)),
                ("Undelivered value", dollars(undelivered)),
                ("Delivered share", share(delivered, delivered + undelivered)),
            )
        ]
    if f.funnel is not None:
        rows += [
            (figure, value, f.closure_source)
            for figure, value in (
                ("Cases in closure scope", count(f.funnel["in_scope"])),
                ("Ready to close", count(f.funnel["ready"])),
                ("Ready and overdue (SSC > 12 months)", count(f.funnel["overdue_ready"])),
                ("Funds locked in ready cases", dollars(f.funnel["funds_locked_in_ready_cases"])),
            )
        ]
    if f.shows_schedule_review and f.schedule_review is not None:
        review, source = f.schedule_review, f.schedule_review_source or run
        rows += [
            (figure, value, source)
            for figure, value in (
                ("Payment schedules reviewed", count(review["cases_reviewed"])),
                ("Schedules to revise", count(review["cases_to_revise"])),
                (
                    "SHORT / AHEAD",
                    f"{count(review['short_cases'])} / {count(review['ahead_cases'])}",
                ),
                ("Largest variances, summed", dollars(review["total_variance"])),
            )
        ]
    rows += [
        ("Data-quality warnings", count(f.dq_warnings), run),
        ("Critical data-quality failures", count(f.dq_critical), run),
    ]
    if f.quarantine:
        quarantined = count(sum(q["rows_quarantined"] for q in f.quarantine))
        rows.append(("Rows quarantined", quarantined, run))
    return rows


def summary_markdown(f: RunFigures, files: list[RunFile], final_dir: Path) -> str:
    """The run's markdown artifact: heading, key figures, links (file:// URIs of the final
    folder, where the files are once the run is published)."""
    report = RunFile(REPORT_NAME, REPORT_NAME)
    when = f"as of {f.as_of.isoformat()}" if f.period == f.as_of.isoformat() else f.period
    lines = [
        f"# {f.title} {when}" + (f" ({f.selection}, ad hoc)" if f.selection else ""),
        "",
        f"Run `{f.run_id}`. **[Open the run report]({report.uri(final_dir)})** "
        "(charts and tables, readable offline).",
        "",
        "| key figure | value | as of |",
        "|---|---:|---|",
    ]
    lines += [f"| {_md(k)} | {_md(v)} | {_md(as_of_text(s))} |" for k, v, s in key_figures(f)]
    if files:
        lines += ["", "## Files", ""]
        lines += [f"- [{_md(x.name)}]({x.uri(final_dir)})" for x in files]
    return "\n".join(lines) + "\n"


def top_closable_cases_table(f: RunFigures) -> list[dict[str, str]]:
    """Top closable cases by funds released on closure (money as exact text)."""
    return [
        {
            "case": c["case_id"],
            "purchaser": c["country_code"],
            "ssc_date": iso(c["supply_services_complete_date"]),
            "days_since_ssc": count(c["days_since_ssc"]),
            "overdue": "yes" if c["overdue"] else "no",
            "final_value": dollars(c["final_value"]),
            "collections": dollars(c["collections"]),
            "released_on_closure": dollars(c["excess_funds"]),
        }
        for c in f.closable_cases
    ]


def purchaser_totals_table(f: RunFigures) -> list[dict[str, str]]:
    """Totals by purchaser, most amount due first (then case value)."""
    rows = sorted(
        f.purchasers,
        key=lambda p: (p["amount_due"] is not None, p["amount_due"] or 0, p["case_value"]),
        reverse=True,
    )
    return [
        {
            "purchaser": p["country_code"],
            "name": p["purchaser_name"],
            "cases": count(p["cases"]),
            "case_value": dollars(p["case_value"]),
            "collections": dollars(p["collections"]),
            "amount_due": dollars(p["amount_due"]),
            "statement": iso(p["statement_period_end"]),
            "funds_locked_in_ready_cases": dollars(p["funds_locked_in_ready_cases"]),
        }
        for p in rows
    ]


def top_schedule_revisions_table(f: RunFigures) -> list[dict[str, str]]:
    """The payment schedule review's top cases to revise, largest |variance| first (empty in
    any other job's run)."""
    return [
        {
            "case": c["case_id"],
            "purchaser": c["country_code"],
            "direction": c["direction"],
            "largest_variance": dollars(c["largest_variance"]),
            "payment_date": iso(c["largest_variance_payment_date"]),
            "threshold": dollars(c["threshold"]),
            "collections_received": dollars(c["collections_received"]),
            "next_payment_date": iso(c["next_payment_date"]),
            "next_payment_revised": dollars(c["next_revised_quarterly"]),
            "estimated_total_cost": dollars(c["estimated_total_cost"]),
        }
        for c in f.schedule_review_cases
    ]
