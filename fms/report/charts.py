"""The run report's charts, as SVG shapes the page's template writes out (`macros.html.j2`,
`figure`): no picture library to import, nothing fetched, text that prints sharp and can be
selected, and the same figures give the same bytes.

Charts are pictures: a bar's length is a float of pixels. Every figure a person reads as a
number (tables, bar labels, tooltips, the description) is printed from the Decimal itself by
fms.formatting.

A chart with nothing to draw (no rows, or every amount zero) is None, never an empty frame with
made-up axes: the page says so in a sentence instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from fms.formatting import count, dollars, share, short_dollars

# viewBox widths: a chart across the page (shown ~1,070 px wide) and one of two side by side
# (~520 px); font sizes are in the same units, so text shows at about its size in pixels.
WIDTH = 1000
HALF_WIDTH = 500
MAX_BARS = 12  # purchasers per chart; the tables list every one
ROW = 30  # height of one bar's row
LEGEND = 26  # height of the legend above a plot
AXIS = 40  # height of the tick labels and axis label below a plot


@dataclass(frozen=True)
class Shape:
    """One SVG element: `tag` (rect, text, line, polyline, circle), its attributes, the text of
    a <text>, and `tip`, the exact figure a pointer over it shows (an SVG <title>)."""

    tag: str
    attrs: dict[str, str]
    text: str = ""
    tip: str = ""


@dataclass
class Chart:
    """One chart: `key` names it on the page (data-chart attribute), `alt` describes it."""

    key: str
    title: str
    alt: str
    width: int
    height: float
    shapes: list[Shape] = field(default_factory=list)

    def add(self, tag: str, css: str, text: str = "", tip: str = "", **attrs: object) -> None:
        """A shape of CSS class `css` (run_report.css colours it); `text_anchor` is written
        `text-anchor`, a float to a tenth of a unit."""

        def value(v: object) -> str:
            return f"{v:.1f}" if isinstance(v, float) else str(v)

        written = {k.replace("_", "-"): value(v) for k, v in attrs.items()} | {"class": css}
        self.shapes.append(Shape(tag, written, text, tip))

    def rect(self, x: float, y: float, w: float, h: float, css: str, tip: str = "") -> None:
        self.add("rect", css, tip=tip, x=x, y=y, width=max(w, 0.0), height=h)

    def text(self, x: float, y: float, text: str, css: str = "label", anchor: str = "start"):
        self.add("text", css, text, x=x, y=y, text_anchor=anchor)

    def line(self, x1: float, y1: float, x2: float, y2: float, css: str = "grid") -> None:
        self.add("line", css, x1=x1, y1=y1, x2=x2, y2=y2)


@dataclass(frozen=True)
class Axis:
    """A value axis from `low` (0, or below it for a credit) to `top`, in the unit `label`
    names, ticked at `ticks`."""

    low: float
    top: float
    ticks: list[float]
    label: str
    divisor: Decimal = Decimal(1)

    def at(self, value: Decimal | int | None, length: float) -> float:
        """How far along an axis `length` long the value lies."""
        return self.tick_at(float(Decimal(value or 0) / self.divisor), length)

    def tick_at(self, tick: float, length: float) -> float:
        """The same for a tick, already in the axis unit."""
        return length * (tick - self.low) / (self.top - self.low)


def money_scale(values: Iterable[Decimal | None]) -> tuple[Decimal, str]:
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


def _nice_ticks(low: float, top: float, whole: bool) -> list[float]:
    """Round steps (1, 2, 2.5 or 5 times a power of ten), about five, from at or below `low`
    (0 unless negative) to at or above `top`."""
    low, top = min(low, 0.0), max(top, 0.0)
    raw = (top - low) / 5 or 1.0
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = max(1, math.ceil(step))
    first, last = math.floor(low / step + 1e-9), math.ceil(top / step - 1e-9)
    return [i * step for i in range(first, max(last, first + 1) + 1)]


def money_axis(values: Iterable[Decimal | None]) -> Axis:
    values = [v or Decimal(0) for v in values]
    divisor, label = money_scale(values)
    ticks = _nice_ticks(float(min(values) / divisor), float(max(values) / divisor), whole=False)
    return Axis(ticks[0], ticks[-1], ticks, label, divisor)


def count_axis(values: Iterable[int], label: str) -> Axis:
    ticks = _nice_ticks(0.0, float(max(values)), whole=True)
    return Axis(ticks[0], ticks[-1], ticks, label)


def _tick(value: float) -> str:
    return f"{value:,g}"


def _any(values: Iterable[Decimal | int | None]) -> bool:
    """Whether there is anything to draw: some value neither None nor zero."""
    return any(v for v in values)


def _purchaser_label(row: dict) -> str:
    name = row.get("purchaser_name") or row["country_code"]
    name = name if len(name) <= 22 else name[:21] + "…"
    return f"{row['country_code']}  {name}" if name != row["country_code"] else name


def _text_width(text: str) -> float:
    """About how wide 11.5-unit text is (capitals and digits are wider): room to reserve."""
    return sum(8.0 if c.isupper() or c.isdigit() else 6.2 for c in text)


def _label_room(labels: Sequence[str]) -> float:
    return 14 + max(_text_width(line) for label in labels for line in label.split("\n"))


def _legend(chart: Chart, x: float, y: float, entries: Sequence[tuple[str, str]]) -> None:
    """Colour swatches with their names in one row, left to right from (x, y)."""
    for css, name in entries:
        chart.rect(x, y - 9, 12, 12, css)
        chart.text(x + 17, y + 1, name, "legend")
        x += 17 + _text_width(name) + 22


def _row_labels(chart: Chart, right: float, top: float, labels: Sequence[str]) -> None:
    """Each row's label, right-aligned before the plot (a line per "\\n")."""
    for i, label in enumerate(labels):
        lines = label.split("\n")
        middle = top + ROW * i + ROW / 2 + 4
        for j, line in enumerate(lines):
            chart.text(right - 8, middle + 13 * (j - (len(lines) - 1) / 2), line, anchor="end")


