"""A real `fms run nightly`, as a user starts it (its own temporary Prefect server, no
PREFECT_API_URL), exposes nothing: the server it starts listens on the loopback interface only;
the warehouse, its folder and every output folder and file are closed to other users; and the
run's log names rows by keys and counts, never by the amounts or case data of the rows it
quarantined (those stay in the quarantine table, which is data). And once its process has ended,
nothing it opened is left open or running, and everything it had to say was printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.crash.state import world_readable
from tests.exposure.sockets import listening_in_tree
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

FMS = Path(sys.executable).with_name("fms")
TODAY = "2026-11-05"
# Amounts and ids of quarantined rows: they must not reach the log.
BAD_DELIVERY = DELIVERY | {"delivery_id": "DLV-PRIVATE-7", "delivered_value": "-987654.32"}
BAD_LINE = LINE | {"line_number": "2", "line_value": "12345.678"}  # three decimals
LOADED_AMOUNTS = ("1000000.00", "4000000.00")


@dataclass(frozen=True)
class RealRun:
    returncode: int
    output: str
    data: Path
    listening: set[tuple[str, int]]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> RealRun:
    root = tmp_path_factory.mktemp("real-run")
    landing = root / "landing"
    write_batch(
        landing,
        "20261031-00-history",
        {
            "countries": [COUNTRY],
            "cases": [case()],
            "case_lines": [LINE, BAD_LINE],
            "deliveries": [DELIVERY, BAD_DELIVERY],
        },
    )
    data = root / "data"  # none of its folders exist yet: the run creates them all
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "FMS_FAILPOINT")}
    env |= {
        "PREFECT_HOME": str(root / "prefect"),
        "PREFECT_LOGGING_LEVEL": "INFO",  # everything a run logs, on the console too
        "FMS_TODAY": TODAY,
    }
    command = [
        str(FMS),
        "run",
        "nightly",
        "--verbose",  # every line a run can print is checked
        "--landing",
        str(landing),
        "--warehouse",
        str(data / "warehouse" / "fms.duckdb"),
        "--out",
        str(data / "out"),
        "--as-of",
        TODAY,
    ]
    seen: set[tuple[str, int]] = set()
    log = (root / "run.log").open("w+")
    with subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT) as process:
        deadline = time.monotonic() + 600
        while process.poll() is None and time.monotonic() < deadline:
            seen |= listening_in_tree(process.pid)
            time.sleep(0.2)
        if process.poll() is None:
            process.kill()
    log.seek(0)
    return RealRun(process.returncode, log.read(), data, seen)


def test_the_run_succeeds(real_run):
    assert real_run.returncode == 0, real_run.output[-3000:]


def test_the_temporary_prefect_server_of_a_run_listens_on_loopback_only(real_run):
    assert real_run.listening, "no listening socket seen: the run started no Prefect server?"
    assert {address for address, _ in real_run.listening} <= {"127.0.0.1", "::1"}


def test_the_warehouse_and_every_output_folder_and_file_are_closed_to_other_users(real_run):
    warehouse = real_run.data / "warehouse" / "fms.duckdb"
    published = real_run.data / "out" / "nightly" / TODAY
    assert warehouse.exists() and (published / "data_docs" / "index.html").exists()
    assert world_readable(real_run.data) == []


def test_quarantined_amounts_and_ids_stay_in_the_quarantine_table_not_in_the_log(real_run):
    for secret in ("987654.32", "12345.678", "DLV-PRIVATE-7", *LOADED_AMOUNTS):
        assert secret not in real_run.output
    assert "quarantined" in real_run.output  # the log does report the counts
    warehouse = real_run.data / "warehouse" / "fms.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reasons = con.execute(
            "SELECT entity, row_number, reason_code FROM quarantine ORDER BY ALL"
        ).fetchall()
    assert reasons == [("case_lines", 2, "BAD_AMOUNT"), ("deliveries", 2, "NEGATIVE_AMOUNT")]


def test_once_the_process_has_ended_nothing_it_opened_is_left_open_or_running(real_run):
    warehouse = real_run.data / "warehouse" / "fms.duckdb"
    # DuckDB checkpoints and removes its write-ahead log when the connection is closed; a
    # connection left for the garbage collector would leave the log behind.
    assert not warehouse.with_name("fms.duckdb.wal").exists()
    for address, port in real_run.listening:  # the temporary Prefect server was stopped
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=2).close()
    # Everything was written out: the summary down to its last line, which names the run
    # report, and then the temporary server's stop.
    lines = real_run.output.splitlines()
    report = real_run.data / "out" / "nightly" / TODAY / "run_report.html"
    assert report.exists()
    printed = lines.index(f"run report: {report}")
    assert any("Stopping temporary server" in line for line in lines[printed:])
    assert not [line for line in lines if "leaked" in line]  # Python's teardown found all closed
