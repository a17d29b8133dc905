"""Load batch folders into the warehouse: all of a batch or none of it.

For each new batch, in one transaction and in entity order (countries, cases, lines, ...):
1. read the file as text into `raw_input` (CSV records DuckDB cannot parse, and those the
   line scan keeps from it, are quarantined `MALFORMED_ROW`); 2. type and check every row in
   one query (`row_checks`); 3. mark later rows of a key seen earlier in the file
   `DUPLICATE_KEY`; 4. check references against the current tables; 5. append clean rows
   to `<entity>_history`, quarantine the rest with their reasons; 6. retry rows quarantined
   earlier only for a missing reference; 7. recompute the current row of every key touched;
   8. write `load_log`.
A batch already loaded with the same files is skipped, so rerunning a landing changes nothing.
A new batch loads only once its folder holds `_SUCCESS` (fms.ingest.success_marker): until
then it waits, and every new batch after it waits behind it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from fms.contract import ENTITIES, REASONS, RETRYABLE_REASONS, Entity
from fms.failpoints import failpoint
from fms.ingest.batch_files import (
    BATCH_NAME,
    MAX_LINE_BYTES,
    Batch,
    BatchFile,
    BatchFileError,
    list_batch_folders,
    read_batch,
    read_new_batch,
)
from fms.ingest.csv_lines import STRAY_CR, TOO_LONG, UNCLOSED_QUOTE, readable_path
from fms.ingest.file_signatures import record_signatures, unchanged_since_loaded
from fms.ingest.parquet_types import RefusedColumn, refused_columns
from fms.ingest.row_checks import reference_check_query, row_check_query
from fms.ingest.success_marker import MARKER, marker_present
from fms.sqlfiles import read_sql

# The `row` of a malformed record keeps its first bytes only (DuckDB keeps no more of a record
# it rejects): the quarantine names the record, it does not hold a 200 MB field.
REJECT_KEPT_BYTES = 10_000
# Clean records per bucket when numbering them around rejected ones.
REJECT_BUCKET = 4096
# The parameters of the macros stating a quarantined row's reasons (quarantine_reasons.sql).
REASON_PARAMS = {"reason_order": list(REASONS), "retryable": sorted(RETRYABLE_REASONS)}


@dataclass
class EntityLoad:
    entity: str
    file: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_resolved: int = 0


@dataclass
class BatchResult:
    batch: str
    # "loaded"; "skipped" (already loaded with the same files); "waiting" (no `_SUCCESS`
    # yet, or behind a batch that has none)
    status: str
    batch_seq: int | None = None
    entities: list[EntityLoad] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(e.rows_loaded for e in self.entities)

    @property
    def rows_quarantined(self) -> int:
        return sum(e.rows_quarantined for e in self.entities)

    @property
    def rows_resolved(self) -> int:
        return sum(e.rows_resolved for e in self.entities)


def load_new_batches(
    con: duckdb.DuckDBPyConnection, landing: Path, load_date: date
) -> list[BatchResult]:
    """Load every complete batch folder under `landing` not yet loaded, in name order.

    Stops at the first batch that cannot load (its error names the file and the problem):
    later batches may correct or refer to it, so they wait for it. A batch without `_SUCCESS`
    and the new ones after it are "waiting".
    """
    return [
        load_batch(con, read_new_batch(folder), load_date)
        if state == "new"
        else BatchResult(folder.name, state)
        for folder, state in batch_states(con, landing)
    ]


def batch_states(con: duckdb.DuckDBPyConnection, landing: Path) -> Iterator[tuple[Path, str]]:
    """Each batch folder under `landing` in name order, with what to do with it: "skipped"
    (loaded, unchanged; a changed one raises BatchFileError), "new" (complete, to load) or
    "waiting" (no `_SUCCESS` yet, or a new batch behind one that has none: name order holds).
    Lazy: a caller loading each new batch before asking for the next sees it loaded."""
    waiting = False
    for folder in list_batch_folders(landing):
        if not is_new_batch(con, folder):
            yield folder, "skipped"
        elif not BATCH_NAME.match(folder.name):
            yield folder, "new"  # no batch may have this name: read_batch refuses it loudly
        elif waiting or not marker_present(folder):
            waiting = True
            yield folder, "waiting"
        else:
            yield folder, "new"


def is_new_batch(con: duckdb.DuckDBPyConnection, folder: Path) -> bool:
    """True when no batch of this name was loaded. A loaded one is not new when its files
    have the signatures recorded for it (fms.ingest.file_signatures), or else the checksums it
    loaded with (no line scan; then their signatures are recorded anew); changed, it raises
    BatchFileError. A name no batch may have was never loaded: read_batch says why it is
    refused."""
    if not BATCH_NAME.match(folder.name):
        return True
    row = con.execute("SELECT files FROM batches WHERE batch = $b", {"b": folder.name}).fetchone()
    if row is None:
        return True
    if unchanged_since_loaded(con, folder, json.loads(row[0])):
        return False
    batch = read_batch(folder, scan_lines=False)
    batch_already_loaded(con, batch)  # raises when the content changed
    if batch.signatures:
        # Times or inodes moved (a touch, a chmod, a copy) but not the content.
        con.execute("BEGIN TRANSACTION")
        try:
            record_signatures(con, batch.name, batch.signatures)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return False


def batch_already_loaded(con: duckdb.DuckDBPyConnection, batch: Batch) -> bool:
    """True when loaded with identical files; an error when loaded with different content."""
    row = con.execute("SELECT files FROM batches WHERE batch = $b", {"b": batch.name}).fetchone()
    if row is None:
        return False
    loaded: dict[str, str] = json.loads(row[0])
    now = batch.checksums
    changed = sorted(
        name for name in loaded.keys() | now.keys() if loaded.get(name) != now.get(name)
    )
    if changed:
        what = ", ".join(f"{n} ({_change(n, loaded, now)})" for n in changed)
        raise BatchFileError(
            batch.name,
            changed[0],
            f"this batch was already loaded and its files differ now: {what}. "
            "Send corrections as a new batch",
        )
    return True


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def _change(name: str, before: dict[str, str], now: dict[str, str]) -> str:
    if name not in before:
        return "added"
    if name not in now:
        return "removed"
    return "content changed"


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch, load_date: date) -> BatchResult:
    """Load one batch in a single transaction: all of it or, on any error, none of it."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(read_sql("ingest/row_rules") + read_sql("ingest/quarantine_reasons"))
        seq = con.execute("SELECT coalesce(max(batch_seq), 0) + 1 FROM batches").fetchone()[0]
        loaded_at = datetime.now(UTC).replace(tzinfo=None)
        con.execute(
            "INSERT INTO batches VALUES ($b, $seq, $files, $at, $d)",
            {
                "b": batch.name,
                "seq": seq,
                "files": json.dumps(batch.checksums, sort_keys=True),
                "at": loaded_at,
                "d": load_date,
            },
        )
        record_signatures(con, batch.name, batch.signatures)
        result = BatchResult(batch.name, "loaded", seq)
        by_entity = {f.entity.name: f for f in batch.files}
        for entity in ENTITIES:
            file = by_entity.get(entity.name)
            outcome = EntityLoad(entity.name, file.name if file else None)
            if file is not None:
                try:
                    _load_file(con, batch.name, seq, file, load_date, loaded_at, outcome)
                except duckdb.Error as exc:
                    # A file that passed the header check but cannot be read to the end.
                    raise BatchFileError(
                        batch.name, file.name, f"could not be read ({_first_line(exc)})"
                    ) from exc
                _check_listed_rows(batch, file, outcome.rows_read)
            outcome.rows_resolved = _retry_quarantined(con, entity, batch.name, load_date)
            failpoint("load_batch.entity_loaded")
            if file is not None or outcome.rows_resolved:
                result.entities.append(outcome)
        failpoint("load_batch.before_commit")
        con.execute("COMMIT")
        failpoint("load_batch.committed")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP VIEW IF EXISTS temp.raw_input")
        for table in (
            "raw_read",
            "raw_rejects",
            "raw_reject_scans",
            "raw_reject_shift",
            "raw_malformed",
            "judged",
            "touched",
        ):
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    return result


