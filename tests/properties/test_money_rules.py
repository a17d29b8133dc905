"""Money rules hold for any amount: rounding half up to the cent in Python agrees with DuckDB's
round() on DECIMAL (the SQL marts round there), and the ingest's amount shape (MONEY_SHAPE)
accepts exactly the plain decimals with at most 2 places and 16 integer digits, each of which
DuckDB then casts to DECIMAL(18,2) without error and without rounding.

Values go to DuckDB as text and many at a time (one query per example, order kept by
list_transform); the last test writes them into batch files and loads them through
`load_new_batches`, as senders' files arrive.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fms.billing.money import round_half_up_cents
from fms.ingest.load_batch import load_new_batches
from fms.ingest.row_checks import MONEY_SHAPE
from fms.warehouse import connect
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

DIGITS = "0123456789"


@pytest.fixture(scope="module")
def con():
    with duckdb.connect() as c:
        yield c


def duckdb_round(con, amounts: list[Decimal]) -> list[Decimal]:
    (rounded,) = con.execute(
        "SELECT list_transform($v, lambda a: CAST(round(CAST(a AS DECIMAL(38, 6)), 2) AS VARCHAR))",
        {"v": [str(a) for a in amounts]},
    ).fetchone()
    return [Decimal(r) for r in rounded]


# Up to 6 decimals (a rate product has more, the marts widen before rounding), 16 digits.
AMOUNTS = st.decimals(
    min_value=-(10**16) + 1, max_value=10**16 - 1, places=6, allow_nan=False, allow_infinity=False
)
# Exact half cents: the rounding ties.
TIES = st.integers(-(10**17), 10**17).map(lambda k: Decimal(10 * k + 5).scaleb(-3))


@given(st.lists(AMOUNTS | TIES, min_size=1, max_size=60))
def test_round_half_up_cents_agrees_with_duckdb_round_on_decimal(con, amounts):
    assert [round_half_up_cents(a) for a in amounts] == duckdb_round(con, amounts)


@given(TIES)
def test_a_half_cent_rounds_away_from_zero(tie):
    rounded = round_half_up_cents(tie)
    assert abs(rounded) == abs(tie) + Decimal("0.005")
    assert rounded == -round_half_up_cents(-tie)


def judged(con, texts: list[str]) -> list[tuple[bool, Decimal | None]]:
    """What the ingest's typing does with each text: (shape accepted, CAST value if so)."""
    (result,) = con.execute(
        "SELECT list_transform($v, lambda s: {'ok': regexp_full_match(s, $shape), "
        "'value': CASE WHEN regexp_full_match(s, $shape) "
        "THEN CAST(CAST(s AS DECIMAL(18, 2)) AS VARCHAR) END})",
        {"v": texts, "shape": MONEY_SHAPE},
    ).fetchone()
    return [(r["ok"], None if r["value"] is None else Decimal(r["value"])) for r in result]


def is_plain_amount(text: str) -> bool:
    """The rule in words, without a regular expression: an optional minus, 1 to 16 ASCII
    digits, and optionally a point followed by 1 or 2 ASCII digits."""
    body = text.removeprefix("-")
    whole, point, fraction = body.partition(".")
    return (
        1 <= len(whole) <= 16
        and all(c in DIGITS for c in whole)
        and (not point or (1 <= len(fraction) <= 2 and all(c in DIGITS for c in fraction)))
    )


@st.composite
def plain_amounts(draw):
    sign = draw(st.sampled_from(["", "-"]))
    whole = draw(st.text(DIGITS, min_size=1, max_size=16))
    fraction = draw(st.sampled_from(["", "."]))
    if fraction:
        fraction += draw(st.text(DIGITS, min_size=1, max_size=2))
    return sign + whole + fraction


@given(st.lists(plain_amounts(), min_size=1, max_size=60))
def test_every_plain_amount_is_accepted_and_cast_exactly(con, texts):
    assert judged(con, texts) == [(True, Decimal(t)) for t in texts]


@st.composite
def near_misses(draw):
    whole = draw(st.text(DIGITS, min_size=1, max_size=16))
    return draw(
        st.sampled_from(
            [
                draw(st.text(DIGITS, min_size=17, max_size=20)),  # beyond DECIMAL(18,2)
                whole + "." + draw(st.text(DIGITS, min_size=3, max_size=6)),  # 3+ decimals
                "+" + whole,
                "." + whole[:2],
                whole + ".",
                whole + "e2",
                whole[:1] + "," + whole,
                "$" + whole,
                "(" + whole + ")",
                whole.translate(str.maketrans(DIGITS, "０１２３４５６７８９")),  # full width
                whole + " " + whole,
                "--" + whole,
                "NaN",
                "Infinity",
                "-Infinity",
                "0x" + whole,
            ]
        )
    )


@given(st.lists(near_misses(), min_size=1, max_size=40))
def test_a_near_miss_amount_is_refused(con, texts):
    assert judged(con, texts) == [(False, None)] * len(texts)


@settings(max_examples=200)
@given(st.lists(st.text("0123456789.-+e,１ ", max_size=22), min_size=1, max_size=40))
def test_the_amount_shape_is_exactly_the_rule_in_words_for_any_text(con, texts):
    # Whatever is accepted casts without error (a failing CAST would stop the whole load).
    for text, (ok, value) in zip(texts, judged(con, texts), strict=True):
        assert ok == is_plain_amount(text), text
        assert value == (Decimal(text) if ok else None)


# --- the same rule end to end: amounts written into a batch file and loaded -------------------

LOAD_DATE = date(2026, 11, 22)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("money_shape")
    write_batch(
        root / "landing",
        "a-base",
        {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE]},
    )
    with connect(root / "w.duckdb") as c:
        load_new_batches(c, root / "landing", LOAD_DATE)
        yield c, root / "landing", itertools.count(1)


def expected_outcome(text: str) -> str | Decimal:
    """The loaded amount, or the reason code: values are trimmed of spaces, empty is NULL."""
    value = text.strip(" ")
    if not value:
        return "MISSING_VALUE"
    if not is_plain_amount(value):
        return "BAD_AMOUNT"
    return "NEGATIVE_AMOUNT" if Decimal(value) < 0 else Decimal(value)


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        plain_amounts() | near_misses() | st.text("0123456789.-+e,１ ", max_size=14),
        min_size=1,
        max_size=30,
    )
)
def test_a_loaded_amount_is_the_amount_as_written_or_quarantined(warehouse, texts):
    con, landing, batches = warehouse
    batch = f"p{next(batches):03d}"
    rows = [
        DELIVERY | {"delivery_id": f"{batch}-{i}", "delivered_value": t}
        for i, t in enumerate(texts, start=1)
    ]
    write_batch(landing, batch, {"deliveries": rows})
    load_new_batches(con, landing, LOAD_DATE)
    loaded = dict(
        con.execute(
            "SELECT source_row, delivered_value FROM deliveries_history WHERE batch = $b",
            {"b": batch},
        ).fetchall()
    )
    refused = dict(
        con.execute(
            "SELECT row_number, reason_code FROM quarantine WHERE batch = $b", {"b": batch}
        ).fetchall()
    )
    got = [loaded.get(i, refused.get(i)) for i in range(1, len(texts) + 1)]
    assert got == [expected_outcome(t) for t in texts]
