"""A quarter's new statement revisions, their `publications` row and the quarter's statement
folder commit together: a step that fails before COMMIT (a full disk writing a statement, the
folder's swap undone as when COMMIT fails) leaves neither the revision nor its files, and the
next run publishes both."""

from __future__ import annotations

import errno
from decimal import Decimal

import pytest

from fms.billing.publication import publish_statements
from fms.billing.statements import build_billing_statements
from fms.failpoints import fault
from tests.billing.builders import E
from tests.billing.worked_example import insert_worked_example
from tests.handbuilt import d, insert, open_warehouse

FULL = OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def con(tmp_path):
    con = open_warehouse(tmp_path)
    insert_worked_example(con, "XX-D-W01", "Exampleland")
    insert_worked_example(con, "YY-D-W01", "Otherland")
    yield con
    con.close()


def _publish(con, out, run_id):
    build_billing_statements(con, E)
    return publish_statements(con, E, "staging.billing_statements", out, run_id=run_id)


def _published(con, out) -> tuple:
    rows = con.execute(
        "SELECT country_code, revision FROM main.purchaser_statements ORDER BY ALL"
    ).fetchall()
    runs = con.execute(
        "SELECT run_id, job, as_of, out_dir FROM publications ORDER BY ALL"
    ).fetchall()
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    return rows, runs, files


def _correct_xx(con) -> None:
    # XX's 10 Jun 2026 collection was 600,000, not 1,000,000: revision 2 of XX's statement.
    insert(
        con,
        "collections",
        {
            "collection_id": "XX-D-W01-C5",
            "case_id": "XX-D-W01",
            "received_date": d("2026-06-10"),
            "amount": Decimal("600000.00"),
        },
    )


def test_a_published_revision_is_recorded_as_a_publication_of_its_folder(con, tmp_path):
    out = tmp_path / "2026Q3"
    _publish(con, out, "run-1")
    rows, runs, files = _published(con, out)
    assert rows == [("XX", 1), ("YY", 1)]
    assert runs == [("run-1", "quarterly-billing", E, str(out))]
    assert out.is_symlink() and "statement_XX_2026Q3_r1.xlsx" in files


@pytest.mark.parametrize(
    ("point", "nth"),
    [
        ("atomic_path.written", 1),  # the first file of revision 2
        ("atomic_path.written", 2),  # its second
        ("run_folder.prepared", 1),  # the swap's links and intent made
        ("run_folder.swapped", 1),  # the folder swapped in: undone, as when COMMIT fails
    ],
)
def test_a_revision_and_its_files_are_published_together_or_not_at_all(con, tmp_path, point, nth):
    out = tmp_path / "2026Q3"
    _publish(con, out, "run-1")
    before = _published(con, out)
    _correct_xx(con)
    with fault(point, FULL, nth), pytest.raises(OSError, match="No space left"):
        _publish(con, out, "run-2")
    assert _published(con, out) == before
    result = _publish(con, out, "run-3")
    assert result.published == {"XX": 2}
    rows, runs, files = _published(con, out)
    assert rows == [("XX", 1), ("XX", 2), ("YY", 1)]
    assert [r[0] for r in runs] == ["run-1", "run-3"]
    assert files["statement_XX_2026Q3_r1.xlsx"] == before[2]["statement_XX_2026Q3_r1.xlsx"]
    assert "statement_XX_2026Q3_r2_differences.csv" in files


@pytest.mark.usefixtures("prefect_harness")
def test_a_billing_run_failing_after_its_statements_committed_says_they_were_published(
    con, tmp_path
):
    from flows.quarterly_billing import quarterly_billing

    con.close()  # the flow opens the warehouse itself
    warehouse, out = tmp_path / "test.duckdb", tmp_path / "out"
    statements = out / "quarterly-billing" / "2026Q3"
    # The second swap of the run is its record folder's (runs/<quarter>-<run>), after the
    # statements' commit.
    with fault("run_folder.prepared", FULL, 2), pytest.raises(OSError) as failed:
        quarterly_billing(period_end=E, warehouse=warehouse, out=out)
    assert f"published before the failure: {statements}" in failed.value.__notes__
    assert "statement_XX_2026Q3_r1.xlsx" in {p.name for p in statements.iterdir()}
