"""Publishing quarterly statements: records that are never overwritten (fms-domain.md).

Revisions are per purchaser and quarter: a purchaser whose statement did not change keeps its
revision while another purchaser's correction becomes revision 2 of that purchaser's statement.

`publish_statements` compares the candidate statements of a full run with the latest published
revision of each purchaser's statement for the quarter:
- nothing published yet: revision 1;
- any field of the purchaser's statement or of one of its cases differs (a case appeared or
  disappeared too): revision n+1, with its difference report (per case: field, old, new);
- identical: nothing changes: no new rows, no rewritten files.
The database is the record; files render it. New revisions are inserted in one transaction,
then the files are written as one staged folder (old files kept). A crash in between is repaired
by the next run, which writes any missing file of a latest revision from the database.

An ad-hoc run (purchaser or case filter) never publishes: `write_adhoc_statements` writes its
files to the folder it is given and touches no published table.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.billing.documents import StatementFiles, statement_stem, write_statement_files
from fms.billing.statements import FULL_RUN, build_purchaser_statements
from fms.billing.tables import (
    CANDIDATE_CASE_STATEMENTS,
    CANDIDATE_PURCHASER_STATEMENTS,
    checked_candidate_table,
    checked_table_name,
    create_published_statement_tables,
)
from fms.billing.timeline import billing_timeline
from fms.failpoints import failpoint
from fms.outputs import staged_folder
from fms.sqlfiles import read_sql


@dataclass(frozen=True)
class PublicationResult:
    period_end: date
    out_dir: Path
    published: dict[str, int] = field(default_factory=dict)  # purchaser -> its new revision
    unchanged: dict[str, int] = field(default_factory=dict)  # purchaser -> its standing revision
    # Purchasers published for the quarter with no case in the candidate: left as published.
    withdrawn: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()  # files written by this call

    @property
    def changed(self) -> bool:
        return bool(self.published)


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
    published_at: datetime | None = None,
) -> PublicationResult:
    """Publish the candidate statements of `period_end` as new revisions where they differ.

    `candidate_table`: case statements built by `build_billing_statements` (full run).
    `purchaser_table`: rebuilt here from the candidate (so the two always agree).
    `out_dir`: the quarter's statement folder (e.g. data/out/quarterly-billing/2026Q3).
    """
    if out_dir is None:
        raise ValueError("out_dir is required: the folder of the quarter's statement files")
    out_dir = Path(out_dir)
    billing_timeline(period_end)  # a clear error for a date that is not a quarter end
    check_full_run_candidate(con, period_end, candidate_table)
    build_purchaser_statements(con, period_end, candidate_table, table=purchaser_table)
    create_published_statement_tables(con)
    params = {
        "period_end": period_end,
        "candidate_cases": candidate_table,
        "candidate_purchasers": checked_table_name(purchaser_table),
    }
    con.execute(
        "CREATE OR REPLACE TEMP TABLE billing_candidate_differences AS "
        + read_sql("billing_statement_differences"),
        params,
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

    if new_revisions:
        _insert_revisions(con, params, new_revisions, published_at)
        failpoint("publish_statements.revisions_inserted")
    standing = {**unchanged, **new_revisions}
    to_write = {
        cc: rev
        for cc, rev in standing.items()
        if cc in new_revisions or not _files_present(out_dir, cc, period_end, rev)
    }
    files: tuple[Path, ...] = ()
    if to_write:
        files = _write_published_files(con, period_end, out_dir, to_write)
    return PublicationResult(
        period_end=period_end,
        out_dir=out_dir,
        published=new_revisions,
        unchanged=unchanged,
        withdrawn=withdrawn,
        files=files,
    )


def latest_revisions(con: duckdb.DuckDBPyConnection, period_end: date) -> dict[str, int]:
    """Latest published revision of each purchaser's statement of `period_end`."""
    create_published_statement_tables(con)
    rows = _records(
        con,
        "SELECT country_code, max(revision) AS revision FROM main.purchaser_statements "
        "WHERE period_end = $e GROUP BY country_code",
        {"e": period_end},
    )
    return {r["country_code"]: r["revision"] for r in rows}


def _insert_revisions(
    con: duckdb.DuckDBPyConnection,
    params: dict,
    new_revisions: dict[str, int],
    published_at: datetime | None,
) -> None:
    stamp = published_at or datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE billing_new_revisions "
        "(country_code VARCHAR PRIMARY KEY, revision INTEGER NOT NULL)"
    )
    con.executemany(
        "INSERT INTO billing_new_revisions VALUES (?, ?)", sorted(new_revisions.items())
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            read_sql("billing_publish_case_revisions"),
            {k: params[k] for k in ("period_end", "candidate_cases")} | {"published_at": stamp},
        )
        con.execute(
            read_sql("billing_publish_purchaser_revisions"),
            {k: params[k] for k in ("period_end", "candidate_purchasers")}
            | {"published_at": stamp},
        )
        con.execute(read_sql("billing_publish_differences"), {"period_end": params["period_end"]})
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def expected_files(country_code: str, period_end: date, revision: int) -> list[str]:
    stem = statement_stem(country_code, period_end, revision)
    names = [f"{stem}.xlsx", f"{stem}.csv"]
    if revision > 1:
        names.append(f"{stem}_differences.csv")
    return names


def _files_present(out_dir: Path, country_code: str, period_end: date, revision: int) -> bool:
    return all((out_dir / n).exists() for n in expected_files(country_code, period_end, revision))


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
    con: duckdb.DuckDBPyConnection, period_end: date, out_dir: Path, to_write: dict[str, int]
) -> tuple[Path, ...]:
    written: list[Path] = []
    with staged_folder(out_dir) as staging:
        _keep_existing(out_dir, staging)
        for country, revision in sorted(to_write.items()):
            key = {"cc": country, "e": period_end, "rev": revision}
            purchaser = _records(
                con,
                "SELECT * FROM main.purchaser_statements "
                "WHERE country_code = $cc AND period_end = $e AND revision = $rev",
                key,
            )[0]
            cases = _records(
                con,
                "SELECT * FROM main.billing_statements "
                "WHERE country_code = $cc AND period_end = $e AND revision = $rev "
                "ORDER BY case_id",
                key,
            )
            differences = _records(
                con,
                "SELECT * FROM main.billing_statement_differences "
                "WHERE country_code = $cc AND period_end = $e AND revision = $rev ORDER BY line",
                key,
            )
            files = write_statement_files(staging, purchaser, cases, revision, differences)
            written.extend(out_dir / p.name for p in files.paths)
    return tuple(written)


def write_adhoc_statements(
    con: duckdb.DuckDBPyConnection,
    period_end: date,
    candidate_table: str,
    out_dir: Path,
    *,
    purchaser_table: str = CANDIDATE_PURCHASER_STATEMENTS,
) -> tuple[Path, ...]:
    """Write the statement files of an ad-hoc (or any) candidate run to `out_dir`, as one staged
    folder. No revision is assigned and no published table is read or written."""
    billing_timeline(period_end)
    build_purchaser_statements(con, period_end, candidate_table, table=purchaser_table)
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
            files: StatementFiles = write_statement_files(staging, purchaser, cases, None)
            written.extend(Path(out_dir) / p.name for p in files.paths)
    return tuple(written)
