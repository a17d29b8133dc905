"""The run report as one self-contained HTML page: inline CSS, charts as embedded PNG data URIs,
links only to files beside it. No script, no font, no stylesheet from anywhere else.

Every text from the data is escaped; every amount is printed exactly from its Decimal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from fms.report.charts import Chart
from fms.report.figures import RunFigures
from fms.report.files import RunFile
from fms.report.formatting import NONE, count, dollars, share

STYLE = """
:root {
  --ink: #1f2d3d; --muted: #5f6b7a; --line: #dde3ea; --paper: #f4f6f9; --card: #ffffff;
  --navy: #1d3557; --teal: #2a9d8f; --amber: #e9a23b; --red: #c0392b; --blue: #457b9d;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 14px/1.45 "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans",
  sans-serif; }
header.masthead { background: var(--navy); color: #fff; padding: 28px 40px 22px; }
.eyebrow { text-transform: uppercase; letter-spacing: .12em; font-size: 11px; opacity: .75; }
h1 { margin: 4px 0 14px; font-size: 26px; font-weight: 600; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; font-size: 12.5px; }
.meta div { display: flex; gap: 6px; }
.meta dt { opacity: .7; } .meta dd { margin: 0; font-weight: 600; word-break: break-all; }
nav { background: #15294a; padding: 0 40px; display: flex; flex-wrap: wrap; gap: 2px; }
nav a { color: #d8e2ee; text-decoration: none; padding: 9px 12px; font-size: 12.5px; }
nav a:hover { background: rgba(255,255,255,.08); }
main { max-width: 1200px; margin: 0 auto; padding: 24px 40px 40px; }
.kpis { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px;
  margin-bottom: 22px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 14px 16px; border-top: 4px solid var(--blue); }
.kpi.teal { border-top-color: var(--teal); } .kpi.amber { border-top-color: var(--amber); }
.kpi.red { border-top-color: var(--red); } .kpi.navy { border-top-color: var(--navy); }
.kpi .label { font-size: 11.5px; text-transform: uppercase; letter-spacing: .06em;
  color: var(--muted); }
.kpi .value { font-size: 21px; font-weight: 650; margin: 4px 0 2px;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.kpi .note { font-size: 12px; color: var(--muted); }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 20px 24px; margin-bottom: 22px; }
h2 { margin: 0 0 4px; font-size: 18px; color: var(--navy); }
h3 { margin: 18px 0 6px; font-size: 14px; color: var(--navy); }
p.lede { margin: 0 0 14px; color: var(--muted); }
p.empty { padding: 14px 16px; background: #f7f9fb; border: 1px dashed var(--line);
  border-radius: 6px; color: var(--muted); }
figure { margin: 6px 0 14px; }
figure img { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: var(--muted); margin-top: 4px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; }
.grid2.wide-left { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); align-items: start; }
table { width: 100%; border-collapse: collapse; font-size: 13px; margin: 4px 0 6px;
  font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 11.5px;
  text-transform: uppercase; letter-spacing: .04em; border-bottom: 2px solid var(--line);
  padding: 7px 8px; }
td { padding: 6px 8px; border-bottom: 1px solid #edf1f5; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fafbfd; }
tfoot td { font-weight: 650; border-top: 2px solid var(--line); border-bottom: none; }
.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 11px;
  font-weight: 600; }
.badge.red { background: #fbe3e0; color: var(--red); }
.badge.amber { background: #fdf0da; color: #9a6210; }
.badge.teal { background: #ddf2ef; color: #1d6f65; }
.examples { color: var(--muted); font-size: 12px; }
.source { font-size: 11.5px; color: var(--muted); margin-top: 8px; }
ul.files { columns: 2; margin: 0; padding-left: 18px; }
ul.files li { margin: 2px 0; }
a { color: var(--blue); }
footer { max-width: 1200px; margin: 0 auto; padding: 0 40px 30px; color: var(--muted);
  font-size: 12px; }
details > summary { cursor: pointer; color: var(--blue); font-size: 13px; margin: 4px 0 8px; }
@media (max-width: 900px) { .grid2, .kpis { grid-template-columns: 1fr; } ul.files { columns: 1; } }
@media print { body { background: #fff; } nav { display: none; }
  section.card { break-inside: avoid; border: none; padding: 0; } }
"""


OPEN_TABLE_ROWS = 12  # longer tables fold under their chart
QUARANTINE_REASONS = 12  # entity/reason rows shown; the worklist file lists every row


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[dict], str]
    numeric: bool = False
    html: bool = False  # value() returns markup it escaped itself


def _cell(text: str, numeric: bool, raw: bool = False) -> str:
    body = text if raw else escape(text)
    return f'<td class="num">{body}</td>' if numeric else f"<td>{body}</td>"


def table(
    columns: Sequence[Column],
    rows: Sequence[dict],
    footer: Sequence[str] | None = None,
    table_id: str | None = None,
) -> str:
    head = "".join(
        f'<th class="num">{escape(c.label)}</th>' if c.numeric else f"<th>{escape(c.label)}</th>"
        for c in columns
    )
    body = "".join(
        "<tr>" + "".join(_cell(c.value(r), c.numeric, c.html) for c in columns) + "</tr>"
        for r in rows
    )
    foot = ""
    if footer is not None:
        foot = (
            "<tfoot><tr>"
            + "".join(_cell(t, c.numeric) for c, t in zip(columns, footer, strict=True))
            + "</tr></tfoot>"
        )
    ident = f' id="{escape(table_id)}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def figure(chart: Chart | None, caption: str = "") -> str:
    if chart is None:
        return ""
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><img id="chart-{chart.key}" data-chart="{chart.key}" '
        f'alt="{escape(chart.alt)}" title="{escape(chart.title)}" src="{chart.data_uri}">'
        f"{cap}</figure>"
    )


def collapsible(table_html: str, rows: int, noun: str) -> str:
    """A long table folds under its chart (no script: an HTML details element); a short one
    shows as is. The chart above shows the largest items; the table lists every one."""
    if rows <= OPEN_TABLE_ROWS:
        return table_html
    return (
        f"<details><summary>Table: all {count(rows)} {escape(noun)} with totals</summary>"
        f"{table_html}</details>"
    )


def empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


def source(text: str) -> str:
    return f'<p class="source">{escape(text)}</p>'


def section(section_id: str, title: str, lede: str, body: str) -> str:
    return (
        f'<section class="card" id="{section_id}"><h2>{escape(title)}</h2>'
        f'<p class="lede">{escape(lede)}</p>{body}</section>'
    )


def _money(key: str) -> Callable[[dict], str]:
    return lambda r: dollars(r[key])


def _count(key: str) -> Callable[[dict], str]:
    return lambda r: count(r[key])


def _date(key: str) -> Callable[[dict], str]:
    return lambda r: r[key].isoformat() if r[key] else NONE


def _name(r: dict) -> str:
    name = r.get("purchaser_name") or r["country_code"]
    return f"{r['country_code']} · {name}" if name != r["country_code"] else name


# --- sections ---------------------------------------------------------------------------


def kpis(f: RunFigures) -> str:
    cards: list[tuple[str, str, str, str]] = []  # (css, label, value, note)
    cases = sum(p["cases"] for p in f.purchasers)
    cards.append(
        (
            "navy",
            "Case value",
            dollars(f.total("purchasers", "case_value")),
            f"{count(cases)} implemented cases",
        )
    )
    cards.append(
        (
            "teal",
            "Collections received",
            dollars(f.total("purchasers", "collections")),
            f"to {f.as_of.isoformat()}, cases and holding accounts",
        )
    )
    if f.latest_statement_period:
        cards.append(
            (
                "amber",
                "Amount due",
                dollars(f.total("purchasers", "amount_due")),
                f"latest statements (quarter ended {f.latest_statement_period})",
            )
        )
    else:
        cards.append(("amber", "Amount due", NONE, "no billing statements published yet"))
    if f.delivery is not None:
        delivered = f.total("delivery", "delivered_value")
        undelivered = f.total("delivery", "undelivered_value")
        cards.append(
            (
                "blue",
                "Undelivered value",
                dollars(undelivered),
                f"{share(delivered, delivered + undelivered)} of open cases delivered",
            )
        )
    if f.funnel is not None:
        cards.append(
            (
                "red",
                "Funds locked in ready cases",
                dollars(f.funnel["funds_locked_in_ready_cases"]),
                f"{count(f.funnel['ready'])} cases ready to close, "
                f"{count(f.funnel['overdue_ready'])} overdue",
            )
        )
    quarantined = sum(q["rows_quarantined"] for q in f.quarantine)
    dq_css = "red" if f.dq_critical else ("amber" if f.dq_warnings else "teal")
    dq_value = (
        f"{count(f.dq_critical)} critical"
        if f.dq_critical
        else f"{count(f.dq_warnings)} warning{'s' if f.dq_warnings != 1 else ''}"
    )
    dq_note = f"{count(sum(s['expectations'] for s in f.dq_stages))} expectations checked"
    if f.quarantine:
        dq_note += f", {count(quarantined)} rows quarantined"
    cards.append((dq_css, "Data quality", dq_value, dq_note))
    return (
        '<div class="kpis" id="key-figures">'
        + "".join(
            f'<div class="kpi {css}"><div class="label">{escape(label)}</div>'
            f'<div class="value">{escape(value)}</div><div class="note">{escape(note)}</div></div>'
            for css, label, value, note in cards
        )
        + "</div>"
    )


def totals_section(f: RunFigures, chart: Chart | None) -> str:
    if not f.purchasers:
        return section("totals", "Totals by purchaser", "", empty("No implemented cases."))
    columns = [
        Column("Purchaser", _name),
        Column("Cases", _count("cases"), True),
        Column("Case value", _money("case_value"), True),
        Column("Collections", _money("collections"), True),
        Column("Amount due", _money("amount_due"), True),
        Column(
            "Statement",
            lambda r: r["statement_period_end"].isoformat() if r["statement_period_end"] else NONE,
            True,
        ),
        Column("Funds locked (ready cases)", _money("funds_locked_in_ready_cases"), True),
    ]
    has_due = any(p["amount_due"] is not None for p in f.purchasers)
    has_locked = any(p["funds_locked_in_ready_cases"] is not None for p in f.purchasers)
    footer = [
        "All purchasers",
        count(sum(p["cases"] for p in f.purchasers)),
        dollars(f.total("purchasers", "case_value")),
        dollars(f.total("purchasers", "collections")),
        dollars(f.total("purchasers", "amount_due")) if has_due else NONE,
        "",
        dollars(f.total("purchasers", "funds_locked_in_ready_cases")) if has_locked else NONE,
    ]
    lede = (
        f"Implemented and supply/services-complete cases as of {f.as_of.isoformat()}: case value "
        "(lines other than the SCML), collections received to the cases and the holding "
        "account, the amount due on the purchaser's latest published statement and the excess "
        "its ready cases would release if closed now."
    )
    return section(
        "totals",
        "Totals by purchaser",
        lede,
        figure(chart)
        + collapsible(
            table(columns, f.purchasers, footer, "purchaser-totals-table"),
            len(f.purchasers),
            "purchasers",
        ),
    )


def billing_section(f: RunFigures, chart: Chart | None) -> str:
    columns = [
        Column("Quarter", lambda r: r["quarter"] + (" (to date)" if r["to_date"] else "")),
        Column("Statements", lambda r: count(r["statements"]) if r["statements"] else NONE, True),
        Column("Amount due", _money("amount_due"), True),
        Column("Arrearage", _money("arrearage"), True),
        Column("Interest", _money("interest"), True),
        Column("Collections received", _money("collections"), True),
    ]
    if f.billing_published:
        lede = (
            "For each quarter ended: the amount due, arrearage and interest on the latest "
            "revision of each purchaser's published DD Form 645 statement (Table C9.T16), and "
            "the collections received during the quarter."
        )
        note = ""
    else:
        lede = "Collections received by quarter."
        note = empty(
            "No quarterly billing statements have been published for these quarters yet: the "
            "chart shows collections received by quarter only. Run the quarterly billing job "
            "to publish statements."
        )
    return section(
        "billing",
        "Billing trend by quarter",
        lede,
        note + figure(chart) + table(columns, f.quarters, table_id="billing-trend-table"),
    )


def delivery_section(f: RunFigures, chart: Chart | None) -> str:
    if f.delivery is None:
        return section(
            "delivery",
            "Delivery progress",
            "",
            empty(
                f"No delivery status has been built yet ({f.tables.delivery_status} does "
                "not exist): the nightly refresh builds it."
            ),
        )
    if not f.delivery:
        return section("delivery", "Delivery progress", "", empty("No open case lines."))
    as_of = max(r["as_of"] for r in f.delivery)
    columns = [
        Column("Purchaser", _name),
        Column("Cases", _count("cases"), True),
        Column("Lines", _count("lines"), True),
        Column("Order value", _money("order_value"), True),
        Column("Delivered", _money("delivered_value"), True),
        Column("Undelivered", _money("undelivered_value"), True),
        Column(
            "Delivered %",
            lambda r: share(r["delivered_value"], r["delivered_value"] + r["undelivered_value"]),
            True,
        ),
        Column("At estimated prices", _money("estimated_value_outstanding"), True),
    ]
    delivered = f.total("delivery", "delivered_value")
    undelivered = f.total("delivery", "undelivered_value")
    footer = [
        "All purchasers",
        count(sum(r["cases"] for r in f.delivery)),
        count(sum(r["lines"] for r in f.delivery)),
        dollars(f.total("delivery", "order_value")),
        dollars(delivered),
        dollars(undelivered),
        share(delivered, delivered + undelivered),
        dollars(f.total("delivery", "estimated_value_outstanding")),
    ]
    lede = (
        f"Open cases' lines as of {as_of.isoformat()}: value delivered (deliveries reported by "
        "then) and still to deliver, and deliveries still billed at estimated prices, which "
        "must become actual before a case closes (C9.13.2)."
    )
    return section(
        "delivery",
        "Delivery progress",
        lede,
        figure(chart)
        + collapsible(
            table(columns, f.delivery, footer, "delivery-progress-table"),
            len(f.delivery),
            "purchasers",
        )
        + source(f"Source: {f.tables.delivery_status}"),
    )


def closure_section(
    f: RunFigures,
    funnel_chart: Chart | None,
    funds_chart: Chart | None,
    blockers_chart: Chart | None,
) -> str:
    if f.funnel is None:
        return section(
            "closure",
            "Closure readiness",
            "",
            empty(
                f"No closure readiness has been built yet ({f.tables.closure_readiness} does "
                "not exist): the nightly refresh builds it."
            ),
        )
    fn = f.funnel
    overdue_funds = dollars(fn["funds_locked_in_overdue_ready_cases"])
    lede = (
        f"As of {fn['as_of'].isoformat() if fn['as_of'] else f.as_of.isoformat()}: "
        f"{count(fn['ready'])} of {count(fn['in_scope'])} cases in closure scope are ready to "
        f"close; closing them releases {dollars(fn['funds_locked_in_ready_cases'])} to the "
        f"purchasers' holding accounts (C9.11.5), {overdue_funds} of it in"
        f" {count(fn['overdue_ready'])} cases more than 12 months past SSC."
    )
    funnel_rows = [
        {"stage": "In closure scope (implemented or SSC)", "cases": fn["in_scope"]},
        {"stage": "Supply/services complete", "cases": fn["ssc"]},
        {"stage": "Ready to close (no blockers)", "cases": fn["ready"]},
        {"stage": "Ready and overdue (SSC > 12 months)", "cases": fn["overdue_ready"]},
    ]
    funnel_table = table(
        [Column("Stage", lambda r: r["stage"]), Column("Cases", _count("cases"), True)],
        funnel_rows,
        table_id="closure-funnel-table",
    )
    blockers_table = (
        table(
            [
                Column("Blocker", lambda r: r["code"]),
                Column("Cases", _count("cases"), True),
                Column("Amount behind it", _blocker_amount, True),
            ],
            f.blockers,
            table_id="closure-blockers-table",
        )
        if f.blockers
        else empty("No case is blocked.")
    )
    locked_rows = [r for r in f.closure_by_purchaser if r["ready_cases"]]
    locked_table = (
        collapsible(
            table(
                [
                    Column("Purchaser", _name),
                    Column("Ready cases", _count("ready_cases"), True),
                    Column("Overdue", _count("overdue_ready_cases"), True),
                    Column("Funds locked", _money("funds_locked_in_ready_cases"), True),
                    Column("In overdue cases", _money("funds_locked_in_overdue_ready_cases"), True),
                    Column("Oldest (days since SSC)", _count("oldest_ready_days_since_ssc"), True),
                ],
                locked_rows,
                [
                    "All purchasers",
                    count(sum(r["ready_cases"] for r in locked_rows)),
                    count(sum(r["overdue_ready_cases"] for r in locked_rows)),
                    dollars(f.total("closure_by_purchaser", "funds_locked_in_ready_cases")),
                    dollars(f.total("closure_by_purchaser", "funds_locked_in_overdue_ready_cases")),
                    count(
                        max((r["oldest_ready_days_since_ssc"] for r in locked_rows), default=None)
                    ),
                ],
                "funds-locked-table",
            ),
            len(locked_rows),
            "purchasers with cases ready to close",
        )
        if locked_rows
        else empty("No case is ready to close.")
    )
    cases_table = (
        table(
            [
                Column("Case", _case_with_badge, html=True),
                Column("Purchaser", _name),
                Column("SSC date", _date("supply_services_complete_date")),
                Column("Days since SSC", _count("days_since_ssc"), True),
                Column("Final value", _money("final_value"), True),
                Column("Collections", _money("collections"), True),
                Column("Released on closure", _money("excess_funds"), True),
            ],
            f.closable_cases,
            table_id="closable-cases-table",
        )
        if f.closable_cases
        else ""
    )
    overdue_note = (
        '<p class="lede"><span class="badge red">overdue</span> Cases SSC more than 12 months '
        "ago should already be in closure (DSCA policy, 2025).</p>"
    )
    body = (
        '<div class="grid2"><div>'
        + figure(funnel_chart)
        + funnel_table
        + "</div><div>"
        + figure(blockers_chart)
        + blockers_table
        + "</div></div>"
        + "<h3>Funds locked in closable cases, by purchaser</h3>"
        + figure(funds_chart)
        + locked_table
    )
    if cases_table:
        body += (
            f"<h3>Top {len(f.closable_cases)} closable cases by funds released</h3>"
            + overdue_note
            + cases_table
        )
    body += source(f"Source: {f.tables.closure_readiness}")
    return section("closure", "Closure funnel and funds locked", lede, body)


def _blocker_amount(r: dict) -> str:
    # Money for these codes; the others count lines or buy backs (build_closure_readiness.sql).
    if r["code"] in {
        "ESTIMATED_PRICES",
        "PERFORMANCE_OVER_VALUE",
        "SCML_MINIMUM",
        "UNDERCOLLECTED",
    }:
        return dollars(r["amount"])
    unit = "buy backs" if r["code"] == "BUY_BACK_OPEN" else "lines"
    return f"{count(int(r['amount']))} {unit}"


def _case_with_badge(r: dict) -> str:
    badge = ' <span class="badge red">overdue</span>' if r["overdue"] else ""
    return escape(r["case_id"]) + badge


def quality_section(f: RunFigures, chart: Chart | None, files: list[RunFile]) -> str:
    if not f.dq_stages and not f.quarantine:
        return section(
            "quality",
            "Data quality",
            "",
            empty("No data-quality results were recorded for this run."),
        )
    stage_columns = [
        Column("Gate", lambda r: r["stage"]),
        Column("Suites", _count("suites"), True),
        Column("Expectations", _count("expectations"), True),
        Column("Passed", _count("passed"), True),
        Column("Warnings", _count("warnings"), True),
        Column("Critical failures", _count("critical_failures"), True),
        Column("Failing rows", _count("failing_rows"), True),
    ]
    if f.stage_quality:
        stage_columns.append(
            Column(
                "Rows validated",
                lambda r: (
                    count(f.stage_quality[r["stage"]].rows_validated)
                    if r["stage"] in f.stage_quality
                    else NONE
                ),
                True,
            )
        )
    body = (
        '<div class="grid2 wide-left"><div>'
        + table(stage_columns, f.dq_stages, table_id="dq-stages-table")
        + "</div><div>"
        + figure(chart)
        + "</div></div>"
    )
    if f.dq_failures:
        body += "<h3>Failing expectations</h3>" + table(
            [
                Column("Severity", lambda r: r["severity"]),
                Column("Suite", lambda r: r["suite"]),
                Column("Expectation", lambda r: r["expectation"]),
                Column(
                    "Failing rows",
                    lambda r: f"{count(r['unexpected_count'])} of {count(r['element_count'])}",
                    True,
                ),
                Column("Examples", lambda r: r["examples"]),
            ],
            f.dq_failures,
            table_id="dq-failures-table",
        )
    else:
        body += (
            '<p class="lede"><span class="badge teal">all passed</span> Every expectation '
            "of this run passed.</p>"
        )
    if f.quarantine:
        shown = f.quarantine[:QUARANTINE_REASONS]
        more = len(f.quarantine) - len(shown)
        body += "<h3>Rows quarantined from this run's batches</h3>" + table(
            [
                Column("Entity", lambda r: r["entity"]),
                Column("Reason", lambda r: r["reason_code"]),
                Column("Rows", _count("rows_quarantined"), True),
                Column("Resolved since", _count("rows_resolved"), True),
            ],
            shown,
            [
                f"All ({count(len(f.quarantine))} entity and reason pairs)",
                "",
                count(sum(q["rows_quarantined"] for q in f.quarantine)),
                count(sum(q["rows_resolved"] for q in f.quarantine)),
            ],
            "quarantine-table",
        )
        if more:
            body += source(
                f"The {count(len(shown))} most frequent shown; {count(more)} more in the "
                "quarantine worklist."
            )
    links = [
        x
        for x in files
        if x.href in {"dq_results.csv", "data_docs/index.html", "quarantine_worklist.csv"}
    ]
    if links:
        body += (
            '<p class="source">Details: '
            + ", ".join(f'<a href="{escape(x.href)}">{escape(x.name)}</a>' for x in links)
            + "</p>"
        )
    lede = (
        "Great Expectations gates of this run: critical failures block publishing, warnings are "
        "reported. Rows that failed row checks at load were quarantined, not loaded."
    )
    return section("quality", "Data quality", lede, body)


def files_section(files: list[RunFile]) -> str:
    if not files:
        return section("files", "Files written", "", empty("This run wrote no other files."))
    items = "".join(f'<li><a href="{escape(x.href)}">{escape(x.name)}</a></li>' for x in files)
    return section(
        "files",
        "Files written",
        "In this report's folder (links open the files beside it).",
        f'<ul class="files">{items}</ul>',
    )


def details_table(f: RunFigures) -> str:
    if not f.details:
        return ""
    rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in f.details)
    return (
        '<section class="card" id="run-details"><h2>Run details</h2>'
        f'<table id="run-details-table"><tbody>{rows}</tbody></table></section>'
    )


def render_page(f: RunFigures, charts: dict[str, Chart | None], files: list[RunFile]) -> str:
    when = f"as of {f.as_of.isoformat()}" if f.period == f.as_of.isoformat() else f.period
    heading = f"{f.title} — {when}"
    if f.selection:
        heading += f" ({f.selection}, ad hoc)"
    meta = [
        ("Job", f.job),
        ("Run", f.run_id or NONE),
        ("As of", f.as_of.isoformat()),
        ("Warehouse", f.warehouse or NONE),
        ("Generated", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
    ]
    meta_html = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in meta)
    nav = "".join(
        f'<a href="#{i}">{escape(t)}</a>'
        for i, t in (
            ("totals", "Totals by purchaser"),
            ("billing", "Billing trend"),
            ("delivery", "Delivery progress"),
            ("closure", "Closure"),
            ("quality", "Data quality"),
            ("files", "Files"),
        )
    )
    body = "".join(
        [
            kpis(f),
            totals_section(f, charts.get("purchaser-totals")),
            billing_section(f, charts.get("billing-trend")),
            delivery_section(f, charts.get("delivery-progress")),
            closure_section(
                f,
                charts.get("closure-funnel"),
                charts.get("funds-locked"),
                charts.get("closure-blockers"),
            ),
            quality_section(f, charts.get("data-quality"), files),
            details_table(f),
            files_section(files),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(heading)}</title><style>{STYLE}</style></head><body>"
        '<header class="masthead"><div class="eyebrow">FMS finance · run report</div>'
        f'<h1>{escape(heading)}</h1><dl class="meta">{meta_html}</dl></header>'
        f"<nav>{nav}</nav><main>{body}</main>"
        "<footer>Amounts in US dollars, exact to the cent (DECIMAL in the warehouse, printed "
        "from Decimal). Charts round for display; the tables carry the exact figures.</footer>"
        "</body></html>\n"
    )