def _value_axis_below(
    chart: Chart, left: float, length: float, top: float, bottom: float, axis: Axis
) -> None:
    """Grid lines up the plot at each tick, the tick values and the axis unit below it."""
    for tick in axis.ticks:
        x = left + axis.tick_at(tick, length)
        chart.line(x, top, x, bottom)
        chart.text(x, bottom + 15, _tick(tick), "tick", "middle")
    zero = left + axis.at(0, length)
    chart.line(zero, top, zero, bottom, "axis")
    chart.text(left + length / 2, bottom + 33, axis.label, "axis-label", "middle")


@dataclass(frozen=True)
class Segment:
    """One piece of a horizontal bar: its value, colour (CSS class) and tooltip."""

    value: Decimal | int
    css: str
    tip: str


def _bar_rows(
    chart: Chart,
    left: float,
    length: float,
    top: float,
    axis: Axis,
    rows: Sequence[Sequence[Sequence[Segment]]],
    end_labels: Sequence[str] = (),
    thickness: float = 0.62,
) -> None:
    """rows -> tracks -> segments: a row's tracks are side by side (grouped bars), a track's
    segments end to end (stacked bars); `end_labels` are printed after each row's longest."""
    for i, tracks in enumerate(rows):
        band = ROW * thickness / len(tracks)
        y = top + ROW * i + ROW * (1 - thickness) / 2
        end = axis.at(0, length)
        for track in tracks:
            total = Decimal(0)
            for segment in track:
                start, total = total, total + segment.value
                a, b = sorted((axis.at(start, length), axis.at(total, length)))
                chart.rect(left + a, y, b - a, band - 1, segment.css, segment.tip)
                end = max(end, b)
            y += band
        if end_labels and end_labels[i]:
            chart.text(left + end + 5, top + ROW * i + ROW / 2 + 4, end_labels[i], "value")


@dataclass(frozen=True)
class Panel:
    """One plot of a bar chart (a chart may set panels side by side over the same rows): its
    axis, its bars (rows -> tracks -> segments), the labels after them, its legend, and its
    share of the width."""

    axis: Axis
    rows: list[list[list[Segment]]]
    end_labels: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    share: float = 1.0
    thickness: float = 0.62

    @property
    def end_room(self) -> float:
        return 10 + max(map(_text_width, self.end_labels)) if self.end_labels else 0.0


PANEL_GAP = 36


