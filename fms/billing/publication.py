"""Publishing quarterly statements: records that are never overwritten (README.md).

Revisions are per purchaser and quarter: a purchaser whose statement did not change keeps its
revision while another purchaser's correction becomes revision 2 of that purchaser's statement.

`publish_statements` compares the candidate statements of a full run with the latest published
revision of each purchaser's statement for the quarter:
- nothing published yet: revision 1;
- any field of the purchaser's statement or of one of its cases differs (a case appeared or
  disappeared too): revision n+1, with its difference report (per case: field, old, new);
- identical: nothing changes: no new rows, no rewritten files.
The revisions and their files commit together (`fms.publication.commit_with_folder`): in one
transaction the new revisions and a `publications` row are inserted, the quarter's folder is
written as a new version (the files of earlier revisions carried over as hard links) from the
rows just inserted, the folder's name is swapped to it, and the transaction commits; any
failure before COMMIT leaves both as they were. A latest revision whose files are missing (a
folder published before this rule, or a file deleted by hand) gets them rewritten from the
database, with no new revision.

Each purchaser's quarterly delivery listing (`fms.billing.delivery_listing`) is rebuilt here from
the same candidate statements and published with its statement: its rows go to
`main.delivery_listing` with the new revision, in the same transaction as the statement rows,
and its file (`delivery_listing_<CC>_<YYYYQn>_r<rev>.csv`, and a sheet of the workbook) into the
same folder version. A listing changes only with a statement revision: one whose statement did
not change keeps the listing published with it.

An ad-hoc run (purchaser or case filter) never publishes: `write_adhoc_statements` writes its
files to the folder it is given and touches no published table; a run of one case names its
files after the case (`statement_UK_2026Q3_adhoc_UK-D-AAB.xlsx`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.billing.delivery_listing import CANDIDATE_DELIVERY_LISTING, build_delivery_listing
from fms.billing.documents import listing_stem, statement_stem, write_statement_files
from fms.billing.statements import FULL_RUN, build_purchaser_statements, selection_label
from fms.billing.tables import (
    CANDIDATE_CASE_STATEMENTS,
    CANDIDATE_PURCHASER_STATEMENTS,
    checked_candidate_table,
    checked_table_name,
)
from fms.billing.timeline import billing_timeline
from fms.failpoints import failpoint
from fms.outputs import staged_folder
from fms.publication import commit_with_folder, latest_batch_seq, record_publication, settle_folder
from fms.run_folder import RunFolder
from fms.sqlfiles import read_sql
from fms.warehouse import create_published_tables

JOB = "quarterly-billing"  # its row in `publications`


@dataclass(frozen=True)
class PublicationResult:
    published: dict[str, int] = field(default_factory=dict)  # purchaser -> its new revision
    unchanged: dict[str, int] = field(default_factory=dict)  # purchaser -> its standing revision
    # Purchasers published for the quarter with no case in the candidate: left as published.
    withdrawn: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()  # files written by this call


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    # On the connection itself, not a cursor: the temp tables of a publication are per connection.
    result = con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def check_full_run_candidate(
    con: duckdb.DuckDBPyConnection, period_end: date, candidate_table: str
) -> None:
    """Only a full run of `period_end` may become a published revision."""
    rows = _records(
        con,
        "SELECT DISTINCT period_end, selection FROM query_table($t)",
        {"t": checked_candidate_table(candidate_table)},
    )
    for row in rows:
        if row["selection"] != FULL_RUN:
            raise ValueError(
                f"{candidate_table} is an ad-hoc run ({row['selection']}): ad-hoc statements are "
                "never published; write them with write_adhoc_statements"
            )
        if row["period_end"] != period_end:
            raise ValueError(
                f"{candidate_table} holds statements of {row['period_end']}, not {period_end}"
            )


def publish_statements(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    candidate_table: str = CANDIDATE_CASE_STATEMENTS,
    out_dir: Path | None = None,
    *,
    purchaser_table: str = CANDIDATE_PURCHASER_STATEMENTS,
    listing_table: str = CANDIDATE_DELIVERY_LISTING,
    published_at: datetime | None = None,
    run_id: str | None = None,
) -> PublicationResult:
    """Publish the candidate statements of `period_end` as new revisions where they differ.

    `candidate_table`: case statements built by `build_billing_statements` (full run).
    `purchaser_table`, `listing_table`: rebuilt here from the candidate (so they always agree).
    `out_dir`: the quarter's statement folder (e.g. data/out/quarterly-billing/2026Q3).
    `run_id`: the run's id in `publications` (default: a new one).
    """
    if out_dir is None:
        raise ValueError("out_dir is required: the folder of the quarter's statement files")
    out_dir = Path(out_dir)
    run_id = run_id or str(uuid.uuid4())
    billing_timeline(period_end)  # a clear error for a date that is not a quarter end
    check_full_run_candidate(con, period_end, candidate_table)
    settle_folder(con, out_dir)  # a run killed between its folder swap and its COMMIT
    build_purchaser_statements(con, period_end, candidate_table, table=purchaser_table)
    build_delivery_listing(con, period_end, listing_table, statements_table=candidate_table)
    create_published_tables(con)
    params = {
        "period_end": period_end,
        "candidate_cases": candidate_table,
        "candidate_purchasers": checked_table_name(purchaser_table),
        "candidate_listing": listing_table,
    }
    con.execute(
        "CREATE OR REPLACE TEMP TABLE billing_candidate_differences AS "
        + read_sql("publish/billing_statement_differences"),
        {k: v for k, v in params.items() if k != "candidate_listing"},
    )
    purchasers = [
        r["country_code"]
        for r in _records(
            con,
            "SELECT country_code FROM query_table($t) WHERE period_end = $e",
            {"t": purchaser_table, "e": period_end},
        )
    ]
    latest = latest_revisions(con, period_end)
    differing = {
        r["country_code"]
        for r in _records(
            con, "SELECT DISTINCT country_code FROM billing_candidate_differences", {}
        )
    }
    new_revisions = {cc: latest.get(cc, 0) + 1 for cc in purchasers if cc in differing}
    unchanged = {cc: latest[cc] for cc in purchasers if cc not in differing}
    withdrawn = tuple(sorted(set(latest) - set(purchasers)))

    missing = {
        cc: rev
        for cc, rev in unchanged.items()
        if not _files_present(con, out_dir, cc, period_end, rev)
    }
    files: tuple[Path, ...] = ()
    if new_revisions or missing:
        files = _publish_folder(con, params, out_dir, run_id, new_revisions, missing, published_at)
    return PublicationResult(
        published=new_revisions,
        unchanged=unchanged,
        withdrawn=withdrawn,
        files=files,
    )


def _publish_folder(
    con: duckdb.DuckDBPyConnection,
    params: dict,
    out_dir: Path,
    run_id: str,
    new_revisions: dict[str, int],
    missing: dict[str, int],
    published_at: datetime | None,
) -> tuple[Path, ...]:
    """A new version of the quarter's folder: the files already there, the `missing` files of
    standing revisions, and the files of `new_revisions`, which commit with their rows."""
    period_end = params["period_end"]
    folder = RunFolder(out_dir, run_id[:8])
    try:
        _keep_existing(out_dir, folder.work)
        if not new_revisions:  # only files to put back: the folder's swap is the commit
            files = _write_published_files(con, period_end, folder.work, out_dir, missing)
            folder.publish()
            return files
        _stage_new_revisions(con, new_revisions)
        with commit_with_folder(con, folder, run_id):
            _insert_revisions(con, params, published_at)
            record_publication(con, run_id, JOB, period_end, latest_batch_seq(con), out_dir)
            failpoint("publish_statements.revisions_inserted")
            return _write_published_files(
                con, period_end, folder.work, out_dir, missing | new_revisions
            )
    except BaseException:
        folder.discard()
        raise


def latest_revisions(con: duckdb.DuckDBPyConnection, period_end: date) -> dict[str, int]:
    """Latest published revision of each purchaser's statement of `period_end`."""
    create_published_tables(con)
    rows = _records(
        con,
        "SELECT country_code, max(revision) AS revision FROM main.purchaser_statements "
        "WHERE period_end = $e GROUP BY country_code",
        {"e": period_end},
    )
    return {r["country_code"]: r["revision"] for r in rows}