def _check_listed_rows(batch: Batch, file: BatchFile, rows_read: int) -> None:
    """The file holds as many data records as its batch's `_SUCCESS` lists, counted as the
    load read them (no second pass over the file); raised inside the batch's transaction."""
    listed = batch.listed_rows.get(file.name)
    if listed is not None and rows_read != listed:
        raise BatchFileError(
            batch.name,
            file.name,
            f"it holds {rows_read:,} data record(s) where {MARKER} lists {listed:,}: send the "
            f"file again, or a {MARKER} that lists what was sent",
        )


# --- reading a file into raw_input -----------------------------------------------------------
# Temp table raw_read holds the text of the rows to judge with their trace; temp view raw_input
# numbers them (always a view, so one DROP VIEW clears it).


def _read_into_raw_input(
    con: duckdb.DuckDBPyConnection, batch: str, seq: int, file: BatchFile
) -> int:
    """raw_read from the file's records, raw_input numbering them; return the count of
    malformed CSV records, which are quarantined here.

    DuckDB reads a CSV file, or the copy of it the line scan asks for (fms.ingest.csv_lines);
    the records it rejects and those the scan kept from it are the malformed ones. Every
    record the scan counted must be read or malformed: a record never disappears."""
    entity = file.entity
    reader, options = "read_parquet($path)", {}
    if file.format == "csv":
        reader = (
            "read_csv($path, header = true, auto_detect = false, columns = $columns, "
            "delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            "store_rejects = true, rejects_table = 'raw_rejects', "
            "rejects_scan = 'raw_reject_scans', max_line_size = $max_line)"
        )
        options = {"columns": {name: "VARCHAR" for name in file.header}, "max_line": MAX_LINE_BYTES}
        for table in ("raw_rejects", "raw_reject_scans"):
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")
    text = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in entity.column_names)
    with readable_path(file.path, file.lines) as path:  # a Parquet file is read as it is
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_read AS SELECT $batch AS _batch, "
            f"$seq AS _batch_seq, $file AS _file, NULL::VARCHAR AS _raw, {text} FROM {reader}",
            {"batch": batch, "seq": seq, "file": file.name, "path": str(path)} | options,
        )
    malformed = 0
    if file.format == "csv":
        malformed = _collect_malformed(con, file)
        read = con.execute("SELECT count(*) FROM raw_read").fetchone()[0]
        if read + malformed != file.lines.records:
            raise BatchFileError(
                batch,
                file.name,
                f"DuckDB read {read + malformed:,} records where the line scan counts "
                f"{file.lines.records:,}: a quote is written so that the two read it "
                'differently (such as a quoted field, spaces and another quote: "a" "b"); '
                "quote each field whole and send the file again",
            )
    # Malformed records have their numbers; clean records keep file order in raw_read.
    # Interleave both into one 1-based ordinal. Temp-table rowids start at an offset but are
    # consecutive in insertion (= file) order.
    ordinal = "rowid - (SELECT min(rowid) FROM raw_read) + 1"
    names = ", ".join(f'"{c}"' for c in entity.column_names)
    if malformed == 0:
        # The usual case: a view numbering raw_read's rows, not a second copy of the file.
        con.execute(
            "CREATE OR REPLACE TEMP VIEW raw_input AS SELECT _batch, _batch_seq, _file, "
            f"{ordinal} AS _row_number, _raw, {names} FROM raw_read"
        )
        return 0
    _number_around_rejects(con, ordinal, names)
    con.execute(
        read_sql("ingest/quarantine_malformed_records"),
        {"batch": batch, "file": file.name, "entity": entity.name, "kept": REJECT_KEPT_BYTES},
    )
    return malformed