def _bar_chart(
    key: str, title: str, alt: str, labels: list[str], width: int, panels: list[Panel]
) -> Chart:
    """Horizontal bars, a row per label, in one or more panels side by side."""
    top = LEGEND + 4 if any(p.legend for p in panels) else 6
    left = _label_room(labels)
    bottom = top + ROW * len(labels)
    chart = Chart(key, title, alt, width, bottom + AXIS)
    _row_labels(chart, left, top, labels)
    space = width - left - 10 - sum(p.end_room for p in panels) - PANEL_GAP * (len(panels) - 1)
    x = left
    for panel in panels:
        length = space * panel.share / sum(p.share for p in panels)
        _value_axis_below(chart, x, length, top, bottom, panel.axis)
        _bar_rows(chart, x, length, top, panel.axis, panel.rows, panel.end_labels, panel.thickness)
        _legend(chart, x, 14, panel.legend)
        x += length + panel.end_room + PANEL_GAP
    return chart


def _portfolio_panel(rows: list[dict]) -> Panel:
    """Case value and collections of each purchaser, grouped bars."""
    return Panel(
        money_axis(r[c] for r in rows for c in ("case_value", "collections")),
        [
            [
                [Segment(r["case_value"], "navy", f"Case value {dollars(r['case_value'])}")],
                [Segment(r["collections"], "teal", f"Collected {dollars(r['collections'])}")],
            ]
            for r in rows
        ],
        legend=[("navy", "Case value"), ("teal", "Collections received")],
        share=1.7,
        thickness=0.76,
    )


def _amount_due_panel(rows: list[dict]) -> Panel:
    """The amount due on each purchaser's latest statement, labelled."""
    return Panel(
        money_axis(r["amount_due"] for r in rows),
        [
            [[Segment(r["amount_due"] or 0, "amber", f"Due {dollars(r['amount_due'])}")]]
            for r in rows
        ],
        [short_dollars(r["amount_due"]) if r["amount_due"] else "" for r in rows],
        [("amber", "Amount due, latest statement")],
    )


# The purchaser totals chart's panels: how to build one, the columns it draws, what it shows.
PURCHASER_PANELS = (
    (_portfolio_panel, ("case_value", "collections"), "case value and collections received"),
    (_amount_due_panel, ("amount_due",), "the amount due on the latest statement"),
)


def purchaser_totals_chart(purchasers: list[dict]) -> Chart | None:
    """Case value and collections of the largest purchasers (grouped bars) beside the amount
    due on their latest statements (its own scale: a quarter's bill is far smaller). A panel
    with nothing to draw (no statement published yet) is left out."""
    rows = sorted(purchasers, key=lambda r: r["case_value"], reverse=True)[:MAX_BARS]
    shown = [p for p in PURCHASER_PANELS if _any(r[c] for r in rows for c in p[1])]
    if not shown:
        return None
    largest = rows[0]
    alt = (
        f"Horizontal bar charts of {' and '.join(what for *_, what in shown)} for {len(rows)} "
        f"purchasers; the largest case value is {_purchaser_label(largest).strip()} at "
        f"{dollars(largest['case_value'])}."
    )
    return _bar_chart(
        "purchaser-totals",
        "Case value, collections and amount due",
        alt,
        [_purchaser_label(r) for r in rows],
        WIDTH,
        [build(rows) for build, _, _ in shown],
    )


