"""Every fault around a run is one `error:` line and exit 2, through the real command line.

A fault the run can see before it starts (a setting, a folder it cannot write, a file where a
folder should be, a warehouse that is not DuckDB, a lock file that is not its own) is refused
before Prefect is imported (`PYTHONPROFILEIMPORTTIME` lists every import: none of Prefect's)
and before anything is created. A fault met during the run (a full disk) fails the step with
the reason, still on one line. We run as root, for whom `chmod` does not make a folder
read-only: read-only folders are read-only mounts (skipped where mounting is refused).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from fms.warehouse import connect
from tests.handbuilt import insert, open_warehouse
from tests.landing import COUNTRY, DELIVERY, LINE, case, write_batch

FMS = Path(sys.executable).with_name("fms")
AS_OF = "2026-11-05"
# The contract says within a second; the bound leaves room for a loaded CI machine, and the
# absence of Prefect's imports is what proves the check ran first.
REFUSED_WITHIN_SECONDS = 5.0


@dataclass(frozen=True)
class Refusal:
    returncode: int
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error: ")]

    @property
    def imported(self) -> set[str]:
        """Top-level packages imported, from PYTHONPROFILEIMPORTTIME's lines."""
        names = set()
        for line in self.stderr.splitlines():
            if line.startswith("import time:") and "|" in line:
                names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
        return names


def fms(cwd: Path, *args: str, timeout: float = 600, **env: str) -> Refusal:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FMS_"))}
    environment |= {"PREFECT_HOME": str(cwd / "prefect-home"), "FMS_TODAY": AS_OF} | env
    started = time.monotonic()
    done = subprocess.run(
        [str(FMS), *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Refusal(done.returncode, done.stderr, time.monotonic() - started)


def assert_one_error_line(result: Refusal, *words: str) -> str:
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "leaked" not in result.stderr, result.stderr[-3000:]  # nothing left for the exit
    assert len(result.error_lines) == 1, result.stderr[-3000:]
    line = result.error_lines[0]
    for word in words:
        assert word in line
    return line


def refuse(cwd: Path, *args: str, **env: str) -> Refusal:
    """Run `fms` with the import profile on: refused before Prefect, in one line."""
    result = fms(cwd, *args, timeout=120, PYTHONPROFILEIMPORTTIME="1", **env)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "typer" in result.imported, "the import profile was not written"
    assert not {"prefect", "great_expectations"} & result.imported
    assert result.seconds < REFUSED_WITHIN_SECONDS
    return result


@contextmanager
def mounted_tmpfs(folder: Path, options: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root in CI")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount_read_only(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def closure(warehouse: Path, out: Path) -> tuple[str, ...]:
    return ("run", "closure", "--warehouse", str(warehouse), "--out", str(out), "--as-of", AS_OF)


def test_a_read_only_warehouse_folder_is_one_line(tmp_path):
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        result = refuse(tmp_path, *closure(ro / "fms.duckdb", tmp_path / "out"))
    assert_one_error_line(result, "--warehouse", str(ro), "read-only file system")
    assert not (tmp_path / "out").exists()


def test_a_warehouse_on_a_file_system_made_read_only_is_one_line(tmp_path):
    with mounted_tmpfs(tmp_path / "ro", "size=4m") as folder:
        duckdb.connect(str(folder / "fms.duckdb")).close()
        remount_read_only(folder)
        result = refuse(tmp_path, *closure(folder / "fms.duckdb", tmp_path / "out"))
    assert_one_error_line(result, str(folder / "fms.duckdb"), "read-only file system")


def test_a_read_only_output_folder_is_one_line(tmp_path):
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        result = refuse(tmp_path, *closure(tmp_path / "w" / "fms.duckdb", ro))
    assert_one_error_line(result, "--out", str(ro), "read-only file system")
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize("out", ["a-file", "a-file/below"])
def test_an_output_folder_that_is_a_file_is_one_line(tmp_path, out):
    (tmp_path / "a-file").write_text("not a folder")
    result = refuse(tmp_path, *closure(tmp_path / "w" / "fms.duckdb", tmp_path / out))
    assert_one_error_line(result, "--out", f"{tmp_path / 'a-file'} is a file, not a folder")
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_a_warehouse_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / "w").mkdir()
    result = refuse(tmp_path, *closure(tmp_path / "w", tmp_path / "out"))
    assert_one_error_line(result, f"--warehouse {tmp_path / 'w'} is a folder")


@pytest.mark.parametrize("content", [b"", b"id,amount\n1,2.00\n"], ids=["empty", "a-csv"])
def test_a_warehouse_file_that_is_not_duckdb_is_one_line(tmp_path, content):
    (tmp_path / "fms.duckdb").write_bytes(content)
    result = refuse(tmp_path, *closure(tmp_path / "fms.duckdb", tmp_path / "out"))
    assert_one_error_line(result, "is not a DuckDB database file")
    assert (tmp_path / "fms.duckdb").read_bytes() == content


def test_a_warehouse_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "w").write_text("not a folder")
    result = refuse(tmp_path, *closure(tmp_path / "w" / "fms.duckdb", tmp_path / "out"))
    assert_one_error_line(result, "--warehouse", f"{tmp_path / 'w'} is a file, not a folder")


@pytest.mark.parametrize("landing", ["a-file", "missing"])
def test_a_landing_that_is_not_a_folder_is_one_line(tmp_path, landing):
    (tmp_path / "a-file").write_text("not a folder")
    args = ("run", "nightly", "--landing", str(tmp_path / landing), "--as-of", AS_OF)
    args += ("--warehouse", str(tmp_path / "w" / "fms.duckdb"), "--out", str(tmp_path / "out"))
    result = refuse(tmp_path, *args)
    assert_one_error_line(result, f"--landing {tmp_path / landing}")
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FMS_TIMEZONE", "Mars/Olympus"),
        ("FMS_TIMEZONE", "../../etc/passwd"),
        ("FMS_TODAY", "2026-13-45"),
        ("FMS_TODAY", "20261105"),
        ("FMS_DUCKDB_MEMORY_LIMIT", "lots"),
    ],
)
def test_a_setting_that_cannot_be_used_is_one_line_naming_the_variable(tmp_path, variable, value):
    result = refuse(
        tmp_path, *closure(tmp_path / "w" / "fms.duckdb", tmp_path / "out"), **{variable: value}
    )
    assert_one_error_line(result, f"{variable}={value!r}")
    assert not (tmp_path / "w").exists() and not (tmp_path / "out").exists()


