"""The run report's chart shapes, hand-computed: bar lengths in proportion to the amounts,
credits left of zero, round axis steps, exact figures in the tooltips, the same bytes twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fms.report.charts import (
    _nice_ticks,
    blockers_chart,
    funds_locked_chart,
    money_axis,
    purchaser_totals_chart,
)


def _bars(chart) -> list[dict]:
    return [s.attrs | {"tip": s.tip} for s in chart.shapes if s.tag == "rect" and s.tip]


def _locked(code: str, ready: str, overdue: str) -> dict:
    return {
        "country_code": code,
        "purchaser_name": code,
        "funds_locked_in_ready_cases": Decimal(ready),
        "funds_locked_in_overdue_ready_cases": Decimal(overdue),
    }


@pytest.mark.parametrize(
    ("low", "top", "whole", "ticks"),
    [
        (0, 7.3, False, [0, 2, 4, 6, 8]),
        (0, 40, False, [0, 10, 20, 30, 40]),
        (0, 2.1, False, [0, 0.5, 1, 1.5, 2, 2.5]),
        (0, 3, True, [0, 1, 2, 3]),
        (0, 1, True, [0, 1]),
        (-0.25, 1, False, [-0.25, 0, 0.25, 0.5, 0.75, 1]),
    ],
)
def test_axis_steps_are_round_and_reach_past_the_largest_value(low, top, whole, ticks):
    assert _nice_ticks(low, top, whole) == pytest.approx(ticks)


def test_the_axis_reads_in_the_unit_of_the_largest_amount():
    axis = money_axis([Decimal("36000.00"), Decimal("4000.00")])
    assert (axis.label, axis.divisor, axis.ticks) == (
        "US$ thousands",
        Decimal(1000),
        [0, 10, 20, 30, 40],
    )


def test_bar_lengths_are_in_proportion_to_the_amounts_and_stack_to_the_total():
    chart = funds_locked_chart(
        [_locked("UK", "36000.00", "36000.00"), _locked("AS", "4000.00", "0.00")]
    )
    bars = _bars(chart)
    uk_overdue, uk_other, as_overdue, as_other = (float(b["width"]) for b in bars)
    # 40 on the axis (thousands): UK's 36 is 9 tenths of it, AS's 4 one tenth.
    assert uk_overdue == pytest.approx(9 * as_other, abs=0.5)
    assert uk_other == 0 and as_overdue == 0
    assert [b["tip"] for b in bars] == [
        "In overdue cases $36,000.00",
        "In other ready cases $0.00",
        "In overdue cases $0.00",
        "In other ready cases $4,000.00",
    ]
    labels = [s.text for s in chart.shapes if s.tag == "text" and s.attrs["class"] == "value"]
    assert labels == ["$36,000.00", "$4,000.00"]


def test_a_credit_is_drawn_left_of_zero():
    rows = [
        {
            "country_code": "UK",
            "purchaser_name": "UK",
            "case_value": Decimal("500.00"),
            "collections": Decimal("0.00"),
            "amount_due": Decimal("300.00"),
        },
        {
            "country_code": "AS",
            "purchaser_name": "AS",
            "case_value": Decimal("100.00"),
            "collections": Decimal("0.00"),
            "amount_due": Decimal("-100.00"),
        },
    ]
    chart = purchaser_totals_chart(rows)
    due = [b for b in _bars(chart) if b["tip"].startswith("Due")]
    bill, credit = due  # the rows' order: the larger case value first
    assert credit["tip"] == "Due -$100.00" and bill["tip"] == "Due $300.00"
    # The credit ends where the bill starts (zero), a third of its length.
    assert float(credit["x"]) + float(credit["width"]) == pytest.approx(float(bill["x"]), abs=0.2)
    assert float(bill["width"]) == pytest.approx(3 * float(credit["width"]), abs=0.3)


def test_the_same_figures_give_the_same_shapes():
    blockers = [{"code": "NOT_SSC", "cases": 2}, {"code": "ESTIMATED_PRICES", "cases": 1}]
    assert blockers_chart(blockers) == blockers_chart([dict(b) for b in blockers])
    assert "NOT_SSC 2, ESTIMATED_PRICES 1" in blockers_chart(blockers).alt