def billing_trend_chart(quarters: list[dict]) -> Chart | None:
    """Amount due billed per quarter ended vs collections received in it, arrearage as a line."""
    billed = any(q["statements"] for q in quarters)
    columns = ("collections", "amount_due", "arrearage") if billed else ("collections",)
    if not _any(q[c] for q in quarters for c in columns):
        return None
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
    axis = money_axis(q[c] or Decimal(0) for q in quarters for c in columns)
    height, top, left, right = 330, LEGEND + 10, 70, 10
    bottom = height - 44
    chart = Chart("billing-trend", "Billing trend by quarter", alt, WIDTH, height)
    legend = [("teal", "Collections received in the quarter")]
    if billed:
        legend = [
            ("amber", "Amount due on the quarter's statements"),
            *legend,
            ("red", "Arrearage (unpaid from earlier statements)"),
        ]
    _legend(chart, left, 14, legend)
    plot = bottom - top
    for tick in axis.ticks:
        y = bottom - axis.tick_at(tick, plot)
        chart.line(left, y, WIDTH - right, y)
        chart.text(left - 8, y + 4, _tick(tick), "tick", "end")
    middle = top + plot / 2
    chart.add(
        "text",
        "axis-label",
        axis.label,
        x=16,
        y=middle,
        transform=f"rotate(-90 16 {middle:.1f})",
        text_anchor="middle",
    )
    step = (WIDTH - right - left) / len(quarters)
    bar = step * (0.36 if billed else 0.56)
    points = []
    for i, q in enumerate(quarters):
        middle = left + step * (i + 0.5)
        bars = [("amber", q["amount_due"], "Due"), ("teal", q["collections"], "Collected")]
        bars = bars if billed else bars[1:]
        x = middle - bar * len(bars) / 2
        for css, amount, what in bars:
            a, b = sorted((axis.at(0, plot), axis.at(amount, plot)))
            tip = f"{q['quarter']}: {what} {dollars(amount)}"
            chart.rect(x, bottom - b, bar - 1, b - a, css, tip)
            x += bar
        chart.text(middle, bottom + 16, q["quarter"], "tick", "middle")
        if q["to_date"]:
            chart.text(middle, bottom + 30, "(to date)", "tick", "middle")
        if billed and q["statements"]:
            points.append((middle, bottom - axis.at(q["arrearage"], plot), q))
    zero = bottom - axis.at(0, plot)
    chart.line(left, zero, WIDTH - right, zero, "axis")
    if points:
        chart.add("polyline", "trend", points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points))
        for x, y, q in points:
            tip = f"{q['quarter']}: arrearage {dollars(q['arrearage'])}"
            chart.add("circle", "red", tip=tip, cx=x, cy=y, r=4.0)
    return chart


def delivery_progress_chart(delivery: list[dict]) -> Chart | None:
    """Delivered and undelivered value of each purchaser's open cases (stacked bars)."""
    rows = delivery[:MAX_BARS]  # most undelivered value first (the table's order)
    if not _any(r[c] for r in rows for c in ("delivered_value", "undelivered_value")):
        return None
    delivered_total = sum((r["delivered_value"] for r in rows), Decimal(0))
    undelivered_total = sum((r["undelivered_value"] for r in rows), Decimal(0))
    alt = (
        f"Stacked bar chart of delivered and undelivered value for {len(rows)} purchasers: "
        f"{dollars(delivered_total)} delivered, {dollars(undelivered_total)} still to deliver."
    )
    tracks = [
        [
            [
                Segment(r["delivered_value"], "teal", f"Delivered {dollars(r['delivered_value'])}"),
                Segment(
                    r["undelivered_value"], "pale", f"Undelivered {dollars(r['undelivered_value'])}"
                ),
            ]
        ]
        for r in rows
    ]
    shares = [
        share(r["delivered_value"], r["delivered_value"] + r["undelivered_value"]) + " delivered"
        for r in rows
    ]
    axis = money_axis(r["delivered_value"] + r["undelivered_value"] for r in rows)
    legend = [("teal", "Delivered"), ("pale", "Undelivered")]
    return _bar_chart(
        "delivery-progress",
        "Delivery progress by purchaser",
        alt,
        [_purchaser_label(r) for r in rows],
        WIDTH,
        [Panel(axis, tracks, shares, legend)],
    )


FUNNEL_STAGES = (
    ("in_scope", "Implemented or SSC\n(in closure scope)", "navy"),
    ("ssc", "Supply/services\ncomplete", "blue"),
    ("ready", "Ready to close\n(no blockers)", "amber"),
    ("overdue_ready", "Ready and overdue\n(SSC > 12 months)", "red"),
)


def closure_funnel_chart(funnel: dict | None) -> Chart | None:
    """Cases in scope -> SSC -> ready -> ready and overdue, as a centred funnel."""
    if not funnel or not funnel["in_scope"]:
        return None
    alt = (
        f"Closure funnel: {count(funnel['in_scope'])} cases in closure scope, "
        f"{count(funnel['ssc'])} supply/services complete, {count(funnel['ready'])} ready to "
        f"close, {count(funnel['overdue_ready'])} of them overdue (SSC more than 12 months ago)."
    )
    labels = [label for _, label, _ in FUNNEL_STAGES]
    left = _label_room(labels)
    row = ROW * 1.4
    chart = Chart("closure-funnel", "Closure funnel", alt, HALF_WIDTH, row * len(labels) + 12)
    length = HALF_WIDTH - left - 10
    widest = funnel["in_scope"]
    for i, (column, label, css) in enumerate(FUNNEL_STAGES):
        n = funnel[column]
        width = max(length * n / widest, 2.0)  # a stage of 0 still shows where it is
        y = 6 + row * i
        middle = y + row / 2 + 4
        chart.rect(left + (length - width) / 2, y + 4, width, row - 8, css, f"{count(n)} cases")
        lines = label.split("\n")
        for j, line in enumerate(lines):
            chart.text(left - 8, middle + 13 * (j - (len(lines) - 1) / 2), line, anchor="end")
        text = f"{count(n)} case{'s' if n != 1 else ''}"
        if n >= widest * 0.25:  # room for the label inside the bar
            chart.text(left + length / 2, middle, text, "inside", "middle")
        else:
            chart.text(left + (length + width) / 2 + 6, middle, text, "value")
    return chart


