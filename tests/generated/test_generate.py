"""The synthetic landing generator (`tools.generate`): determinism, the contract's shape, the
manifest, and the realism the later stages depend on. Small scale only: fast."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fms.contract import ENTITIES, ENTITY_BY_NAME, REASONS, Kind
from fms.ingest.success_marker import MARKER, read_listing
from tools.generate import generate

DIRTY_RATE = 0.05
SAMM_DUE_DAYS = {(3, 15), (6, 15), (9, 15), (12, 15)}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(out, "small", seed=0)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dirty")
    return out, generate(out, "small", seed=0, dirty_rate=DIRTY_RATE)


def _files(out: Path):
    """(batch, path) of every data file (not the batches' `_SUCCESS`)."""
    for batch in sorted((out / "landing").iterdir()):
        for path in sorted(batch.iterdir()):
            if path.name != MARKER:
                yield batch.name, path


def _records(path: Path) -> list[list[str]]:
    """Data records of a CSV file (header dropped; a quoted newline stays in its record)."""
    text = path.read_bytes().decode("utf-8", errors="surrogateescape")
    return list(csv.reader(io.StringIO(text, newline="")))[1:]


def _rows(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        return [
            {k: ("" if v is None else str(v)) for k, v in row.items()} for row in table.to_pylist()
        ]
    names = ENTITY_BY_NAME[path.stem].column_names
    return [dict(zip(names, r, strict=True)) for r in _records(path) if len(r) == len(names)]


def _numbered(path: Path):
    """(record number, row) of every record; row is None for a record of the wrong width."""
    if path.suffix == ".parquet":
        yield from enumerate(_rows(path), start=1)
        return
    names = ENTITY_BY_NAME[path.stem].column_names
    for number, record in enumerate(_records(path), start=1):
        ok = len(record) == len(names)
        yield number, dict(zip(names, record, strict=True)) if ok else None


def _injected(manifest: dict) -> set[tuple[str, str, int]]:
    return {(i["batch"], i["file"], i["row_number"]) for i in manifest["injected"]}


def _latest(out: Path, entity: str, manifest: dict | None = None) -> dict[tuple, dict[str, str]]:
    """The current row of each key after loading every batch in order (injected rows and
    the late rows quarantined in their batch left out)."""
    key = ENTITY_BY_NAME[entity].key
    skip = _injected(manifest) if manifest else set()
    current: dict[tuple, dict[str, str]] = {}
    for batch, path in _files(out):
        if path.stem == entity:
            for number, row in _numbered(path):
                if (batch, path.name, number) not in skip:
                    current[tuple(row[k] for k in key)] = row
    return current


def _batch_day(batch: str) -> date:
    return date(int(batch[:4]), int(batch[4:6]), int(batch[6:8]))


# -- determinism --------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(clean, tmp_path):
    out, manifest = clean
    again = generate(tmp_path / "again", "small", seed=0)
    assert _digest(out) == _digest(tmp_path / "again")
    assert again == manifest


def test_another_seed_gives_other_data(clean, tmp_path):
    out, _ = clean
    generate(tmp_path / "other", "small", seed=1)
    first, second = _digest(out), _digest(tmp_path / "other")
    assert first.keys() & second.keys()
    assert first["landing/20261031-00-history/deliveries.csv"] != second.get(
        "landing/20261031-00-history/deliveries.csv"
    )


def test_the_bundled_sample_is_what_the_generator_writes(tmp_path):
    """`data/sample/` is `fms generate --scale small --seed 2026 --dirty-rate 0.02`, byte for
    byte: a change of the generator's output regenerates it."""
    sample = Path(__file__).parents[2] / "data" / "sample"
    generate(tmp_path, "small", seed=2026, dirty_rate=0.02)
    assert _digest(tmp_path) == _digest(sample)


def test_rerun_into_the_same_folder_replaces_old_batches(tmp_path):
    generate(tmp_path, "small", seed=2)
    (tmp_path / "landing" / "20991231-09-daily").mkdir()
    manifest = generate(tmp_path, "small", seed=3)
    names = sorted(p.name for p in (tmp_path / "landing").iterdir())
    assert names == [b["name"] for b in manifest["batches"]]


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, "huge")
    with pytest.raises(ValueError, match="dirty_rate"):
        generate(tmp_path, "small", dirty_rate=1.5)


# -- shape of the files ---------------------------------------------------------------------


def test_batches_are_named_in_load_order_with_the_fixed_anchor(clean):
    out, manifest = clean
    names = [b["name"] for b in manifest["batches"]]
    assert names == [
        "20261031-00-history",
        "20261101-01-daily",
        "20261102-02-daily",
        "20261103-03-daily",
    ]
    assert names == sorted(names)
    assert manifest["anchor_date"] == "2026-10-31"
    assert [b["date"] for b in manifest["batches"]] == [
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    assert sorted(p.name for p in (out / "landing").iterdir()) == names


def test_every_file_has_the_contract_header_and_format(dirty):
    out, _ = dirty
    for _, path in _files(out):
        entity = ENTITY_BY_NAME[path.stem]
        if path.suffix == ".parquet":
            assert tuple(pq.read_schema(path).names) == entity.column_names
            continue
        data = path.read_bytes()
        assert data.split(b"\n", 1)[0].decode() == ",".join(entity.column_names)
        assert b"\r" not in data and data.endswith(b"\n")


def test_last_daily_deliveries_are_typed_parquet(clean):
    out, manifest = clean
    last = manifest["batches"][-1]
    assert "deliveries.parquet" in last["files"] and "deliveries.csv" not in last["files"]
    schema = pq.read_schema(out / "landing" / last["name"] / "deliveries.parquet")
    assert schema.field("shipment_date").type == pa.date32()
    assert schema.field("delivered_value").type == pa.decimal128(18, 2)
    assert schema.field("quantity").type == pa.int64()
    assert schema.field("delivery_id").type == pa.string()


def test_manifest_row_counts_match_the_files(dirty):
    out, manifest = dirty
    for batch in manifest["batches"]:
        folder = out / "landing" / batch["name"]
        marker = folder / MARKER
        assert sorted(batch["files"]) == sorted(p.name for p in folder.iterdir() if p != marker)
        for name, info in batch["files"].items():
            path = folder / name
            assert info["entity"] == path.stem
            n = (
                pq.read_metadata(path).num_rows
                if path.suffix == ".parquet"
                else len(_records(path))
            )
            assert info["rows"] == n, f"{batch['name']}/{name}"
    assert json.loads((out / "manifest.json").read_text()) == manifest


def test_every_batch_is_marked_complete_last_listing_its_files_checksums_and_rows(dirty):
    out, manifest = dirty
    for batch in manifest["batches"]:
        folder = out / "landing" / batch["name"]
        listing = read_listing(folder)
        assert {n: (f.sha256, f.rows) for n, f in listing.items()} == {
            n: (hashlib.sha256((folder / n).read_bytes()).hexdigest(), info["rows"])
            for n, info in batch["files"].items()
        }
        written = max((folder / n).stat().st_mtime_ns for n in batch["files"])
        assert (folder / MARKER).stat().st_mtime_ns >= written
        assert sorted(p.name for p in folder.iterdir()) == sorted([*batch["files"], MARKER])


def test_clean_run_has_only_well_formed_ids_and_allowed_codes(clean):
    out, manifest = clean
    assert manifest["injected"] == [] and manifest["suspicious"] == []
    con = duckdb.connect()
    money = re.compile(r"-?\d+\.\d\d")
    for _, path in _files(out):
        entity = ENTITY_BY_NAME[path.stem]
        if path.suffix == ".parquet":
            rel = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
        else:
            rel = con.execute(
                "SELECT * FROM read_csv(?, all_varchar = true, header = true, strict_mode = true,"
                " auto_detect = false, columns = ?)",
                [str(path), {c: "VARCHAR" for c in entity.column_names}],
            )
        rows = rel.fetchall()
        assert rows, path
        for i, col in enumerate(entity.columns):
            values = [None if r[i] is None else str(r[i]) for r in rows]
            if col.required:
                assert None not in values, (path, col.name)
            present = [v for v in values if v is not None]
            if col.kind is Kind.PATTERN:
                pattern = re.compile(col.pattern)
                assert all(pattern.match(v) for v in present), (path, col.name)
            if col.kind is Kind.CODE:
                assert set(present) <= set(col.allowed), (path, col.name)
            if col.kind is Kind.MONEY:
                assert all(money.fullmatch(v) for v in present), (path, col.name)
                if not col.may_be_negative:
                    assert not any(v.startswith("-") for v in present), (path, col.name)


def test_clean_run_event_dates_never_pass_the_batch_date(clean):
    out, _ = clean
    for batch, path in _files(out):
        entity = ENTITY_BY_NAME[path.stem]
        events = [c.name for c in entity.columns if c.event_date]
        for row in _rows(path):
            for name in events:
                if row[name]:
                    assert date.fromisoformat(row[name]) <= _batch_day(batch), (path, row)
        if entity.name == "deliveries":
            for row in _rows(path):
                lag = date.fromisoformat(row["reported_date"]) - date.fromisoformat(
                    row["shipment_date"]
                )
                assert timedelta(0) <= lag <= timedelta(45)


def test_money_is_written_with_exactly_two_decimals_and_no_float_noise(clean):
    out, _ = clean
    lines = _rows(out / "landing" / "20261031-00-history" / "case_lines.csv")
    assert all(len(r["line_value"].split(".")[1]) == 2 for r in lines)
    rates = {
        r["admin_surcharge_rate"]
        for r in _rows(out / "landing" / "20261031-00-history" / "cases.csv")
    }
    assert rates - {""} and all(r.startswith("0.") for r in rates - {""})


def test_text_with_commas_quotes_and_a_line_break_is_quoted(clean):
    out, _ = clean
    path = out / "landing" / "20261031-00-history" / "case_lines.csv"
    descriptions = {r["description"] for r in _rows(path)}
    assert any("\n" in d for d in descriptions)
    assert any('"' in d for d in descriptions)
    assert any("," in d for d in descriptions)


# -- realism -------------------------------------------------------------------------------


def test_cases_cover_every_status_ia_and_the_scml_era_boundaries(clean):
    out, _ = clean
    cases = _latest(out, "cases")
    assert {r["status"] for r in cases.values()} == set(
        ENTITY_BY_NAME["cases"].column("status").allowed
    )
    assert {r["implementing_agency"] for r in cases.values()} == {"B", "D", "P"}
    accepted = {r["acceptance_date"] for r in cases.values()}
    assert {"2006-07-31", "2006-08-01", "2012-07-02", "2012-07-03"} <= accepted
    for r in cases.values():
        if r["status"] in ("OFFERED", "DEVELOPMENT"):
            assert r["acceptance_date"] == r["implementation_date"] == ""
        if r["acceptance_date"]:
            assert r["implementation_date"] >= r["acceptance_date"]
            assert r["offer_expiration_date"] >= r["acceptance_date"]
        if r["status"] in ("SUPPLY_SERVICE_COMPLETE", "CLOSED"):
            assert r["supply_services_complete_date"]
    lines = _latest(out, "case_lines")
    scml_cases = {k[0] for k, r in lines.items() if r["line_kind"] == "SCML"}
    assert scml_cases
    for case_id in scml_cases:
        assert "2006-08-01" <= cases[(case_id,)]["acceptance_date"] <= "2012-07-02"
        assert not case_id.startswith("S9-")
    codes = {r["generic_code"] for r in lines.values()}
    assert {"G5M", "G5Y", "R6C"} <= codes


def test_delivered_quantity_never_exceeds_ordered_in_a_clean_run(clean):
    out, _ = clean
    lines = _latest(out, "case_lines")
    delivered = Counter()
    for row in _latest(out, "deliveries").values():
        delivered[(row["case_id"], row["line_number"])] += int(row["quantity"])
    assert delivered
    for key, qty in delivered.items():
        assert qty <= int(lines[key]["ordered_quantity"]), key


def test_payment_schedules_follow_samm_dates_and_table_c9_t12(dirty):
    out, manifest = dirty
    injected = {
        (i["batch"], i["row_number"])
        for i in manifest["injected"]
        if i["entity"] == "payment_schedules"
    }
    off = {
        (s["case_id"], s["due_date"])
        for s in manifest["suspicious"]
        if s["kind"] == "OFF_SCHEDULE_DUE_DATE"
    }
    assert off
    cases = _latest(out, "cases", manifest)
    first_due: dict[str, str] = {}
    seen_off = set()
    for batch, path in _files(out):
        if path.stem != "payment_schedules":
            continue
        for number, record in enumerate(_records(path), start=1):
            if (batch, number) in injected:
                continue
            row = dict(zip(ENTITY_BY_NAME["payment_schedules"].column_names, record, strict=True))
            if row["is_initial_deposit"] == "true":
                assert row["due_date"] == cases[(row["case_id"],)]["acceptance_date"]
                continue
            if (row["case_id"], row["due_date"]) in off:
                seen_off.add((row["case_id"], row["due_date"]))
                continue
            due = date.fromisoformat(row["due_date"])
            assert (due.month, due.day) in SAMM_DUE_DAYS, row
            first_due[row["case_id"]] = min(first_due.get(row["case_id"], "9999"), row["due_date"])
    assert seen_off == off
    for case_id, due in first_due.items():
        accepted = date.fromisoformat(cases[(case_id,)]["acceptance_date"])
        assert due == _samm_first_payment(accepted).isoformat(), (case_id, accepted, due)


def _samm_first_payment(accepted: date) -> date:
    """SAMM Table C9.T12, read straight from the table."""
    md, y = (accepted.month, accepted.day), accepted.year
    if (9, 11) <= md <= (12, 10):
        return date(y + 1, 3, 15)
    if md >= (12, 11):
        return date(y + 1, 6, 15)
    if md <= (3, 10):
        return date(y, 6, 15)
    if md <= (6, 10):
        return date(y, 9, 15)
    return date(y, 12, 15)


def test_collections_belong_to_their_cases_purchaser(clean):
    out, _ = clean
    cases = _latest(out, "cases")
    collections = _latest(out, "collections").values()
    assert any(r["case_id"] == "" for r in collections)  # holding account receipts
    assert any(r["amount"].startswith("-") for r in collections)  # refunds
    for r in collections:
        if r["case_id"]:
            assert r["country_code"] == cases[(r["case_id"],)]["country_code"]


def test_dailies_carry_new_rows_and_corrections(clean):
    out, manifest = clean
    kinds = {(c["entity"], c["kind"]) for c in manifest["corrections"]}
    assert ("deliveries", "re-priced from E to A") in kinds
    assert ("deliveries", "reversal (quantity 0, value 0.00)") in kinds
    assert ("cases", "moved to SUPPLY_SERVICE_COMPLETE") in kinds
    assert ("expenditures", "amount corrected") in kinds
    history = {
        r["delivery_id"]: r
        for r in _rows(out / "landing" / "20261031-00-history" / "deliveries.csv")
    }
    repriced = [
        r
        for _, path in _files(out)
        if path.stem == "deliveries" and "history" not in path.parent.name
        for r in _rows(path)
        if r["delivery_id"] in history and history[r["delivery_id"]]["price_code"] == "E"
    ]
    assert repriced and all(r["price_code"] == "A" for r in repriced)


# -- dirty data ----------------------------------------------------------------------------


def test_dirty_run_injects_every_reason_with_one_problem_each(dirty):
    out, manifest = dirty
    reasons = Counter(i["expected_reason_code"] for i in manifest["injected"])
    assert set(reasons) == set(REASONS)
    records = {}
    for batch, path in _files(out):
        if path.suffix == ".csv":
            records[(batch, path.name)] = _records(path)
    for item in manifest["injected"]:
        entity = ENTITY_BY_NAME[item["entity"]]
        record = records[(item["batch"], item["file"])][item["row_number"] - 1]
        reason = item["expected_reason_code"]
        if reason == "MALFORMED_ROW":
            assert len(record) != len(entity.columns) or any(
                "\udcff" in field for field in record
            ), item
            continue
        assert len(record) == len(entity.columns), item
        row = dict(zip(entity.column_names, record, strict=True))
        if reason == "MISSING_VALUE":
            assert any(row[c.name] == "" for c in entity.columns if c.required), item
        elif reason == "FUTURE_DATE":
            assert any(row[c.name].startswith("2099") for c in entity.columns if c.event_date)
        elif reason == "DUPLICATE_KEY":
            earlier = records[(item["batch"], item["file"])][: item["row_number"] - 1]
            key = [entity.column_names.index(k) for k in entity.key]
            assert any([r[i] for i in key] == [record[i] for i in key] for r in earlier), item


def test_dirty_rows_come_on_top_of_the_clean_rows(clean, dirty):
    clean_out, _ = clean
    dirty_out, _ = dirty
    for batch, path in _files(clean_out):
        if path.suffix != ".csv":
            continue
        mine = Counter(map(tuple, _records(path)))
        theirs = Counter(map(tuple, _records(dirty_out / "landing" / batch / path.name)))
        if path.stem == "cases" and batch in ("20261101-01-daily", "20261102-02-daily"):
            continue  # the late case's row moves to the next batch in a dirty run
        assert not mine - theirs, (batch, path.name)


def test_late_arrival_lines_and_deliveries_come_a_batch_before_their_case(dirty):
    out, manifest = dirty
    late = [i for i in manifest["injected"] if i["handling"] == "quarantine_then_resolve"]
    assert {i["expected_reason_code"] for i in late} == {"UNKNOWN_CASE", "UNKNOWN_LINE"}
    case_id = manifest["late_arrival"]["case_id"]
    batch, case_batch = {i["batch"] for i in late}, {i["resolved_in_batch"] for i in late}
    assert batch == {manifest["late_arrival"]["lines_and_deliveries_batch"]}
    assert case_batch == {manifest["late_arrival"]["case_batch"]}
    (batch,), (case_batch,) = batch, case_batch
    assert batch < case_batch
    for item in late:
        record = _records(out / "landing" / item["batch"] / item["file"])[item["row_number"] - 1]
        assert record[ENTITY_BY_NAME[item["entity"]].column_names.index("case_id")] == case_id
    arrivals = [
        b
        for b, path in _files(out)
        if path.stem == "cases" and any(r["case_id"] == case_id for r in _rows(path))
    ]
    assert arrivals == [case_batch]


def test_suspicious_rows_are_valid_and_listed(dirty):
    out, manifest = dirty
    over = [s for s in manifest["suspicious"] if s["kind"] == "OVER_DELIVERED"]
    assert over
    lines = _latest(out, "case_lines", manifest)
    delivered = Counter()
    for row in _latest(out, "deliveries", manifest).values():
        delivered[(row["case_id"], row["line_number"])] += int(row["quantity"])
    for s in over:
        key = (s["case_id"], str(s["line_number"]))
        assert delivered[key] > int(lines[key]["ordered_quantity"])


def test_progress_is_reported_monotonically_to_the_end(tmp_path):
    calls = []
    generate(tmp_path, "small", seed=4, progress=lambda s, d, t: calls.append((s, d, t)))
    assert len(calls) > 5
    assert {t for _, _, t in calls} == {100}
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and done[-1] == 100
    assert all(isinstance(s, str) and s for s, _, _ in calls)


def test_every_entity_has_rows_in_the_history_batch(clean):
    _, manifest = clean
    history = manifest["batches"][0]["files"]
    assert {info["entity"] for info in history.values()} == {e.name for e in ENTITIES}
    assert all(info["rows"] > 0 for info in history.values())


def test_the_dirty_rate_is_the_share_of_bad_rows_added_to_each_file(tmp_path):
    rate = 0.3
    manifest = generate(tmp_path, "small", seed=0, dirty_rate=rate)
    bad, late = Counter(), Counter()
    for i in manifest["injected"]:
        late_row = i["handling"] == "quarantine_then_resolve"
        (late if late_row else bad)[(i["batch"], i["file"])] += 1
    assert set(Counter(i["expected_reason_code"] for i in manifest["injected"])) == set(REASONS)
    for batch in manifest["batches"]:
        for name, info in batch["files"].items():
            key = (batch["name"], name)
            if name.endswith(".parquet"):
                assert key not in bad
                continue
            clean_rows = info["rows"] - bad[key]  # late rows are clean rows quarantined for now
            assert bad[key] == math.ceil(rate * clean_rows), key


def test_generate_without_the_developer_tools_says_so_in_one_line(tmp_path):
    # A runtime install has no tools/: importing the generator fails as it would there.
    code = (
        "import sys; sys.modules['tools.generate'] = None\n"
        "from app.cli import main\n"
        "sys.argv = ['fms', 'generate', '--out', sys.argv[1]]\n"
        "main()"
    )
    out = tmp_path / "generated"
    run = subprocess.run(
        [sys.executable, "-c", code, str(out)], capture_output=True, text=True, timeout=120
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 2, printed
    assert printed.count("error:") == 1 and "Traceback" not in printed
    assert "fms generate needs the developer tools (tools/, the dev extra)" in printed
    assert not out.exists()