def _stage_new_revisions(con: duckdb.DuckDBPyConnection, new_revisions: dict[str, int]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE billing_new_revisions "
        "(country_code VARCHAR PRIMARY KEY, revision INTEGER NOT NULL)"
    )
    con.executemany(
        "INSERT INTO billing_new_revisions VALUES (?, ?)", sorted(new_revisions.items())
    )


def _insert_revisions(
    con: duckdb.DuckDBPyConnection, params: dict, published_at: datetime | None
) -> None:
    """The revisions of `billing_new_revisions`, inside the caller's transaction."""
    stamp = published_at or datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        read_sql("publish/billing_publish_case_revisions"),
        {k: params[k] for k in ("period_end", "candidate_cases")} | {"published_at": stamp},
    )
    con.execute(
        read_sql("publish/billing_publish_purchaser_revisions"),
        {k: params[k] for k in ("period_end", "candidate_purchasers")} | {"published_at": stamp},
    )
    con.execute(
        read_sql("publish/billing_publish_differences"), {"period_end": params["period_end"]}
    )
    con.execute(
        read_sql("publish/billing_publish_delivery_listing"),
        {k: params[k] for k in ("period_end", "candidate_listing")} | {"published_at": stamp},
    )


def _files_present(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    country_code: str,
    period_end: date,
    revision: int,
) -> bool:
    """The files `write_statement_files` writes for the revision (a difference report from
    revision 2 on, a delivery listing when it has lines) are all in `out_dir`."""
    stem = statement_stem(country_code, period_end, revision)
    names = [f"{stem}.xlsx", f"{stem}.csv"] + ([f"{stem}_differences.csv"] if revision > 1 else [])
    key = {"cc": country_code, "e": period_end, "rev": revision}
    if _records(con, read_sql("publish/billing_select_delivery_listing"), key):
        names.append(f"{listing_stem(country_code, period_end, revision)}.csv")
    return all((out_dir / n).exists() for n in names)


