"""The ingest rules of the data contract, on hand-written batches and a real DuckDB file."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fms.ingest.batch_files import BatchFileError, read_batch
from fms.ingest.load_batch import REJECT_BUCKET, load_batch, load_new_batches
from fms.warehouse import connect
from tests.landing import COUNTRY, DELIVERY, LINE, case, fingerprint, write_batch

LOAD_DATE = date(2026, 11, 22)


@pytest.fixture
def con(tmp_path: Path):
    with connect(tmp_path / "w.duckdb") as c:
        yield c


def load(con, landing: Path):
    return load_new_batches(con, landing, LOAD_DATE)


def quarantined(con) -> list[tuple]:
    return con.execute(
        "SELECT entity, row_number, reason_code FROM quarantine ORDER BY entity, row_number"
    ).fetchall()


def base_batch(landing: Path, name: str = "b1", **extra: list[dict]) -> Path:
    entities = {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE]} | extra
    return write_batch(landing, name, entities)


def test_clean_batch_loads_every_row_typed_and_traced(con, tmp_path):
    base_batch(tmp_path / "landing", deliveries=[DELIVERY])
    (result,) = load(con, tmp_path / "landing")
    assert result.status == "loaded" and result.rows_quarantined == 0
    row = con.execute(
        "SELECT quantity, delivered_value, shipment_date, batch, source_file, source_row "
        "FROM deliveries"
    ).fetchone()
    assert row == (1, Decimal("1000000.00"), date(2026, 1, 10), "b1", "deliveries.csv", 1)
    assert con.execute("SELECT count(*) FROM deliveries_history").fetchone()[0] == 1


def test_booleans_accept_true_false_1_0_y_n_in_any_case(con, tmp_path):
    rows = [
        COUNTRY | {"country_code": cc, "has_special_billing_arrangement": flag}
        for cc, flag in [("AA", "TRUE"), ("BB", "0"), ("CC", "y"), ("DD", "No"), ("EE", "false")]
    ]
    write_batch(tmp_path / "landing", "b1", {"countries": rows})
    load(con, tmp_path / "landing")
    got = dict(
        con.execute(
            "SELECT country_code, has_special_billing_arrangement FROM countries"
        ).fetchall()
    )
    assert got == {"AA": True, "BB": False, "CC": True, "DD": False, "EE": False}


BAD_ROWS = [
    # (entity, column, value, expected reason)
    ("deliveries", "delivery_id", "", "MISSING_VALUE"),
    ("deliveries", "case_id", "UK-D-AAAA", "BAD_ID"),
    ("deliveries", "case_id", "uk-d-aaa", "BAD_ID"),
    ("deliveries", "shipment_date", "2026-02-30", "BAD_DATE"),
    ("deliveries", "shipment_date", "10/01/2026", "BAD_DATE"),
    ("deliveries", "quantity", "1.5", "BAD_NUMBER"),
    ("deliveries", "quantity", "ten", "BAD_NUMBER"),
    ("deliveries", "quantity", "-1", "NEGATIVE_AMOUNT"),
    ("deliveries", "line_number", "1000", "BAD_NUMBER"),
    ("deliveries", "delivered_value", "12.345", "BAD_AMOUNT"),
    ("deliveries", "delivered_value", "1,000.00", "BAD_AMOUNT"),
    ("deliveries", "delivered_value", "12345678901234567.00", "BAD_AMOUNT"),
    ("deliveries", "delivered_value", "-5.00", "NEGATIVE_AMOUNT"),
    ("deliveries", "price_code", "X", "BAD_CODE"),
    ("deliveries", "reported_date", "2099-01-01", "FUTURE_DATE"),
    ("deliveries", "shipment_date", "2026-01-25", "DATE_ORDER"),
    ("deliveries", "case_id", "UK-D-ZZZ", "UNKNOWN_LINE"),
    ("deliveries", "line_number", "7", "UNKNOWN_LINE"),
    ("cases", "status", "OPEN", "BAD_CODE"),
    ("cases", "admin_surcharge_rate", "3.2", "BAD_RATE"),
    ("cases", "sblc_in_place", "maybe", "BAD_BOOLEAN"),
    ("cases", "case_designator", "AAB", "ID_MISMATCH"),
    ("cases", "country_code", "ZZ", "UNKNOWN_COUNTRY"),
    ("cases", "acceptance_date", "2020-04-01", "DATE_ORDER"),
    ("case_lines", "description", "x" * 1001, "TEXT_TOO_LONG"),
    ("case_lines", "unit_of_issue", "BOX", "BAD_CODE"),
]


@pytest.mark.parametrize(("entity", "column", "value", "reason"), BAD_ROWS)
def test_a_bad_value_is_quarantined_with_its_reason(con, tmp_path, entity, column, value, reason):
    template = {"deliveries": DELIVERY, "cases": case(), "case_lines": LINE}[entity]
    bad = template | {column: value}
    if entity == "cases":
        bad = bad | {"case_id": bad["case_id"]}
        extra = {
            "cases": [case(), bad | {"case_id": "UK-D-AAB"} if reason != "ID_MISMATCH" else bad]
        }
        if reason == "ID_MISMATCH":
            extra = {"cases": [case(), bad | {"case_id": "UK-D-AAC"}]}
        if reason == "UNKNOWN_COUNTRY":
            extra = {"cases": [case(), case(case_id="ZZ-D-AAB")]}
    elif entity == "case_lines":
        extra = {"case_lines": [LINE, bad | {"line_number": "2"}]}
    else:
        extra = {
            entity: [template, bad | ({"delivery_id": "D2"} if column != "delivery_id" else {})]
        }
    base_batch(tmp_path / "landing", **extra)
    load(con, tmp_path / "landing")
    assert quarantined(con) == [(entity, 2, reason)]
    log = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log WHERE entity = $e",
        {"e": entity},
    ).fetchone()
    assert log == (2, 1, 1)


def test_quarantine_keeps_the_row_as_given_and_a_readable_reason(con, tmp_path):
    base_batch(tmp_path / "landing", deliveries=[DELIVERY | {"delivered_value": "12.345"}])
    load(con, tmp_path / "landing")
    row, reason = con.execute('SELECT "row", reason FROM quarantine').fetchone()
    assert json.loads(row)["delivered_value"] == "12.345"
    assert "delivered_value '12.345'" in reason


def test_money_control_totals_reconcile_read_loaded_quarantined(con, tmp_path):
    deliveries = [
        DELIVERY,
        DELIVERY | {"delivery_id": "D2", "delivered_value": "250.25"},
        DELIVERY | {"delivery_id": "D3", "delivered_value": "99.99", "price_code": "Q"},
        DELIVERY | {"delivery_id": "D4", "delivered_value": "abc"},
    ]
    base_batch(tmp_path / "landing", deliveries=deliveries)
    load(con, tmp_path / "landing")
    log = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined, amount_read, amount_loaded, "
        "amount_quarantined, rows_amount_unreadable FROM load_log WHERE entity = 'deliveries'"
    ).fetchone()
    # read 1,000,000.00 + 250.25 + 99.99 (the unreadable 'abc' is counted, not summed)
    assert log == (4, 2, 2, Decimal("1000350.24"), Decimal("1000250.25"), Decimal("99.99"), 1)
    loaded = con.execute("SELECT sum(delivered_value) FROM deliveries_history").fetchone()[0]
    assert loaded == log[4]


def test_later_rows_of_a_key_in_one_file_are_duplicates_and_the_first_loads(con, tmp_path):
    rows = [DELIVERY, DELIVERY | {"quantity": "2"}, DELIVERY | {"quantity": "3"}]
    base_batch(tmp_path / "landing", deliveries=rows)
    load(con, tmp_path / "landing")
    assert quarantined(con) == [
        ("deliveries", 2, "DUPLICATE_KEY"),
        ("deliveries", 3, "DUPLICATE_KEY"),
    ]
    assert con.execute("SELECT quantity FROM deliveries").fetchall() == [(1,)]


def test_a_correction_replaces_the_current_row_and_history_keeps_both(con, tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing, deliveries=[DELIVERY | {"price_code": "E", "delivered_value": "900000.00"}])
    write_batch(landing, "b2", {"deliveries": [DELIVERY | {"delivered_value": "950000.00"}]})
    load(con, landing)
    assert con.execute("SELECT price_code, delivered_value, batch FROM deliveries").fetchall() == [
        ("A", Decimal("950000.00"), "b2")
    ]
    history = con.execute(
        "SELECT batch, price_code, delivered_value FROM deliveries_history ORDER BY batch_seq"
    ).fetchall()
    assert history == [("b1", "E", Decimal("900000.00")), ("b2", "A", Decimal("950000.00"))]


def test_a_row_waiting_for_its_case_loads_once_the_case_arrives_and_only_once(con, tmp_path):
    landing = tmp_path / "landing"
    late = "UK-D-LAT"
    base_batch(
        landing,
        case_lines=[LINE, LINE | {"case_id": late}],
        deliveries=[DELIVERY | {"case_id": late, "delivery_id": "DL"}],
    )
    write_batch(landing, "b2", {"cases": [case(case_id=late)]})
    write_batch(landing, "b3", {"cases": [case(case_id="UK-D-AAC")]})
    results = load(con, landing)
    assert quarantined(con) == [
        ("case_lines", 2, "UNKNOWN_CASE"),
        ("deliveries", 1, "UNKNOWN_LINE"),
    ]
    assert con.execute(
        "SELECT entity, resolved_in_batch FROM quarantine ORDER BY entity"
    ).fetchall() == [("case_lines", "b2"), ("deliveries", "b2")]
    assert [r.rows_resolved for r in results] == [0, 2, 0]
    line = con.execute(
        "SELECT batch, source_row, loaded_in_batch FROM case_lines_history WHERE case_id = $c",
        {"c": late},
    ).fetchall()
    assert line == [("b1", 2, "b2")]
    assert con.execute("SELECT count(*) FROM deliveries_history").fetchone()[0] == 1


def test_a_late_row_does_not_override_a_newer_correction_of_its_key(con, tmp_path):
    landing = tmp_path / "landing"
    late = "UK-D-LAT"
    base_batch(landing, case_lines=[LINE, LINE | {"case_id": late, "line_value": "1.00"}])
    # b2 brings the case and a correction of the same line: the correction is newer.
    write_batch(
        landing,
        "b2",
        {
            "cases": [case(case_id=late)],
            "case_lines": [LINE | {"case_id": late, "line_value": "2.00"}],
        },
    )
    load(con, landing)
    value = con.execute("SELECT line_value FROM case_lines WHERE case_id = $c", {"c": late})
    assert value.fetchone() == (Decimal("2.00"),)
    assert con.execute(
        "SELECT count(*) FROM case_lines_history WHERE case_id = $c", {"c": late}
    ).fetchone() == (2,)


def test_rerunning_the_same_landing_changes_nothing(con, tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing, deliveries=[DELIVERY, DELIVERY | {"delivered_value": "x"}])
    load(con, landing)
    before = fingerprint(con)
    results = load(con, landing)
    assert [r.status for r in results] == ["skipped"]
    assert fingerprint(con) == before


def test_a_loaded_batch_whose_files_changed_is_refused_and_nothing_changes(con, tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    load(con, landing)
    before = fingerprint(con)
    base_batch(landing, deliveries=[DELIVERY])  # b1 again, now with a deliveries file
    with pytest.raises(BatchFileError, match=r"deliveries\.csv.*already loaded.*added"):
        load(con, landing)
    assert fingerprint(con) == before


def _broken(folder: Path, kind: str) -> str:
    """Break one file of a batch folder; return the file name the error must name."""
    if kind == "unknown file":
        (folder / "notes.txt").write_text("hello")
        return "notes.txt"
    if kind == "missing column":
        text = (folder / "cases.csv").read_text().replace("case_designator,", "", 1)
        (folder / "cases.csv").write_text(text)
        return "cases.csv"
    if kind == "extra column":
        lines = (folder / "case_lines.csv").read_text().splitlines()
        (folder / "case_lines.csv").write_text("\n".join([lines[0] + ",colour"] + lines[1:]) + "\n")
        return "case_lines.csv"
    if kind == "csv and parquet":
        pq.write_table(pa.table({"country_code": ["UK"]}), folder / "countries.parquet")
        return "countries.csv and countries.parquet"
    if kind == "empty file":
        (folder / "case_lines.csv").write_bytes(b"")
        return "case_lines.csv"
    if kind == "header not utf-8":
        (folder / "countries.csv").write_bytes(b"country_code,n\xffame\n")
        return "countries.csv"
    if kind == "damaged parquet":
        (folder / "case_lines.csv").unlink()
        (folder / "case_lines.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
        return "case_lines.parquet"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "unknown file",
        "missing column",
        "extra column",
        "csv and parquet",
        "empty file",
        "header not utf-8",
        "damaged parquet",
    ],
)
def test_a_batch_with_a_broken_file_loads_nothing_and_names_the_file(con, tmp_path, kind):
    landing = tmp_path / "landing"
    base_batch(landing, "b1")
    load(con, landing)
    before = fingerprint(con)
    folder = base_batch(landing, "b2", deliveries=[DELIVERY | {"delivery_id": "D9"}])
    file = _broken(folder, kind)
    with pytest.raises(BatchFileError) as err:
        load(con, landing)
    assert err.value.file == file and err.value.batch == "b2"
    assert "Nothing of batch 'b2' was loaded" in str(err.value)
    assert fingerprint(con) == before


def test_a_file_that_fails_midway_rolls_back_the_whole_batch(con, tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing, "b1")
    # A Parquet file whose schema is right but whose data cannot be read to the end.
    table = pa.table({c: pa.array(["x"] * 1000) for c in DELIVERY})
    pq.write_table(table, folder / "deliveries.parquet")
    data = bytearray((folder / "deliveries.parquet").read_bytes())
    data[100:400] = b"\x00" * 300
    (folder / "deliveries.parquet").write_bytes(bytes(data))
    before = fingerprint(con)
    with pytest.raises(BatchFileError, match="deliveries.parquet"):
        load(con, landing)
    assert fingerprint(con) == before  # countries, cases and lines of b1 did not stay behind


def test_malformed_csv_records_are_quarantined_at_their_record_number(con, tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    header = ",".join(DELIVERY)
    good = ",".join(DELIVERY.values())
    text = (
        (
            header
            + "\n"
            + good
            + "\n"  # 1
            + good.replace("D1", "D2").replace(",A", ',"A"')
            + "\n"  # 2
            + good.replace("D1", "D3")
            + ",extra\n"  # 3: too many columns
            + "D4,UK-D-AAA\n"  # 4: too few
        ).encode()
        + good.replace("D1", "D5").encode()
        + b"\xff\n"
    )  # 5: not UTF-8
    text += good.replace("D1", "D6").encode() + b"\n"  # 6
    (folder / "deliveries.csv").write_bytes(text)
    load(con, landing)
    assert quarantined(con) == [("deliveries", n, "MALFORMED_ROW") for n in (3, 4, 5)]
    loaded = con.execute("SELECT delivery_id, source_row FROM deliveries ORDER BY 1").fetchall()
    assert loaded == [("D1", 1), ("D2", 2), ("D6", 6)]
    log = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log WHERE entity='deliveries'"
    )
    assert log.fetchone() == (6, 3, 3)


def test_records_around_many_malformed_ones_keep_their_record_numbers(con, tmp_path):
    """Malformed records at the start, the end, in runs, on both sides of the numbering's
    bucket edges (every REJECT_BUCKET clean records), with blank lines between records."""
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    records = 3 * REJECT_BUCKET + 10
    edge = REJECT_BUCKET
    malformed = {1, 2, edge - 1, edge, edge + 1, edge + 2, 2 * edge + 2, 2 * edge + 3, records}
    blank_after = {5, edge + 7, 2 * edge}
    values = list(DELIVERY.values())
    lines = [",".join(DELIVERY)]
    for n in range(1, records + 1):
        row = ",".join([f"D{n}", *values[1:]])
        lines.append(row + ",extra" if n in malformed else row)
        if n in blank_after:
            lines.append("")
    (folder / "deliveries.csv").write_text("\n".join(lines) + "\n")
    load(con, landing)
    assert quarantined(con) == [("deliveries", n, "MALFORMED_ROW") for n in sorted(malformed)]
    numbered = con.execute(
        "SELECT count(*), count(*) FILTER (delivery_id <> 'D' || source_row) FROM deliveries"
    ).fetchone()
    assert numbered == (records - len(malformed), 0)


def test_records_around_unreadable_and_rejected_ones_keep_their_record_numbers(con, tmp_path):
    """Records the line scan keeps from DuckDB (a stray CR) and records DuckDB rejects (an
    extra field), side by side and across the numbering's bucket edges, in a file of LF and
    CRLF line ends read through its copy."""
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    records = 2 * REJECT_BUCKET + 10
    edge = REJECT_BUCKET
    stray_cr = {1, edge - 1, edge + 1, 2 * edge + 2, records}
    extra_field = {2, edge, edge + 2, 2 * edge + 3}
    values = list(DELIVERY.values())
    lines = [",".join(DELIVERY).encode()]
    for n in range(1, records + 1):
        row = ",".join([f"D{n}", *values[1:]]).encode()
        if n in stray_cr:
            row = row.replace(b"UK-D-AAA", b"UK-D-\rAAA")
        lines.append(row + b",extra" if n in extra_field else row)
    text = b"".join(line + (b"\r\n" if n % 3 == 0 else b"\n") for n, line in enumerate(lines))
    (folder / "deliveries.csv").write_bytes(text)
    load(con, landing)
    malformed = sorted(stray_cr | extra_field)
    assert quarantined(con) == [("deliveries", n, "MALFORMED_ROW") for n in malformed]
    numbered = con.execute(
        "SELECT count(*), count(*) FILTER (delivery_id <> 'D' || source_row) FROM deliveries"
    ).fetchone()
    assert numbered == (records - len(malformed), 0)


_BATCHES = itertools.count()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """One warehouse for every example of a property (each loads its own batch)."""
    root = tmp_path_factory.mktemp("every_record")
    with connect(root / "w.duckdb") as c:
        yield root, c


@settings(max_examples=60, deadline=None)
@given(
    body=st.lists(
        st.sampled_from(
            [b"UK", b"a", b",", b'"', b'""', b"\n", b"\r", b"\r\n", b" ", b"N", b"\xff", b"\n\n"]
        ),
        max_size=40,
    ).map(b"".join)
)
def test_every_record_is_loaded_or_quarantined_at_its_own_number(warehouse, body):
    """Whatever the bytes after the header, each record the line scan counts is loaded or
    quarantined, numbered 1, 2, ... in file order: none lost, none twice. (Not a quote after
    a closing quote and spaces, `"a" "b"`: DuckDB's reading of it refuses the file.)"""
    assume(not re.search(rb'" +"', body))
    root, c = warehouse
    folder = root / f"b{next(_BATCHES)}"
    folder.mkdir()
    header = b"country_code,name,has_special_billing_arrangement\n"
    (folder / "countries.csv").write_bytes(header + body)
    batch = read_batch(folder)
    (loaded,) = load_batch(c, batch, LOAD_DATE).entities
    numbers = c.execute(
        "SELECT row_number FROM quarantine WHERE batch = $b UNION ALL "
        "SELECT source_row FROM countries_history WHERE batch = $b",
        {"b": batch.name},
    ).fetchall()
    records = batch.files[0].lines.records
    assert loaded.rows_read == records
    assert sorted(n for (n,) in numbers) == list(range(1, records + 1))


def test_a_quoted_newline_is_one_record_and_bom_and_crlf_are_accepted(con, tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    header = ",".join(LINE)
    row1 = ",".join(LINE.values()).replace("aircraft", '"F-16\r\nfighter"')
    row2 = ",".join((LINE | {"line_number": "2", "line_value": "x"}).values())
    (folder / "case_lines.csv").write_bytes(
        b"\xef\xbb\xbf" + f"{header}\r\n{row1}\r\n{row2}\r\n".encode()
    )
    load(con, landing)
    assert con.execute("SELECT description FROM case_lines").fetchall() == [("F-16\r\nfighter",)]
    assert quarantined(con) == [("case_lines", 2, "BAD_AMOUNT")]


def test_a_parquet_file_loads_like_its_csv(con, tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    table = pa.table(
        {
            "delivery_id": ["P1", "P2"],
            "case_id": ["UK-D-AAA", "UK-D-AAA"],
            "line_number": pa.array([1, 1], pa.int64()),
            "shipment_date": pa.array([date(2026, 1, 1), date(2026, 1, 2)], pa.date32()),
            "reported_date": pa.array([date(2026, 1, 5), date(2026, 1, 1)], pa.date32()),
            "quantity": pa.array([1, 1], pa.int64()),
            "delivered_value": pa.array([Decimal("10.50"), Decimal("1.00")], pa.decimal128(18, 2)),
            "price_code": ["E", "A"],
        }
    )
    pq.write_table(table, folder / "deliveries.parquet")
    load(con, landing)
    assert con.execute(
        "SELECT delivery_id, delivered_value, source_row FROM deliveries"
    ).fetchall() == [("P1", Decimal("10.50"), 1)]
    assert quarantined(con) == [("deliveries", 2, "DATE_ORDER")]


def test_a_collection_must_belong_to_its_cases_purchaser(con, tmp_path):
    landing = tmp_path / "landing"
    collection = {
        "collection_id": "C1",
        "country_code": "UK",
        "case_id": "UK-D-AAA",
        "received_date": "2026-01-01",
        "amount": "-10.00",
        "funding_source": "NATIONAL",
    }
    base_batch(
        landing,
        countries=[COUNTRY, COUNTRY | {"country_code": "AS"}],
        collections=[
            collection,
            collection | {"collection_id": "C2", "country_code": "AS"},
            collection | {"collection_id": "C3", "case_id": ""},
        ],
    )
    load(con, landing)
    assert quarantined(con) == [("collections", 2, "ID_MISMATCH")]
    held = con.execute("SELECT count(*) FROM collections WHERE case_id IS NULL").fetchone()
    assert held == (1,)


def test_a_failed_batch_is_not_recorded_so_it_loads_once_fixed(con, tmp_path):
    landing = tmp_path / "landing"
    folder = base_batch(landing)
    (folder / "junk.csv").write_text("a\n")
    with pytest.raises(BatchFileError):
        load(con, landing)
    (folder / "junk.csv").unlink()
    (result,) = load(con, landing)
    assert result.status == "loaded"


def test_duckdb_file_is_the_only_state(tmp_path):
    landing = tmp_path / "landing"
    base_batch(landing)
    with connect(tmp_path / "w.duckdb") as c:
        load_new_batches(c, landing, LOAD_DATE)
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as c:
        assert c.execute("SELECT count(*) FROM cases").fetchone() == (1,)
