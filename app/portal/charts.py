"""The case page's chart, drawn as SVG by its template from the geometry computed here: the
payment schedule, the amounts billed and the collections, cumulative by quarter. No script and
nothing fetched: the page works offline, and the table beside it carries the exact figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fms.formatting import short_dollars

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 70, 12, 12, 28
SERIES = (
    ("scheduled_cumulative", "Payment schedule", "scheduled"),
    ("billed_cumulative", "Billed (amount due)", "billed"),
    ("collected_cumulative", "Collected", "collected"),
)


@dataclass(frozen=True)
class Line:
    label: str
    css: str
    points: str  # "x,y x,y ..." for a <polyline>


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    baseline: float


def _quarter(day) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def cumulative_chart(rows: list[dict]) -> Chart | None:
    """`rows` from fms/sql/portal/case_money_by_quarter.sql; None when there is nothing to draw."""
    if not rows:
        return None
    top = max(max(row[key] for key, _, _ in SERIES) for row in rows)
    top = top if top > 0 else Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(rows) - 1, 1)

    def y(amount: Decimal) -> float:
        return round(TOP + plot_h * (1 - float(amount / top)), 1)

    lines = [
        Line(label, css, " ".join(f"{LEFT + i * step:.1f},{y(r[key])}" for i, r in enumerate(rows)))
        for key, label, css in SERIES
    ]
    y_ticks = [(y(top * k / 4), short_dollars(top * k / 4)) for k in range(5)]
    every = max(1, len(rows) // 8)
    x_ticks = [
        (round(LEFT + i * step, 1), _quarter(r["quarter"]))
        for i, r in enumerate(rows)
        if i % every == 0
    ]
    return Chart(WIDTH, HEIGHT, lines, y_ticks, x_ticks, baseline=y(Decimal(0)))