def test_a_lock_file_that_is_a_link_is_one_line_and_its_target_keeps_its_bytes(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"someone else's file\n")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "fms.duckdb.lock").symlink_to(precious)
    result = refuse(tmp_path, *closure(tmp_path / "w" / "fms.duckdb", tmp_path / "out"))
    assert_one_error_line(result, f"lock file {tmp_path / 'w' / 'fms.duckdb.lock'} is a link")
    assert precious.read_bytes() == b"someone else's file\n"


def test_a_full_disk_under_the_warehouse_is_one_line_naming_it(tmp_path, prefect_api):
    landing = tmp_path / "landing"
    deliveries = [DELIVERY | {"delivery_id": f"D{i}", "quantity": "0"} for i in range(20_000)]
    write_batch(
        landing,
        "20261031-00-history",
        {"countries": [COUNTRY], "cases": [case()], "case_lines": [LINE]},
    )
    write_batch(landing, "20261101-01-daily", {"deliveries": deliveries})
    with mounted_tmpfs(tmp_path / "small", "size=1536k") as small:
        args = ("run", "nightly", "--landing", str(landing), "--as-of", AS_OF)
        args += ("--warehouse", str(small / "fms.duckdb"), "--out", str(tmp_path / "out"))
        result = fms(tmp_path, *args, **prefect_api.environment())
    line = assert_one_error_line(result, "No space left on device")
    assert "step '" in line and str(small) in line
    assert "Retry 1/2" not in result.stderr  # a full disk waits for someone: never retried


def test_a_temporary_server_that_cannot_start_is_one_line_with_its_reason(tmp_path):
    (tmp_path / "landing").mkdir()
    nightly = ("run", "nightly", "--landing", str(tmp_path / "landing"), "--as-of", AS_OF)
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        result = fms(
            tmp_path,
            *nightly,
            *("--warehouse", str(tmp_path / "w" / "fms.duckdb"), "--out", str(tmp_path / "out")),
            timeout=300,
            PREFECT_HOME=str(ro / "prefect"),
        )
    assert_one_error_line(result, "temporary Prefect server", "unable to open database file")


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        ("ro,size=1m", "read-only file system"),
        ("size=256k", "No space left on device"),
        (None, "is a file, not a folder"),
    ],
    ids=["read-only", "full", "a-file"],
)
def test_fms_generate_into_a_folder_it_cannot_fill_is_one_line(tmp_path, mount, expected):
    if mount is None:
        (tmp_path / "target").write_text("not a folder")
        result = fms(tmp_path, "generate", "--out", str(tmp_path / "target"), timeout=120)
    else:
        with mounted_tmpfs(tmp_path / "target", mount) as target:
            result = fms(tmp_path, "generate", "--out", str(target / "gen"), timeout=120)
    assert_one_error_line(result, str(tmp_path / "target"), expected)


def billing(warehouse: Path, out: Path, period_end: str) -> tuple[str, ...]:
    return ("run", "quarterly-billing", "--warehouse", str(warehouse), "--out", str(out)) + (
        "--period-end",
        period_end,
    )