def _collect_malformed(con: duckdb.DuckDBPyConnection, file: BatchFile) -> int:
    """Temp table raw_malformed: the records DuckDB rejected and those the line scan kept
    from it, by record number, with their text (the start of a long one), size (NULL: over
    what DuckDB keeps of a record) and reason."""
    unreadable = file.lines.unreadable
    texts = []
    with file.path.open("rb") as fh:
        for start, length in zip(unreadable["start"], unreadable["length"], strict=True):
            fh.seek(int(start))
            texts.append(fh.read(min(int(length), REJECT_KEPT_BYTES)).decode("utf-8", "replace"))
    reasons = [
        _unreadable_reason(int(problems), int(length))
        for problems, length in zip(unreadable["problems"], unreadable["length"], strict=True)
    ]
    con.execute(
        read_sql("ingest/collect_malformed_records"),
        {
            "blank_lines": list(file.lines.blank_lines),
            "kept": REJECT_KEPT_BYTES,
            "numbers": unreadable["number"].tolist(),
            "texts": texts,
            "lengths": unreadable["length"].tolist(),
            "reasons": reasons,
        },
    )
    return con.execute("SELECT count(*) FROM raw_malformed").fetchone()[0]


def _unreadable_reason(problems: int, length: int) -> str:
    found = []
    if problems & STRAY_CR:
        found.append("stray carriage return (a CR outside quotes not followed by LF)")
    if problems & TOO_LONG:
        found.append(f"line size over maximum ({length:,} bytes, more than {MAX_LINE_BYTES:,})")
    if problems & UNCLOSED_QUOTE:
        found.append("unclosed quote (the record runs to the end of the file)")
    return "MALFORMED_ROW: " + ", ".join(found)


