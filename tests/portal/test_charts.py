"""The case page's chart geometry: cumulative lines scaled to the largest amount, quarters along
the bottom, nothing drawn for a case with no money yet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.portal.charts import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH, cumulative_chart


def row(quarter: date, scheduled: str, billed: str, collected: str) -> dict:
    return {
        "quarter": quarter,
        "scheduled_cumulative": Decimal(scheduled),
        "billed_cumulative": Decimal(billed),
        "collected_cumulative": Decimal(collected),
    }


def points(chart, css: str) -> list[tuple[float, float]]:
    line = next(line for line in chart.lines if line.css == css)
    return [tuple(map(float, p.split(","))) for p in line.points.split()]


def test_lines_are_scaled_to_the_largest_cumulative_amount():
    chart = cumulative_chart(
        [
            row(date(2026, 1, 1), "500000.00", "0.00", "500000.00"),
            row(date(2026, 4, 1), "1500000.00", "1000000.00", "1000000.00"),
            row(date(2026, 7, 1), "2000000.00", "2000000.00", "1000000.00"),
        ]
    )
    bottom, top = HEIGHT - BOTTOM, TOP
    assert points(chart, "scheduled") == [
        (LEFT, bottom - (bottom - top) * 0.25),
        (LEFT + (WIDTH - LEFT - RIGHT) / 2, bottom - (bottom - top) * 0.75),
        (WIDTH - RIGHT, top),
    ]
    assert points(chart, "billed")[0] == (LEFT, bottom)
    assert chart.baseline == bottom
    assert [label for _, label in chart.x_ticks] == ["2026Q1", "2026Q2", "2026Q3"]
    assert [label for _, label in chart.y_ticks] == ["$0.00", "$500.0K", "$1.0M", "$1.5M", "$2.0M"]


def test_a_case_with_no_money_yet_draws_nothing():
    assert cumulative_chart([]) is None


def test_a_case_with_only_zero_amounts_draws_flat_lines_on_the_baseline():
    chart = cumulative_chart([row(date(2026, 1, 1), "0.00", "0.00", "0.00")])
    assert {y for line in chart.lines for _, y in points(chart, line.css)} == {chart.baseline}