def test_a_warehouse_that_is_not_there_is_a_typo_for_every_job_but_the_nightly(tmp_path):
    typo = tmp_path / "w" / "fms.duckb"
    (tmp_path / "w").mkdir()
    result = refuse(tmp_path, *closure(typo, tmp_path / "out"))
    assert_one_error_line(result, f"--warehouse {typo}: no such warehouse", "fms run nightly")
    assert list((tmp_path / "w").iterdir()) == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "period_end, today, words",
    [
        ("2026-09-29", AS_OF, ("2026-09-29 is not a quarter end", "did you mean 2026-09-30?")),
        ("2026-10-02", AS_OF, ("2026-10-02 is not a quarter end", "did you mean 2026-09-30?")),
        # The nearest quarter end has not ended: the last one that has is suggested.
        ("2026-12-30", "2026-12-01", ("did you mean 2026-09-30?",)),
        (
            "2026-12-31",
            "2026-12-01",
            ("that quarter is not over on 2026-12-01", "the last one that has is 2026-09-30"),
        ),
        # On a quarter's last day its statements are not yet due (the day is not over).
        ("2026-09-30", "2026-09-30", ("the last one that has is 2026-06-30",)),
    ],
)
def test_a_period_end_that_cannot_be_billed_is_refused_with_the_date_to_give(
    tmp_path, period_end, today, words
):
    warehouse = tmp_path / "fms.duckdb"
    duckdb.connect(str(warehouse)).close()
    result = refuse(tmp_path, *billing(warehouse, tmp_path / "out", period_end), FMS_TODAY=today)
    assert_one_error_line(result, f"--period-end {period_end}", *words)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "as_of, words",
    [
        ("2026-10-15", ("--as-of 2026-10-15 is not a quarter end", "did you mean 2026-09-30?")),
        ("2026-12-31", ("that quarter is not over on 2026-12-01", "2026-09-30")),
    ],
)
def test_a_review_date_that_is_not_a_quarter_end_over_is_refused_with_the_date_to_give(
    tmp_path, as_of, words
):
    warehouse = tmp_path / "fms.duckdb"
    duckdb.connect(str(warehouse)).close()
    review = ("run", "payment-schedule-review", "--warehouse", str(warehouse))
    out = ("--out", str(tmp_path / "out"), "--as-of", as_of)
    result = refuse(tmp_path, *review, *out, FMS_TODAY="2026-12-01")
    assert_one_error_line(result, *words)
    assert not (tmp_path / "out").exists()


def two_purchasers(tmp_path: Path) -> Path:
    con = open_warehouse(tmp_path, "fms.duckdb")
    insert(con, "countries", {"country_code": "UK"}, {"country_code": "FR"})
    insert(con, "cases", {"case_id": "UK-D-AAA"}, {"case_id": "FR-D-AAB"})
    con.close()
    return tmp_path / "fms.duckdb"


@pytest.mark.parametrize(
    "selection, words",
    [
        (("--purchaser", "UJ"), ("--purchaser UJ: the warehouse holds no such purchaser", "UK?")),
        (("--purchaser", "xx"), ("--purchaser XX:", "its purchasers: FR, UK")),
        (("--case", "uk-d-aab"), ("--case UK-D-AAB: the warehouse holds no such case", "FR-D-AAB")),
        (
            ("--case", "UK-D-ZZZ"),
            ("--case UK-D-ZZZ: the warehouse holds no such case", "UK's cases: UK-D-AAA"),
        ),
        (("--purchaser", "uk", "--case", "FR-D-AAB"), ("FR-D-AAB is purchaser FR's, not UK's",)),
    ],
)
def test_a_purchaser_or_case_the_warehouse_does_not_hold_is_refused_naming_close_ones(
    tmp_path, selection, words
):
    warehouse = two_purchasers(tmp_path)
    result = refuse(tmp_path, *closure(warehouse, tmp_path / "out"), *selection)
    assert_one_error_line(result, *words)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("tables", [False, True], ids=["no-tables", "tables-no-rows"])
def test_a_warehouse_with_no_data_is_refused_saying_how_to_load_it(tmp_path, tables):
    warehouse = tmp_path / "fms.duckdb"
    if tables:  # what any run leaves that loaded nothing
        with connect(warehouse):
            pass
    else:
        duckdb.connect(str(warehouse)).close()
    result = refuse(tmp_path, *closure(warehouse, tmp_path / "out"), "--purchaser", "UK")
    assert_one_error_line(result, "holds no FMS data yet", "fms run nightly")


def test_a_damaged_warehouse_is_one_line(tmp_path):
    warehouse = tmp_path / "fms.duckdb"
    warehouse.write_bytes(b"\0" * 8 + b"DUCK" + b"not a database, whatever its first bytes" * 200)
    result = refuse(tmp_path, *closure(warehouse, tmp_path / "out"))
    assert_one_error_line(result, f"--warehouse {warehouse} cannot be opened")


def test_a_nightly_without_a_landing_is_refused_saying_how_to_configure_one(tmp_path):
    args = ("run", "nightly", "--warehouse", str(tmp_path / "w" / "fms.duckdb"))
    result = refuse(tmp_path, *args, "--out", str(tmp_path / "out"))
    assert_one_error_line(result, "no landing folder is configured", "FMS_LANDING", "fms_landing")
    assert not (tmp_path / "w").exists() and not (tmp_path / "out").exists()