def _number_around_rejects(con: duckdb.DuckDBPyConnection, ordinal: str, names: str) -> None:
    """View raw_input numbering raw_read's k-th clean record with the k-th ordinal that is
    not a malformed record's, shifted by the malformed records before it
    (fms/sql/ingest/shift_around_rejects.sql) joined on k's bucket: a view, not a renumbered
    copy of the file. (Generated: its columns are the entity's, and a view takes no bound
    parameters, so the bucket width is this code's constant.)"""
    con.execute(read_sql("ingest/shift_around_rejects"), {"w": REJECT_BUCKET})
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW raw_input AS
        SELECT n._batch, n._batch_seq, n._file,
            n.k + sh.before + len(list_filter(sh.inside, lambda s: s < n.k)) AS _row_number,
            n._raw, {names}
        FROM (SELECT {ordinal} AS k, * FROM raw_read) AS n
        JOIN raw_reject_shift AS sh ON sh.bucket = (n.k - 1) // {REJECT_BUCKET}
        """
    )


# --- judging and applying rows ---------------------------------------------------------------


def _judge(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    load_date: date,
    check_duplicates: bool,
    refused: dict[str, RefusedColumn] | None = None,
) -> None:
    """Create temp table `judged`: every row of raw_input, typed, with all its problems
    (`refused`: columns that fail every row, fms.ingest.parquet_types).

    One statement (typing, row checks, duplicates, references), so the rows are materialized
    once."""
    checked, params = row_check_query(entity, load_date, refused)
    deduped = "SELECT * FROM checked"
    if check_duplicates:
        key = ", ".join(f'"{k}"' for k in entity.key)
        key_given = " AND ".join(f'"{k}" IS NOT NULL' for k in entity.key)
        deduped = f"""
            SELECT * REPLACE (
                CASE WHEN {key_given} AND row_number() OVER (
                        PARTITION BY {key} ORDER BY _row_number) > 1
                    THEN list_append(problems, {{'code': 'DUPLICATE_KEY',
                        'detail': 'key already given earlier in this file'}})
                    ELSE problems END AS problems)
            FROM checked
        """
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE judged AS WITH checked AS ({checked}), "
        f"deduped AS ({deduped}) {reference_check_query(entity, 'deduped')}",
        params,
    )


def _insert_clean_rows(
    con: duckdb.DuckDBPyConnection, entity: Entity, loaded_in: str, newest: bool
) -> None:
    """Append judged's clean rows to history and make the current rows of their keys right.

    `newest`: the rows come from a file of the batch being loaded, so each is the latest
    version of its key (the batch is the latest loaded, and a key given twice in a file is
    quarantined): they replace their keys' current rows as they are. Retried rows keep their
    own, older batch and may be superseded: the current row of each key they touch is its
    latest version in history (latest batch loaded, then latest row), whichever order the
    versions arrived in."""
    cols = ", ".join(f'"{c}"' for c in entity.column_names)
    clean = (
        f"SELECT {cols}, _batch, _batch_seq, _file, _row_number, $loaded_in FROM judged "
        "WHERE len(problems) = 0"
    )
    con.execute(f"INSERT INTO {entity.name}_history {clean}", {"loaded_in": loaded_in})
    if newest:
        has_rows = con.execute(f"SELECT EXISTS (SELECT 1 FROM {entity.name})").fetchall()[0][0]
        if has_rows:  # a first load of an entity has nothing to replace
            _delete_touched_keys(con, entity)
        con.execute(f"INSERT INTO {entity.name} {clean}", {"loaded_in": loaded_in})
        return
    match = _delete_touched_keys(con, entity)
    con.execute(
        f"""
        INSERT INTO {entity.name}
        SELECT x.* FROM {entity.name}_history AS x SEMI JOIN touched AS t ON {match}
        QUALIFY row_number() OVER (
            PARTITION BY {", ".join(f'x."{k}"' for k in entity.key)}
            ORDER BY x.batch_seq DESC, x.source_row DESC) = 1
        """
    )


def _delete_touched_keys(con: duckdb.DuckDBPyConnection, entity: Entity) -> str:
    """Delete the current rows of the keys of judged's clean rows, kept in temp table
    `touched`; return the join condition on them."""
    key = ", ".join(f'"{k}"' for k in entity.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE touched AS SELECT DISTINCT {key} FROM judged "
        "WHERE len(problems) = 0"
    )
    match = " AND ".join(f'x."{k}" = t."{k}"' for k in entity.key)
    con.execute(f"DELETE FROM {entity.name} AS x USING touched AS t WHERE {match}")
    return match


def _load_file(
    con: duckdb.DuckDBPyConnection,
    batch: str,
    seq: int,
    file: BatchFile,
    load_date: date,
    loaded_at: datetime,
    outcome: EntityLoad,
) -> None:
    entity = file.entity
    malformed = _read_into_raw_input(con, batch, seq, file)
    refused = {}
    if file.format == "parquet":  # the columns whose type cannot carry their values exactly
        types = con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($path))",
            {"path": str(file.path)},
        ).fetchall()
        refused = refused_columns(entity, dict(types))
    _judge(con, entity, load_date, check_duplicates=True, refused=refused)
    raw_json = "json_object(" + ", ".join(f"'{c}', r.\"{c}\"" for c in file.header) + ")"
    con.execute(
        f"""
        INSERT INTO quarantine BY NAME
        SELECT j._batch AS batch, $entity AS entity, j._file AS file, _row_number AS row_number,
            {raw_json} AS "row",
            primary_reason_code(j.problems, $reason_order) AS reason_code,
            reason_text(j.problems, $reason_order) AS reason,
            waits_for_reference(j.problems, $retryable) AS retryable
        FROM judged AS j JOIN raw_input AS r USING (_row_number)
        WHERE len(j.problems) > 0
        """,
        {"entity": entity.name} | REASON_PARAMS,
    )
    # The file's text is no longer needed: free its memory before the largest inserts.
    con.execute("DROP VIEW temp.raw_input")
    con.execute("DROP TABLE temp.raw_read")
    _insert_clean_rows(con, entity, batch, newest=True)
    amount = entity.control_amount
    amount_sql = (
        f"""sum("{amount}"), sum("{amount}") FILTER (len(problems) = 0),
            sum("{amount}") FILTER (len(problems) > 0),
            count(*) FILTER (len(problems) > 0 AND "{amount}" IS NULL) + $malformed"""
        if amount
        else "NULL, NULL, NULL, NULL"
    )
    row = con.execute(
        f"""
        INSERT INTO load_log
        SELECT $batch, $entity, $file, $sha, count(*) + $malformed,
            count(*) FILTER (len(problems) = 0), count(*) FILTER (len(problems) > 0) + $malformed,
            $amount_column, {amount_sql}, $loaded_at
        FROM judged
        RETURNING rows_read, rows_loaded, rows_quarantined
        """,
        {
            "batch": batch,
            "entity": entity.name,
            "file": file.name,
            "sha": file.sha256,
            "malformed": malformed,
            "amount_column": amount,
            "loaded_at": loaded_at,
        },
    ).fetchone()
    outcome.rows_read, outcome.rows_loaded, outcome.rows_quarantined = row


def _retry_quarantined(
    con: duckdb.DuckDBPyConnection, entity: Entity, batch: str, load_date: date
) -> int:
    """Load rows quarantined only for a missing reference that now resolves; mark them
    resolved in this batch. They keep their own batch, file and row as their trace."""
    text_cols = ", ".join(
        f'json_extract_string(q."row", \'$."{c}"\') AS "{c}"' for c in entity.column_names
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE raw_read AS
        SELECT q.batch AS _batch, b.batch_seq AS _batch_seq, q.file AS _file,
            q.row_number AS _row_number, q."row" AS _raw, {text_cols}
        FROM quarantine AS q JOIN batches AS b USING (batch)
        WHERE q.entity = $e AND q.resolved_in_batch IS NULL AND q.retryable
        """,
        {"e": entity.name},
    )
    if con.execute("SELECT count(*) FROM raw_read").fetchone()[0] == 0:
        return 0
    con.execute("CREATE OR REPLACE TEMP VIEW raw_input AS SELECT * FROM raw_read")
    # Rows from different batches may share a row number: the trace is (batch, row number).
    _judge(con, entity, load_date, check_duplicates=False)
    _insert_clean_rows(con, entity, batch, newest=False)
    resolved = con.execute(
        read_sql("ingest/mark_resolved_rows"), {"batch": batch, "e": entity.name}
    ).fetchone()[0]
    con.execute(read_sql("ingest/restate_retried_rows"), {"e": entity.name} | REASON_PARAMS)
    return resolved
