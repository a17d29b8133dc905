"""The stages measured, each a function of a JSON-able spec, run alone in a fresh process
(`tools.benchmarks.stage`) so that its wall time and peak memory are its own.

The nightly's stages call the same `fms` functions its Prefect tasks call, in the same order,
on the same warehouse file, without Prefect. Parts of a stage are timed by wrapping the module
functions it calls (in this child process only), never by editing them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path

PartTimes = dict[str, float]


class Parts:
    """Seconds per named part of a stage; a part entered several times adds up. Exclusive:
    a part that runs inside another counts once, in the inner one (the parts sum to at most
    the stage's time)."""

    def __init__(self) -> None:
        self.seconds: PartTimes = {}
        self._inner: list[float] = []  # per open part: seconds spent in parts inside it

    @contextmanager
    def __call__(self, name: str):
        started = time.perf_counter()
        self._inner.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            inner = self._inner.pop()
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed - inner
            if self._inner:
                self._inner[-1] += elapsed

    def wrap(self, owner, attr: str, name: str) -> None:
        """Time every call of `owner.attr` (a module function or a method) under `name`."""
        original = getattr(owner, attr, None)
        if original is None:  # renamed upstream: the part is simply not reported
            return
        parts = self

        def timed(*args, **kwargs):
            with parts(name):
                return original(*args, **kwargs)

        setattr(owner, attr, timed)


# --- the floor and the pandas reference -------------------------------------------------------


def floor_duckdb(spec: dict, parts: Parts) -> dict:
    """Every input file of every batch into typed tables and nothing else: one table per
    entity (CREATE TABLE AS for its first file, INSERT for the next ones), fresh DuckDB file,
    the warehouse's memory limit. Rows DuckDB cannot type (the injected bad rows) are skipped
    (`ignore_errors`): the floor does no checking at all."""
    import duckdb

    from fms.contract import ENTITY_BY_NAME
    from fms.settings import duckdb_memory_limit
    from tools.benchmarks.data import input_files

    files = input_files(Path(spec["landing"]))
    con = duckdb.connect(spec["database"], config={"memory_limit": duckdb_memory_limit()})
    created: set[str] = set()
    rows = 0
    for f in files:
        entity = ENTITY_BY_NAME[f.entity]
        types = {c.name: c.sql_type for c in entity.columns}
        cols = ", ".join(f'"{c.name}"' for c in entity.columns)
        if f.format == "csv":
            source = (
                "read_csv($path, header = true, auto_detect = false, columns = $columns, "
                "delim = ',', quote = '\"', escape = '\"', ignore_errors = true)"
            )
            params = {"path": str(f.path), "columns": {c: types[c] for c in f.header}}
        else:
            source = "read_parquet($path)"
            casts = ", ".join(
                f'TRY_CAST("{c.name}" AS {c.sql_type}) AS "{c.name}"' for c in entity.columns
            )
            cols = casts
            params = {"path": str(f.path)}
        select = f"SELECT {cols} FROM {source}"
        with parts(f.entity):
            if f.entity in created:
                count = con.execute(f"INSERT INTO {f.entity} {select}", params).fetchone()
            else:
                count = con.execute(f"CREATE TABLE {f.entity} AS {select}", params).fetchone()
                created.add(f.entity)
        rows += count[0]
    with parts("checkpoint"):
        con.execute("CHECKPOINT")
    with parts("close"):
        con.close()
    return {"files": len(files), "rows": rows}


def pandas_read(spec: dict, parts: Parts) -> dict:
    """pandas reading the same files into frames (types inferred, nothing checked or kept),
    a reference for the floor."""
    import pandas as pd

    from tools.benchmarks.data import input_files

    engine = spec.get("engine", "c")
    rows = 0
    for f in input_files(Path(spec["landing"])):
        with parts(f.entity):
            if f.format == "csv":
                # Like the floor, skip what cannot be read (malformed records, bad bytes).
                frame = pd.read_csv(
                    f.path, engine=engine, on_bad_lines="skip", encoding_errors="replace"
                )
            else:
                frame = pd.read_parquet(f.path)
        rows += len(frame)
        del frame
    return {"rows": rows, "engine": engine}


# --- the nightly's stages ---------------------------------------------------------------------


def ingest(spec: dict, parts: Parts) -> dict:
    """fms.ingest.load_batch.load_new_batches: row checks, quarantine, history, current."""
    from fms.ingest import load_batch as lb
    from fms.warehouse import connect

    parts.wrap(lb, "read_new_batch", "inspect files (checksums, header, line scan)")
    parts.wrap(lb, "_read_into_raw_input", "read file into raw_input")
    parts.wrap(lb, "_judge", "type + row checks + duplicates + references (judged)")
    parts.wrap(lb, "_insert_clean_rows", "append history + refresh current")
    parts.wrap(lb, "_retry_quarantined", "retry quarantined rows")
    with connect(spec["warehouse"]) as con:
        results = lb.load_new_batches(
            con, Path(spec["landing"]), date.fromisoformat(spec["load_date"])
        )
    loaded = [r for r in results if r.status == "loaded"]
    return {
        "batches_loaded": len(loaded),
        "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_quarantined": sum(r.rows_quarantined for r in loaded),
        "rows_resolved": sum(r.rows_resolved for r in loaded),
    }


def _instrument_gate(parts: Parts) -> None:
    """Time the gate's audit queries and GX runs per suite."""
    from fms.quality import gate

    audit_frame, run_suite = gate.audit_frame, gate.Validator.run_suite

    def timed_audit_frame(con, suite, params):
        with parts(f"audit SQL -> pandas frame: {suite.name}"):
            return audit_frame(con, suite, params)

    def timed_run_suite(self, suite, frame):
        with parts(f"GX expectations: {suite.name} ({len(frame):,} rows)"):
            return run_suite(self, suite, frame)

    gate.audit_frame = timed_audit_frame
    gate.Validator.run_suite = timed_run_suite
    parts.wrap(gate, "record_results", "record dq_results")


def _validate(spec: dict, parts: Parts, scope: str, names: list[str] | None, params: dict):
    from fms.quality.gate import Validator, validate
    from fms.quality.suites import load_suites
    from fms.warehouse import connect

    _instrument_gate(parts)
    with parts("import great_expectations (once per process)"):
        import great_expectations  # noqa: F401  (the first gate of a run pays this)
    with parts("GX context"):
        validator = Validator(Path(spec["docs"]))
    suites = [s for s in load_suites(scope) if names is None or s.name in names]
    with connect(spec["warehouse"]) as con:
        report = validate(con, suites, params, "benchmark", scope, validator)
    with parts("Data Docs"):
        validator.build_docs()
    return {
        "suites": len(suites),
        "rows_validated": sum(report.rows_validated.values()),
        "critical_failures": len(report.critical_failures),
        "warnings": len(report.warnings),
    }


def gx_input(spec: dict, parts: Parts) -> dict:
    """The input gate: suites of scope `input` on the rows changed since `since_seq`."""
    since = spec["since_seq"]
    if since is None:  # the incremental run reads it from the warehouse, as the flow does
        from fms.publication import last_published_batch_seq
        from fms.warehouse import connect

        with connect(spec["warehouse"]) as con:
            since = last_published_batch_seq(con)
    info = _validate(spec, parts, "input", None, {"since_seq": since})
    return info | {"since_seq": since}


def mart(spec: dict, parts: Parts) -> dict:
    """One mart of fms.marts.MART_BUILDERS into staging (after refresh_rules, as the
    task does)."""
    from fms.marts import build_staged_marts
    from fms.publication import STAGING
    from fms.warehouse import connect, refresh_rules

    with connect(spec["warehouse"]) as con:
        with parts("refresh_rules"):
            refresh_rules(con)
        with parts("build"):
            counts = build_staged_marts(con, date.fromisoformat(spec["as_of"]), (spec["mart"],))
    return {"table": f"{STAGING}.{spec['mart']}", "rows": counts[spec["mart"]]}


def gx_mart(spec: dict, parts: Parts) -> dict:
    """The mart gate: `mart_<name>` of every nightly mart, as tasks.quality.audit_staged_marts
    selects them."""
    from fms.closure import BLOCKER_CODES
    from fms.marts import NIGHTLY_MARTS

    names = [f"mart_{m}" for m in NIGHTLY_MARTS]
    params = {"blocker_codes": list(BLOCKER_CODES), "as_of": date.fromisoformat(spec["as_of"])}
    return _validate(spec, parts, "mart", names, params)


def publish(spec: dict, parts: Parts) -> dict:
    """The nightly's publishing steps, in the flow's order: delivery files and closure files
    from staging, the swap into main, the quarantine worklist."""
    from fms.closure import publish_closure_outputs
    from fms.delivery import publish_delivery_outputs
    from fms.ingest.worklist import write_quarantine_worklist
    from fms.marts import NIGHTLY_MARTS
    from fms.publication import STAGING, latest_batch_seq, publish_staged_marts
    from fms.warehouse import connect

    as_of = date.fromisoformat(spec["as_of"])
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with connect(spec["warehouse"], read_only=True) as con:
        with parts("delivery files (C1, status, undelivered)"):
            files += publish_delivery_outputs(
                con,
                f"{STAGING}.delivery_status",
                f"{STAGING}.c1_transactions",
                f"{STAGING}.undelivered_report",
                out,
                as_of,
            ).values()
        with parts("closure files (worklist, funds locked, buy-backs)"):
            files += publish_closure_outputs(
                con, f"{STAGING}.closure_readiness", f"{STAGING}.buy_back_register", out, as_of
            ).values()
    with connect(spec["warehouse"]) as con:
        with parts("swap staged marts into main"):
            publish_staged_marts(
                con,
                list(NIGHTLY_MARTS),
                run_id=spec["run_id"],
                job="nightly",
                as_of=as_of,
                through_batch_seq=latest_batch_seq(con),
                out_dir=out,
            )
    with connect(spec["warehouse"], read_only=True) as con:
        with parts("quarantine worklist + load summary"):
            files += write_quarantine_worklist(con, out)
    return {"files": len(files), "bytes": sum(Path(f).stat().st_size for f in files)}


def billing(spec: dict, parts: Parts) -> dict:
    """Quarterly billing as its flow runs it: candidate statements, their gate, publication."""
    from fms.billing import (
        build_billing_statements,
        build_purchaser_statements,
        publish_statements,
    )
    from fms.warehouse import connect, refresh_rules

    period_end = date.fromisoformat(spec["period_end"])
    with connect(spec["warehouse"]) as con:
        with parts("refresh_rules"):
            refresh_rules(con)
        with parts("build candidate statements"):
            cases = build_billing_statements(con, period_end)
            purchasers = build_purchaser_statements(con, period_end)
    from fms.closure import BLOCKER_CODES

    # The billing flow's gate: audit_staged_marts on its two marts, with the task's parameters.
    names = ["mart_billing_statements", "mart_purchaser_statements"]
    gate = _validate(spec, parts, "mart", names, {"blocker_codes": list(BLOCKER_CODES)})
    with connect(spec["warehouse"]) as con:
        with parts("publish statements (records + files)"):
            result = publish_statements(con, period_end, out_dir=Path(spec["out"]))
    return {
        "cases": cases,
        "purchasers": purchasers,
        "published": len(result.published),
        "files": len(result.files),
        "gate_critical_failures": gate["critical_failures"],
    }


def nightly_chain(spec: dict, parts: Parts) -> dict:
    """Every nightly stage above in one process, without Prefect (for the profiler)."""
    info = {}
    with parts("ingest"):
        info["ingest"] = ingest(spec, Parts())
    with parts("GX input gate"):
        info["gx_input"] = gx_input(spec, Parts())
    from fms.marts import NIGHTLY_MARTS

    for name in NIGHTLY_MARTS:
        with parts(f"mart {name}"):
            info[name] = mart(spec | {"mart": name}, Parts())
    with parts("GX mart gate"):
        info["gx_mart"] = gx_mart(spec, Parts())
    with parts("publish"):
        info["publish"] = publish(spec, Parts())
    return info


def nightly_flow(spec: dict, parts: Parts) -> dict:
    """The Prefect flow itself, called in this process (PREFECT_API_URL names the server)."""
    from flows.nightly import nightly_refresh

    summary = nightly_refresh(
        landing=Path(spec["landing"]),
        warehouse=Path(spec["warehouse"]),
        out=Path(spec["out"]),
        as_of=date.fromisoformat(spec["as_of"]),
    )
    return {"run_id": summary["run_id"], "rows_loaded": summary["rows_loaded"]}


STAGES: dict[str, Callable[[dict, Parts], dict]] = {
    "floor_duckdb": floor_duckdb,
    "pandas_read": pandas_read,
    "ingest": ingest,
    "gx_input": gx_input,
    "mart": mart,
    "gx_mart": gx_mart,
    "publish": publish,
    "billing": billing,
    "nightly_chain": nightly_chain,
    "nightly_flow": nightly_flow,
}