def funds_locked_chart(closure_by_purchaser: list[dict]) -> Chart | None:
    """Funds locked in ready cases per purchaser, overdue cases' share in red, exact labels."""
    rows = [r for r in closure_by_purchaser if r["funds_locked_in_ready_cases"] > 0][:MAX_BARS]
    if not rows:
        return None
    total = sum((r["funds_locked_in_ready_cases"] for r in rows), Decimal(0))
    most = rows[0]
    alt = (
        f"Bar chart of funds locked in cases ready to close, {len(rows)} purchasers, "
        f"{dollars(total)} in all; the most is {_purchaser_label(most).strip()} at "
        f"{dollars(most['funds_locked_in_ready_cases'])}."
    )
    tracks = []
    for r in rows:
        overdue = r["funds_locked_in_overdue_ready_cases"]
        recent = r["funds_locked_in_ready_cases"] - overdue
        tracks.append(
            [
                [
                    Segment(overdue, "red", f"In overdue cases {dollars(overdue)}"),
                    Segment(recent, "amber", f"In other ready cases {dollars(recent)}"),
                ]
            ]
        )
    panel = Panel(
        money_axis(r["funds_locked_in_ready_cases"] for r in rows),
        tracks,
        [dollars(r["funds_locked_in_ready_cases"]) for r in rows],
        [
            ("red", "In cases overdue for closure (SSC > 12 months)"),
            ("amber", "In other ready cases"),
        ],
    )
    labels = [_purchaser_label(r) for r in rows]
    return _bar_chart("funds-locked", "Funds locked in closable cases", alt, labels, WIDTH, [panel])


def blockers_chart(blockers: list[dict]) -> Chart | None:
    """Cases held open by each blocker code (a case may have several)."""
    if not _any(r["cases"] for r in blockers):
        return None
    alt = (
        "Bar chart of cases blocked per blocker code: "
        + ", ".join(f"{r['code']} {count(r['cases'])}" for r in blockers)
        + "."
    )
    panel = Panel(
        count_axis((r["cases"] for r in blockers), "cases blocked"),
        [[[Segment(r["cases"], "blue", f"{count(r['cases'])} cases")]] for r in blockers],
        [count(r["cases"]) for r in blockers],
    )
    labels = [r["code"] for r in blockers]
    return _bar_chart("closure-blockers", "What keeps cases open", alt, labels, HALF_WIDTH, [panel])


DATA_QUALITY_OUTCOMES = (
    ("passed", "Passed", "teal"),
    ("warnings", "Warnings", "amber"),
    ("critical_failures", "Critical failures", "red"),
)


def data_quality_chart(stages: list[dict]) -> Chart | None:
    """Expectations passed, warned and failed at each gate stage (stacked bars)."""
    if not _any(r["expectations"] for r in stages):
        return None
    alt = (
        "Stacked bar chart of expectations per gate stage: "
        + "; ".join(
            f"{r['stage']}: {count(r['passed'])} passed, {count(r['warnings'])} warnings, "
            f"{count(r['critical_failures'])} critical failures"
            for r in stages
        )
        + "."
    )
    panel = Panel(
        count_axis(
            (sum(r[c] for c, _, _ in DATA_QUALITY_OUTCOMES) for r in stages), "expectations"
        ),
        [
            [
                [
                    Segment(r[c], css, f"{label}: {count(r[c])}")
                    for c, label, css in DATA_QUALITY_OUTCOMES
                ]
            ]
            for r in stages
        ],
        legend=[(css, label) for _, label, css in DATA_QUALITY_OUTCOMES],
        thickness=0.55,
    )
    labels = [f"{r['stage']} gate" for r in stages]
    return _bar_chart("data-quality", "Data-quality gates", alt, labels, WIDTH, [panel])
