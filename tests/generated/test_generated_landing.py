"""A generated dirty landing, loaded whole: every injected bad row is quarantined with the
reason its manifest says, and rows and dollars reconcile per entity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from fms.contract import ENTITIES
from fms.ingest.load_batch import load_new_batches
from fms.warehouse import connect
from tests.landing import fingerprint
from tools.generate import generate

LOAD_DATE = date(2026, 11, 22)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    manifest = generate(root / "data", "small", seed=11, dirty_rate=0.03)
    warehouse = root / "w.duckdb"
    with connect(warehouse) as con:
        load_new_batches(con, root / "data" / "landing", LOAD_DATE)
    return manifest, warehouse, root / "data" / "landing"


def test_every_injected_bad_row_is_quarantined_with_the_manifests_reason(loaded):
    manifest, warehouse, _ = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = {
            (b, f, n): (code, resolved)
            for b, f, n, code, resolved in con.execute(
                "SELECT batch, file, row_number, reason_code, resolved_in_batch FROM quarantine"
            ).fetchall()
        }
    expected = {
        (i["batch"], i["file"], i["row_number"]): (
            i["expected_reason_code"],
            i.get("resolved_in_batch"),
        )
        for i in manifest["injected"]
    }
    assert len(expected) > 50
    assert len({code for code, _ in expected.values()}) >= 15  # many kinds of bad row
    assert got == expected  # nothing missed, nothing extra, the right reason for each


def test_rows_and_dollars_reconcile_per_entity(loaded):
    manifest, warehouse, _ = loaded
    written = {}
    for batch in manifest["batches"]:
        for spec in batch["files"].values():
            written[spec["entity"]] = written.get(spec["entity"], 0) + spec["rows"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for entity in ENTITIES:
            read, loaded_rows, quarantined, amount_read, amount_loaded, amount_q = con.execute(
                "SELECT sum(rows_read), sum(rows_loaded), sum(rows_quarantined), "
                "sum(amount_read), sum(amount_loaded), sum(amount_quarantined) "
                "FROM load_log WHERE entity = $e",
                {"e": entity.name},
            ).fetchone()
            assert read == written[entity.name] == loaded_rows + quarantined, entity.name
            resolved = con.execute(
                "SELECT count(*) FROM quarantine WHERE entity = $e AND resolved_in_batch "
                "IS NOT NULL",
                {"e": entity.name},
            ).fetchone()[0]
            history = con.execute(f"SELECT count(*) FROM {entity.name}_history").fetchone()[0]
            assert history == loaded_rows + resolved, entity.name
            if entity.control_amount:
                assert amount_read == amount_loaded + amount_q, entity.name
                in_history = con.execute(
                    f'SELECT coalesce(sum("{entity.control_amount}"), 0) '
                    f"FROM {entity.name}_history WHERE loaded_in_batch = batch"
                ).fetchone()[0]
                assert Decimal(in_history) == amount_loaded, entity.name


def test_suspicious_but_valid_rows_load(loaded):
    manifest, warehouse, _ = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for item in manifest["suspicious"]:
            if item["kind"] == "OVER_DELIVERED":
                over = con.execute(
                    "SELECT sum(d.quantity) > any_value(l.ordered_quantity) FROM deliveries d "
                    "JOIN case_lines l USING (case_id, line_number) "
                    "WHERE case_id = $c AND line_number = $n",
                    {"c": item["case_id"], "n": item["line_number"]},
                ).fetchone()[0]
                assert over, item
            if item["kind"] == "OFF_SCHEDULE_DUE_DATE":
                found = con.execute(
                    "SELECT count(*) FROM payment_schedules WHERE case_id = $c "
                    "AND due_date = $d AND NOT is_initial_deposit",
                    {"c": item["case_id"], "d": date.fromisoformat(item["due_date"])},
                ).fetchone()[0]
                assert found == 1, item


def test_reloading_the_generated_landing_changes_nothing(loaded, tmp_path):
    _, warehouse, landing = loaded
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(Path(warehouse).read_bytes())
    with connect(copy) as con:
        before = fingerprint(con)
        results = load_new_batches(con, landing, LOAD_DATE)
        assert {r.status for r in results} == {"skipped"}
        assert fingerprint(con) == before


def test_current_tables_hold_exactly_the_latest_version_of_each_key(loaded):
    """The current tables carry no key constraint: the load itself keeps one row per key, the
    latest version in history (latest batch, then latest row). Checked against history here,
    on a landing with corrections, late rows and rows retried from quarantine."""
    _, warehouse, _ = loaded
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for entity in ENTITIES:
            key = ", ".join(f'"{k}"' for k in entity.key)
            latest = f"""
                SELECT * FROM {entity.name}_history
                QUALIFY row_number() OVER (
                    PARTITION BY {key} ORDER BY batch_seq DESC, source_row DESC) = 1
            """
            rows, keys = con.execute(
                f"SELECT count(*), count(DISTINCT ({key})) FROM {entity.name}"
            ).fetchone()
            assert rows == keys, entity.name
            differ = con.execute(
                f"SELECT count(*) FROM ((SELECT * FROM {entity.name} EXCEPT ALL {latest}) "
                f"UNION ALL ({latest} EXCEPT ALL SELECT * FROM {entity.name}))"
            ).fetchone()[0]
            assert differ == 0, entity.name
            assert rows > 0, entity.name