def _keep_existing(out_dir: Path, staging: Path) -> None:
    """Carry the folder's current files into the staged publication (hard links: not rewritten)."""
    if not out_dir.exists():
        return
    for entry in out_dir.iterdir():
        target = staging / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target)
            continue
        try:
            os.link(entry, target)
        except OSError:
            shutil.copy2(entry, target)


def _write_published_files(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    staging: Path,
    out_dir: Path,
    to_write: dict[str, int],
) -> tuple[Path, ...]:
    """The files of each purchaser's revision in `to_write`, from the published rows, into
    `staging` (the next version of `out_dir`); their paths once it is published."""
    written: list[Path] = []
    for country, revision in sorted(to_write.items()):
        key = {"cc": country, "e": period_end, "rev": revision}
        purchaser = _records(con, read_sql("publish/billing_select_purchaser_revision"), key)[0]
        cases = _records(con, read_sql("publish/billing_select_case_revisions"), key)
        differences = _records(con, read_sql("publish/billing_select_revision_differences"), key)
        listing = _records(con, read_sql("publish/billing_select_delivery_listing"), key)
        files = write_statement_files(
            staging, purchaser, cases, revision, differences, listing=listing
        )
        written.extend(out_dir / p.name for p in files)
    return tuple(written)


def write_adhoc_statements(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    candidate_table: str,
    out_dir: Path,
    *,
    purchaser_table: str = CANDIDATE_PURCHASER_STATEMENTS,
    listing_table: str = CANDIDATE_DELIVERY_LISTING,
    preliminary: bool = False,
) -> tuple[Path, ...]:
    """Write the statement files (and delivery listings) of an ad-hoc (or any) candidate run to
    `out_dir`, as one staged folder. No revision is assigned and no published table is written
    (the listing reads the previous quarter's published statements). `preliminary`: drafts,
    marked PRELIMINARY in their names and on every sheet."""
    billing_timeline(period_end)
    build_purchaser_statements(con, period_end, candidate_table, table=purchaser_table)
    build_delivery_listing(con, period_end, listing_table, statements_table=candidate_table)
    purchasers = _records(
        con,
        "SELECT * FROM query_table($t) WHERE period_end = $e ORDER BY country_code",
        {"t": checked_table_name(purchaser_table), "e": period_end},
    )
    written: list[Path] = []
    with staged_folder(Path(out_dir)) as staging:
        _keep_existing(Path(out_dir), staging)  # the folder may hold earlier ad-hoc runs
        for purchaser in purchasers:
            cases = _records(
                con,
                "SELECT * FROM query_table($t) WHERE period_end = $e AND country_code = $cc "
                "ORDER BY case_id",
                {"t": candidate_table, "e": period_end, "cc": purchaser["country_code"]},
            )
            listing = _records(
                con,
                "SELECT * FROM query_table($t) WHERE period_end = $e AND country_code = $cc "
                "ORDER BY case_id, kind, reported_date, delivery_id",
                {"t": listing_table, "e": period_end, "cc": purchaser["country_code"]},
            )
            files = write_statement_files(
                staging,
                purchaser,
                cases,
                None,
                case_id=single_case_run(cases),
                preliminary=preliminary,
                listing=listing,
            )
            written.extend(Path(out_dir) / p.name for p in files)
    return tuple(written)


def single_case_run(cases: list[dict]) -> str | None:
    """The case of an ad-hoc run of one case (`selection` on its candidate row), which its
    files are named after; None for any other run."""
    if len(cases) == 1 and cases[0].get("selection") == selection_label(None, cases[0]["case_id"]):
        return cases[0]["case_id"]
    return None
