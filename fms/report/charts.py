"""The run report's charts: matplotlib figures rendered to PNG and embedded as data URIs, so the
page needs no network, no CDN and no Prefect to be read.

Charts are pictures: matplotlib turns the Decimal bar lengths into its own floats to draw them.
Every figure a person reads as a number (tables, bar labels, alt text) is printed from the
Decimal itself by fms.formatting.

A chart with nothing to draw (no rows, or every amount zero) is None, never an empty frame with
made-up axes: the page says so in a sentence instead. matplotlib is imported only when a chart
is drawn (its import costs about half a second, paid by every process that imports the flows).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from fms.formatting import count, dollars, share, short_dollars

DPI = 144
# Inches, chosen so that 9-point text shows at about 12 px on the page: a full-width chart
# is shown about 1,070 px wide, a half-width one (two side by side) about 520 px.
WIDTH = 11.0
HALF_WIDTH = 5.4
NAVY = "#1d3557"
BLUE = "#457b9d"
TEAL = "#2a9d8f"
AMBER = "#e9a23b"
RED = "#c0392b"
PALE = "#cfdbe6"
INK = "#243447"
MUTED = "#6b7785"
GRID = "#e3e8ee"
MAX_BARS = 12  # purchasers per chart; the tables list every one


@dataclass(frozen=True)
class Chart:
    """One chart: `key` names it on the page (data-chart attribute), `alt` describes it."""

    key: str
    title: str
    alt: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def money_scale(values: Iterable[Decimal]) -> tuple[Decimal, str]:
    """The unit an axis of these amounts reads best in: (divisor, axis label)."""
    top = max((abs(v) for v in values if v is not None), default=Decimal(0))
    for unit, label in (
        (Decimal("1e9"), "US$ billions"),
        (Decimal("1e6"), "US$ millions"),
        (Decimal("1e3"), "US$ thousands"),
    ):
        if top >= unit:
            return unit, label
    return Decimal(1), "US$"


def _scaled(values: Sequence[Decimal | None], unit: Decimal) -> list[Decimal]:
    return [(v or Decimal(0)) / unit for v in values]


def _axis_number(value, _position) -> str:
    # A tick position (matplotlib's float) in the axis unit: display only, never money maths.
    return f"{value:,g}"


def _any(values: Iterable[Decimal | int | None]) -> bool:
    """Whether there is anything to draw: some value neither None nor zero."""
    return any(v for v in values)


def _figure(height: float, width: float = WIDTH, **grid):
    """A figure of white, half-framed axes (`grid`: fig.subplots' layout, one axes by default)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(**grid)
    for ax in getattr(axes, "flat", [axes]):
        ax.set_facecolor("white")
        ax.spines[["top", "right"]].set_visible(False)
        ax.spines[["left", "bottom"]].set_color("#b8c2cc")
        ax.tick_params(colors=INK, labelsize=9, length=0)
        ax.set_axisbelow(True)
    return fig, axes


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    # No metadata: the same figures give the same bytes (and no software URL in the page).
    fig.savefig(buffer, format="png", facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _value_axis(ax, label: str, axis: str = "x", *, money: bool = True) -> None:
    """The axis bars are measured on: ticks in the unit `label` names (money) or whole numbers
    (counts), and grid lines."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ticks = getattr(ax, f"{axis}axis")
    if money:
        ticks.set_major_formatter(FuncFormatter(_axis_number))
    else:
        ticks.set_major_locator(MaxNLocator(integer=True))
    getattr(ax, f"set_{axis}label")(label, color=MUTED, fontsize=9)
    ax.grid(axis=axis, color=GRID)


def _legend(ax, columns: int) -> None:
    """The legend in rows above the plot, bars before lines (matplotlib lists lines first)."""
    from matplotlib.lines import Line2D

    handles, names = ax.get_legend_handles_labels()
    entries = sorted(zip(handles, names, strict=True), key=lambda e: isinstance(e[0], Line2D))
    ax.legend(
        [handle for handle, _ in entries],
        [name for _, name in entries],
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncols=columns,
        frameon=False,
        fontsize=9,
        handlelength=1.2,
        borderaxespad=0,
    )


def _stacked_bars(ax, height: float, segments: list[tuple[list, str, str]]):
    """Horizontal bars, one per row, stacked left to right from (values, colour, legend label)
    segments; returns the last segment's bars."""
    left = [0] * len(segments[0][0])
    for values, color, label in segments:
        bars = ax.barh(range(len(left)), values, left=left, height=height, color=color, label=label)
        left = [a + b for a, b in zip(left, values, strict=True)]
    return bars


def _purchaser_label(row: dict) -> str:
    name = row.get("purchaser_name") or row["country_code"]
    name = name if len(name) <= 22 else name[:21] + "…"
    return f"{row['country_code']}  {name}" if name != row["country_code"] else name


def _portfolio_panel(ax, rows: list[dict]) -> None:
    """Case value and collections of each purchaser, grouped bars."""
    ys = range(len(rows))
    unit, unit_label = money_scale(r[c] for r in rows for c in ("case_value", "collections"))
    height = 0.38
    for shift, column, color, label in (
        (height / 2, "case_value", NAVY, "Case value"),
        (-height / 2, "collections", TEAL, "Collections received"),
    ):
        values = _scaled([r[column] for r in rows], unit)
        ax.barh([y + shift for y in ys], values, height=height, color=color, label=label)
    _value_axis(ax, unit_label)
    _legend(ax, 2)


def _amount_due_panel(ax, rows: list[dict]) -> None:
    """The amount due on each purchaser's latest statement, labelled."""
    due_unit, due_label = money_scale(r["amount_due"] for r in rows)
    dues = _scaled([r["amount_due"] for r in rows], due_unit)
    bars = ax.barh(
        range(len(rows)), dues, height=0.6, color=AMBER, label="Amount due, latest statement"
    )
    printed = [short_dollars(r["amount_due"]) if r["amount_due"] else "" for r in rows]
    ax.bar_label(bars, labels=printed, padding=3, fontsize=8, color=INK)
    _value_axis(ax, due_label)
    ax.margins(x=0.22)
    _legend(ax, 1)


# The purchaser totals chart's panels: how to draw one, its share of the width, the columns it
# draws, and what it shows (alt text).
PURCHASER_PANELS = (
    (_portfolio_panel, 1.7, ("case_value", "collections"), "case value and collections received"),
    (_amount_due_panel, 1, ("amount_due",), "the amount due on the latest statement"),
)


def purchaser_totals_chart(purchasers: list[dict]) -> Chart | None:
    """Case value and collections of the largest purchasers (grouped bars) beside the amount
    due on their latest statements (its own scale: a quarter's bill is far smaller). A panel
    with nothing to draw (no statement published yet) is left out."""
    rows = sorted(purchasers, key=lambda r: r["case_value"], reverse=True)[:MAX_BARS]
    panels = [p for p in PURCHASER_PANELS if _any(r[c] for r in rows for c in p[2])]
    if not panels:
        return None
    rows.reverse()  # largest at the top of a horizontal chart
    fig, axes = _figure(
        1.2 + 0.46 * len(rows),
        ncols=len(panels),
        sharey=True,
        squeeze=False,
        width_ratios=[ratio for _, ratio, _, _ in panels],
    )
    for ax, (draw, _, _, _) in zip(axes[0], panels, strict=True):
        draw(ax, rows)
    axes[0][0].set_yticks(range(len(rows)), [_purchaser_label(r) for r in rows])
    top = rows[-1]
    alt = (
        f"Horizontal bar charts of {' and '.join(what for *_, what in panels)} for {len(rows)} "
        f"purchasers; the largest case value is {_purchaser_label(top).strip()} at "
        f"{dollars(top['case_value'])}."
    )
    return Chart("purchaser-totals", "Case value, collections and amount due", alt, _png(fig))


def billing_trend_chart(quarters: list[dict]) -> Chart | None:
    """Amount due billed per quarter ended vs collections received in it, arrearage as a line."""
    billed = any(q["statements"] for q in quarters)
    columns = ("collections", "amount_due", "arrearage") if billed else ("collections",)
    if not _any(q[c] for q in quarters for c in columns):
        return None
    labels = [q["quarter"] + ("\n(to date)" if q["to_date"] else "") for q in quarters]
    unit, unit_label = money_scale(q[c] for q in quarters for c in columns)
    fig, ax = _figure(3.6)
    xs = range(len(quarters))
    width = 0.38 if billed else 0.6
    if billed:
        due = _scaled([q["amount_due"] for q in quarters], unit)
        at = [x - width / 2 for x in xs]
        ax.bar(at, due, width=width, color=AMBER, label="Amount due on the quarter's statements")
    collected = _scaled([q["collections"] for q in quarters], unit)
    at = [x + width / 2 for x in xs] if billed else list(xs)
    ax.bar(at, collected, width=width, color=TEAL, label="Collections received in the quarter")
    if billed:
        with_statements = [(x, q) for x, q in zip(xs, quarters, strict=True) if q["statements"]]
        ax.plot(
            [x for x, _ in with_statements],
            _scaled([q["arrearage"] for _, q in with_statements], unit),
            color=RED,
            marker="o",
            linewidth=2,
            label="Arrearage (unpaid from earlier statements)",
        )
    ax.set_xticks(list(xs), labels)
    _value_axis(ax, unit_label, "y")
    _legend(ax, 3)
    first, last = quarters[0]["quarter"], quarters[-1]["quarter"]
    if billed:
        latest = [q for q in quarters if q["statements"]][-1]
        alt = (
            f"Bar chart by quarter, {first} to {last}: amount due billed on each quarter's "
            f"statements, collections received and arrearage; the latest statements "
            f"({latest['quarter']}) bill {dollars(latest['amount_due'])}."
        )
    else:
        received = sum((q["collections"] for q in quarters), Decimal(0))
        alt = (
            f"Bar chart of collections received by quarter, {first} to {last} (no billing "
            f"statements published): {dollars(received)} in all."
        )
    return Chart("billing-trend", "Billing trend by quarter", alt, _png(fig))


def delivery_progress_chart(delivery: list[dict]) -> Chart | None:
    """Delivered and undelivered value of each purchaser's open cases (stacked bars)."""
    rows = delivery[:MAX_BARS]  # most undelivered value first (the table's order)
    if not _any(r[c] for r in rows for c in ("delivered_value", "undelivered_value")):
        return None
    rows = list(reversed(rows))
    unit, unit_label = money_scale(r["delivered_value"] + r["undelivered_value"] for r in rows)
    fig, ax = _figure(1.2 + 0.42 * len(rows))
    delivered = _scaled([r["delivered_value"] for r in rows], unit)
    undelivered = _scaled([r["undelivered_value"] for r in rows], unit)
    segments = [(delivered, TEAL, "Delivered"), (undelivered, PALE, "Undelivered")]
    bars = _stacked_bars(ax, 0.62, segments)
    shares = [
        share(r["delivered_value"], r["delivered_value"] + r["undelivered_value"]) + " delivered"
        for r in rows
    ]
    ax.bar_label(bars, labels=shares, padding=4, fontsize=8, color=MUTED)
    ax.set_yticks(range(len(rows)), [_purchaser_label(r) for r in rows])
    _value_axis(ax, unit_label)
    ax.margins(x=0.16)
    _legend(ax, 2)
    delivered_total = sum((r["delivered_value"] for r in rows), Decimal(0))
    undelivered_total = sum((r["undelivered_value"] for r in rows), Decimal(0))
    alt = (
        f"Stacked bar chart of delivered and undelivered value for {len(rows)} purchasers: "
        f"{dollars(delivered_total)} delivered, {dollars(undelivered_total)} still to deliver."
    )
    return Chart("delivery-progress", "Delivery progress by purchaser", alt, _png(fig))


FUNNEL_STAGES = (
    ("in_scope", "Implemented or SSC\n(in closure scope)", NAVY),
    ("ssc", "Supply/services\ncomplete", BLUE),
    ("ready", "Ready to close\n(no blockers)", AMBER),
    ("overdue_ready", "Ready and overdue\n(SSC > 12 months)", RED),
)


def closure_funnel_chart(funnel: dict | None) -> Chart | None:
    """Cases in scope -> SSC -> ready -> ready and overdue, as a centred funnel."""
    if not funnel or not funnel["in_scope"]:
        return None
    widest = funnel["in_scope"]
    fig, ax = _figure(2.6, HALF_WIDTH)
    stages = list(reversed(FUNNEL_STAGES))
    for y, (column, _label, color) in enumerate(stages):
        n = funnel[column]
        # Counts of cases, centred on the widest stage (a drawing offset, not money).
        ax.barh(y, max(n, widest * 0.004), left=(widest - n) / 2, height=0.72, color=color)
        inside = n >= widest * 0.25  # room for the label inside the bar
        ax.text(
            widest / 2 if inside else (widest + n) / 2 + widest * 0.02,
            y,
            f"{count(n)} case{'s' if n != 1 else ''}",
            ha="center" if inside else "left",
            va="center",
            fontsize=10,
            color="white" if inside else INK,
            fontweight="bold",
        )
    ax.set_yticks(range(len(stages)), [label for _, label, _ in stages])
    ax.set_xticks([])
    ax.spines[["bottom", "left"]].set_visible(False)
    ax.set_xlim(0, widest)
    alt = (
        f"Closure funnel: {count(funnel['in_scope'])} cases in closure scope, "
        f"{count(funnel['ssc'])} supply/services complete, {count(funnel['ready'])} ready to "
        f"close, {count(funnel['overdue_ready'])} of them overdue (SSC more than 12 months ago)."
    )
    return Chart("closure-funnel", "Closure funnel", alt, _png(fig))


def funds_locked_chart(closure_by_purchaser: list[dict]) -> Chart | None:
    """Funds locked in ready cases per purchaser, overdue cases' share in red, exact labels."""
    rows = [r for r in closure_by_purchaser if r["funds_locked_in_ready_cases"] > 0][:MAX_BARS]
    if not rows:
        return None
    rows.reverse()
    unit, unit_label = money_scale(r["funds_locked_in_ready_cases"] for r in rows)
    fig, ax = _figure(1.2 + 0.42 * len(rows))
    overdue = [r["funds_locked_in_overdue_ready_cases"] for r in rows]
    recent = [r["funds_locked_in_ready_cases"] - o for r, o in zip(rows, overdue, strict=True)]
    bars = _stacked_bars(
        ax,
        0.62,
        [
            (_scaled(overdue, unit), RED, "In cases overdue for closure (SSC > 12 months)"),
            (_scaled(recent, unit), AMBER, "In other ready cases"),
        ],
    )
    locked = [dollars(r["funds_locked_in_ready_cases"]) for r in rows]
    ax.bar_label(bars, labels=locked, padding=4, fontsize=8, color=INK)
    ax.set_yticks(range(len(rows)), [_purchaser_label(r) for r in rows])
    _value_axis(ax, unit_label)
    ax.margins(x=0.3)
    _legend(ax, 2)
    total = sum((r["funds_locked_in_ready_cases"] for r in rows), Decimal(0))
    top = rows[-1]
    alt = (
        f"Bar chart of funds locked in cases ready to close, {len(rows)} purchasers, "
        f"{dollars(total)} in all; the most is {_purchaser_label(top).strip()} at "
        f"{dollars(top['funds_locked_in_ready_cases'])}."
    )
    return Chart("funds-locked", "Funds locked in closable cases", alt, _png(fig))


def blockers_chart(blockers: list[dict]) -> Chart | None:
    """Cases held open by each blocker code (a case may have several)."""
    if not _any(r["cases"] for r in blockers):
        return None
    rows = list(reversed(blockers))
    fig, ax = _figure(0.9 + 0.3 * len(rows), HALF_WIDTH)
    bars = ax.barh(range(len(rows)), [r["cases"] for r in rows], height=0.6, color=BLUE)
    ax.bar_label(bars, labels=[count(r["cases"]) for r in rows], padding=4, fontsize=8, color=INK)
    ax.set_yticks(range(len(rows)), [r["code"] for r in rows])
    _value_axis(ax, "cases blocked", money=False)
    ax.margins(x=0.1)
    alt = (
        "Bar chart of cases blocked per blocker code: "
        + ", ".join(f"{r['code']} {count(r['cases'])}" for r in blockers)
        + "."
    )
    return Chart("closure-blockers", "What keeps cases open", alt, _png(fig))


def data_quality_chart(stages: list[dict]) -> Chart | None:
    """Expectations passed, warned and failed at each gate stage (stacked bars)."""
    if not _any(r["expectations"] for r in stages):
        return None
    rows = list(reversed(stages))
    fig, ax = _figure(0.9 + 0.45 * len(rows), HALF_WIDTH)
    outcomes = (
        ("passed", "Passed", TEAL),
        ("warnings", "Warnings", AMBER),
        ("critical_failures", "Critical failures", RED),
    )
    _stacked_bars(ax, 0.55, [([r[c] for r in rows], color, label) for c, label, color in outcomes])
    ax.set_yticks(range(len(rows)), [f"{r['stage']} gate" for r in rows])
    _value_axis(ax, "expectations", money=False)
    _legend(ax, 3)
    alt = (
        "Stacked bar chart of expectations per gate stage: "
        + "; ".join(
            f"{r['stage']}: {count(r['passed'])} passed, {count(r['warnings'])} warnings, "
            f"{count(r['critical_failures'])} critical failures"
            for r in stages
        )
        + "."
    )
    return Chart("data-quality", "Data-quality gates", alt, _png(fig))
