"""`python -m tools.benchmarks.run [--scale medium|large] [--repeat N] [--skip-server]`

On generated data (tools.generate, seed 1, dirty rate 0.001, cached by scale and seed):
1. the floor: DuckDB loading every input file into typed tables and nothing else; pandas
   read_csv of the same files as a reference;
2. every stage of the nightly in its own process (wall time, peak RSS), and quarterly billing;
3. the nightly as the CLI runs it, with a temporary Prefect server and against a running one,
   and Prefect's own overhead (flow-run time outside task runs, from the Prefect API);
4. the incremental nightly (the last daily on top of everything before it) against a full
   rebuild, and whether both give the same tables and files;
5. cProfile and per-statement SQL timings (with DuckDB's own profile of the slowest) of the
   ingest and the nightly.
Results: a table on stdout and tools/benchmarks/results/<scale>-<timestamp>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fms.marts import NIGHTLY_MARTS
from tools.benchmarks import compare
from tools.benchmarks.data import (
    AS_OF,
    AS_OF_BEFORE_LAST_DAILY,
    BILLING_PERIOD_END,
    LOAD_DATE,
    RESULTS_DIR,
    SEED,
    describe_dataset,
    generated,
    landing,
    landing_without_last_daily,
)
from tools.benchmarks.measure import aggregate, describe_machine, run_child
from tools.benchmarks.prefect_runs import PrefectServer, flow_run_timing, run_cli_nightly
from tools.benchmarks.profiles import top_functions
from tools.benchmarks.report import render_markdown, render_table

NIGHTLY_STAGES = ("ingest", "gx_input", *(f"mart:{m}" for m in NIGHTLY_MARTS), "gx_mart", "publish")
FLOOR = "floor"
GROUP_ORDER = [
    "floor",
    "nightly, full rebuild, stage by stage (no Prefect)",
    "nightly, incremental (last daily), stage by stage (no Prefect)",
    "nightly under Prefect",
    "quarterly billing",
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Benchmark:
    def __init__(self, scale: str, repeat: int, skip_server: bool, skip_profile: bool) -> None:
        self.scale, self.repeat = scale, repeat
        self.skip_server, self.skip_profile = skip_server, skip_profile
        self.stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self.work = RESULTS_DIR / "work" / f"{scale}-{self.stamp}"
        self.profile_dir = RESULTS_DIR / f"{scale}-{self.stamp}-profiles"
        self.rows: dict[str, dict] = {}  # key -> {"label", "group", "results": [...]}
        self.report: dict = {}

    # --- bookkeeping -----------------------------------------------------------------------

    def record(self, key: str, label: str, group: str, result: dict) -> dict:
        row = self.rows.setdefault(key, {"label": label, "group": group, "results": []})
        row["results"].append(result)
        return result

    def stage(self, key: str, label: str, group: str, spec: dict, env=None) -> dict:
        log(f"{label} ...")
        result = run_child(spec, self.work, env)
        log(f"{label}: {result['seconds']:.2f} s, peak {result.get('peak_rss_mib', 0):.0f} MiB")
        return self.record(key, label, group, result)

    # --- 1. the floor ----------------------------------------------------------------------

    def floor(self, land: Path, rep: int) -> None:
        db = self.work / f"floor-{rep}.duckdb"
        self.stage(
            FLOOR,
            "floor: DuckDB typed load of every file (CREATE TABLE AS read_csv/read_parquet)",
            "floor",
            {"stage": "floor_duckdb", "landing": str(land), "database": str(db)},
        )
        db.unlink(missing_ok=True)
        for engine, label in (("c", "C engine"), ("pyarrow", "pyarrow engine")):
            self.stage(
                f"pandas:{engine}",
                f"reference: pandas read_csv of the same files ({label})",
                "floor",
                {"stage": "pandas_read", "landing": str(land), "engine": engine},
            )

    # --- 2. the nightly, stage by stage ----------------------------------------------------

    def chain(
        self,
        prefix: str,
        label: str,
        warehouse: Path,
        land: Path,
        out: Path,
        as_of,
        since_seq: int | None,
        record: bool = True,
    ) -> list[dict]:
        """Every nightly stage, in order, each in its own process, on one warehouse file."""
        base = {
            "warehouse": str(warehouse),
            "landing": str(land),
            "load_date": LOAD_DATE.isoformat(),
            "as_of": as_of.isoformat(),
            "since_seq": since_seq,
            "out": str(out),
            "docs": str(out.parent / "data_docs"),
            "run_id": f"benchmark-{prefix}-{time.time_ns()}",
        }
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        results = []
        for name in NIGHTLY_STAGES:
            stage, _, mart = name.partition(":")
            spec = base | {"stage": stage} | ({"mart": mart} if mart else {})
            if stage == "gx_mart":  # the run's second gate: GX is already imported
                spec["preload"] = [*_preload(), "great_expectations"]
            row_label = {
                "ingest": "ingest (row checks, quarantine, history, current)",
                "gx_input": "GX input gate"
                + (" (every row: since_seq 0)" if since_seq == 0 else " (rows since last run)"),
                "gx_mart": "GX mart gate (5 mart suites)",
                "publish": "publish (swap into main + C1, CSV, Excel, worklist)",
            }.get(stage, f"mart {mart} (into staging)")
            if record:
                results.append(self.stage(f"{prefix}:{name}", row_label, label, spec))
            else:
                log(f"{label}: {row_label} ...")
                results.append(run_child(spec, self.work))
        total = {
            "seconds": sum(r["seconds"] for r in results),
            "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
            "cpu_seconds": sum(r["cpu_seconds"] for r in results),
            "parts": {},
            "loadavg_at_start": results[0]["loadavg_at_start"],
        }
        if record:
            self.record(f"{prefix}:total", f"{label}: sum of the stages", label, total)
        return results

    def billing(self, warehouse: Path, out: Path) -> None:
        self.stage(
            "billing",
            "quarterly billing 2026Q3 (statements, gate, publish)",
            "quarterly billing",
            {
                "stage": "billing",
                "warehouse": str(warehouse),
                "period_end": BILLING_PERIOD_END.isoformat(),
                "out": str(out / "quarterly-billing" / "2026Q3"),
                "docs": str(out / "billing-data_docs"),
            },
        )

    # --- the whole run -----------------------------------------------------------------------

    def run(self) -> Path:
        """Each repetition measures every figure once, in turn (floor, stages, CLI both ways),
        so that the load other jobs put on a shared machine falls on all of them alike."""
        started = time.perf_counter()
        self.work.mkdir(parents=True, exist_ok=True)
        self.report["machine"] = describe_machine()
        log(f"machine: {json.dumps(self.report['machine'])}")
        dataset = generated(self.scale, SEED, log)
        full = landing(dataset)
        partial = landing_without_last_daily(dataset)
        self.report["dataset"] = describe_dataset(dataset)
        self.report["command"] = " ".join(
            ["python -m tools.benchmarks.run", f"--scale {self.scale}", f"--repeat {self.repeat}"]
            + (["--skip-server"] if self.skip_server else [])
            + (["--skip-profile"] if self.skip_profile else [])
        )
        with ExitStack() as stack:
            prefect = None if self.skip_server else stack.enter_context(PrefectRuns(self))
            # The night before the increment: every batch but the last daily, published as of
            # the day before (stage by stage: the CLI would publish the same).
            base = self.work / "base" / "warehouse.duckdb"
            self.chain(
                "base",
                "the night before (prep)",
                base,
                partial,
                base.parent / "out" / "nightly",
                AS_OF_BEFORE_LAST_DAILY,
                since_seq=0,
                record=False,
            )
            for rep in range(self.repeat):
                log(f"--- repetition {rep + 1} of {self.repeat}")
                self.floor(full, rep)
                full_dir = self._fresh(self.work / "full")
                self.chain(
                    "full",
                    "nightly, full rebuild, stage by stage (no Prefect)",
                    full_dir / "warehouse.duckdb",
                    full,
                    full_dir / "out" / "nightly",
                    AS_OF,
                    since_seq=0,
                )
                incr_dir = self._fresh(self.work / "incremental")
                shutil.copy2(base, incr_dir / "warehouse.duckdb")
                self.chain(
                    "incr",
                    "nightly, incremental (last daily), stage by stage (no Prefect)",
                    incr_dir / "warehouse.duckdb",
                    full,
                    incr_dir / "out" / "nightly",
                    AS_OF,
                    since_seq=None,
                )
                if prefect is not None:
                    prefect.repetition(rep, full, base)
            self.billing(full_dir / "warehouse.duckdb", full_dir / "out")
            self.report["incremental_equality_stages"] = compare.summarize(
                compare.compare_warehouses(
                    incr_dir / "warehouse.duckdb", full_dir / "warehouse.duckdb"
                ),
                compare.compare_files(incr_dir / "out" / "nightly", full_dir / "out" / "nightly"),
            )
            log(
                "incremental == full rebuild (stages): "
                f"{self.report['incremental_equality_stages']['equal']}"
            )
            if prefect is not None:
                self.report["incremental_equality_cli"] = prefect.equality()
            if not self.skip_profile:
                self.profile(
                    full,
                    base,
                    prefect.server.url if prefect else None,
                    prefect.server_home if prefect else None,
                )
        if prefect is not None:
            prefect.query_temporary_runs()
        self.report["total_benchmark_seconds"] = round(time.perf_counter() - started, 1)
        self.report["machine"]["loadavg_at_end"] = os.getloadavg()
        return self.write()

    @staticmethod
    def _fresh(folder: Path) -> Path:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def record_server_start(self, key: str, label: str, seconds: float | None) -> None:
        log(f"{label}: {seconds:.1f} s")
        self.record(
            key,
            label,
            "nightly under Prefect",
            {
                "seconds": seconds or 0.0,
                "peak_rss_mib": 0.0,
                "cpu_seconds": 0.0,
                "parts": {},
                "loadavg_at_start": os.getloadavg(),
            },
        )

    # --- 5. where the time goes ------------------------------------------------------------

    def profile(self, full: Path, base_warehouse: Path, api_url: str | None, home: Path | None):
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        profiles = {}
        env = {"PREFECT_HOME": str(home), "PREFECT_API_URL": api_url} if api_url else None
        nightly_stage = "nightly_flow" if api_url else "nightly_chain"
        runs = [
            ("ingest", "ingest", full, None, 0),
            ("nightly", nightly_stage, full, None, 0),
            ("incremental_nightly", nightly_stage, full, base_warehouse, None),
        ]
        for name, stage, land, start_from, since in runs:
            d = self.work / f"profile-{name}"
            d.mkdir(parents=True, exist_ok=True)
            warehouse = d / "warehouse.duckdb"
            if start_from is not None:
                shutil.copy2(start_from, warehouse)
            prof = self.profile_dir / f"{name}.prof"
            spec = {
                "stage": stage,
                "warehouse": str(warehouse),
                "landing": str(land),
                "load_date": LOAD_DATE.isoformat(),
                "as_of": AS_OF.isoformat(),
                "since_seq": since,
                "out": str(d / "out"),
                "docs": str(d / "data_docs"),
                "run_id": f"profile-{name}",
                "profile": str(prof),
                "sqltrace": str(self.profile_dir / f"{name}-duckdb"),
                "duckdb_profiles": True,
            }
            if stage == "nightly_flow":
                spec["preload"] = [*_preload(), "flows.nightly"]
            log(f"profiling {name} ({stage}) ...")
            result = run_child(spec, self.work, env if stage == "nightly_flow" else None)
            profiles[name] = {
                "stage": stage,
                "seconds_under_profiler": round(result["seconds"], 2),
                "cprofile": top_functions(prof),
                "sql": result.get("sql"),
                "profile_file": str(prof.relative_to(RESULTS_DIR.parents[2])),
            }
            shutil.rmtree(d, ignore_errors=True)
        self.report["profiles"] = profiles

    # --- 6. results ------------------------------------------------------------------------

    def summarized_rows(self) -> list[dict]:
        floor = aggregate(self.rows[FLOOR]["results"])["seconds"]
        out = []
        groups = [row["group"] for row in self.rows.values()]
        order = sorted(
            self.rows.items(),
            key=lambda kv: (
                GROUP_ORDER.index(kv[1]["group"])
                if kv[1]["group"] in GROUP_ORDER
                else len(GROUP_ORDER) + groups.index(kv[1]["group"])
            ),
        )
        for key, row in order:
            agg = aggregate(row["results"])
            entry = {
                "key": key,
                "label": row["label"],
                "group": row["group"],
                **agg,
                "ratio_to_floor": None
                if key.startswith("server_start") or not floor
                else agg["seconds"] / floor,
            }
            phases = [r.get("phases") for r in row["results"] if r.get("phases")]
            if phases:
                entry["phases"] = {
                    k: statistics.median(p.get(k, 0.0) for p in phases) for k in phases[0]
                }
            prefect = [r.get("prefect") for r in row["results"] if r.get("prefect")]
            if prefect:
                entry["prefect"] = prefect[-1] | {
                    "outside_tasks_seconds_median": statistics.median(
                        p["outside_tasks_seconds"] for p in prefect
                    ),
                    "task_run_seconds_median": statistics.median(
                        p["task_run_seconds"] for p in prefect
                    ),
                    "flow_run_seconds_median": statistics.median(
                        p["flow_run_seconds"] for p in prefect
                    ),
                }
            infos = [r.get("info") for r in row["results"] if r.get("info")]
            if infos:
                entry["info"] = infos[-1]
            out.append(entry)
        return out

    def write(self) -> Path:
        rows = self.summarized_rows()
        self.report["rows"] = rows
        self.report["goals"] = goals(rows)
        self.report["raw"] = {k: r["results"] for k, r in self.rows.items()}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        base = RESULTS_DIR / f"{self.scale}-{self.stamp}"
        base.with_suffix(".json").write_text(json.dumps(self.report, indent=1, default=str))
        markdown = render_markdown(self.scale, self.report)
        base.with_suffix(".md").write_text(markdown)
        print(render_table(rows))
        print()
        for line in self.report["goals"]["lines"]:
            print(line)
        print(f"\nresults: {base}.json, {base}.md")
        return base


class PrefectRuns:
    """The nightly under Prefect, as `fms run nightly` runs it: with its temporary server
    (own PREFECT_HOME, so it never shares a database with the running server) and against a
    running server (`prefect server start`, as `fms serve` starts it), full and incremental.

    Both homes get their database created before any timed run (the first server start is
    timed apart), as on a machine where Prefect has run before. The running server stays up
    for the whole benchmark; the temporary runs' task timings are read afterwards by starting
    a server on their home."""

    def __init__(self, bench: Benchmark) -> None:
        self.bench = bench
        self.temp_home = bench.work / "prefect-home-temporary"
        self.server_home = bench.work / "prefect-home-server"
        self.temp_runs: list[dict] = []
        self.server: PrefectServer | None = None
        self._last: dict[str, Path] = {}

    def __enter__(self) -> PrefectRuns:
        with PrefectServer(self.temp_home, self.bench.work / "prefect-temporary.log") as s:
            self.bench.record_server_start(
                "server_start_first",
                "Prefect server start, first (creates its database)",
                s.start_seconds,
            )
        self.server = PrefectServer(self.server_home, self.bench.work / "prefect-server.log")
        self.server.__enter__()
        self.bench.record_server_start(
            "server_start_first",
            "Prefect server start, first (creates its database)",
            self.server.start_seconds,
        )
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None:
            self.server.__exit__(*exc)

    def _cli(
        self,
        name: str,
        key: str,
        label: str,
        land: Path,
        folder: Path,
        api: bool,
        as_of: date = AS_OF,
    ):
        log(f"{label} ...")
        result = run_cli_nightly(
            self.bench.work,
            name,
            landing=land,
            warehouse=folder / "warehouse.duckdb",
            out=folder / "out",
            as_of=as_of,
            prefect_home=self.server_home if api else self.temp_home,
            api_url=self.server.url if api else None,
        )
        if api:
            result["prefect"] = flow_run_timing(self.server.url, result["run_id"])
        log(
            f"{label}: {result['seconds']:.1f} s, peak {result['peak_rss_mib']:.0f} MiB, "
            f"phases {result['phases']}"
        )
        return self.bench.record(key, label, "nightly under Prefect", result)

    def repetition(self, rep: int, full: Path, base: Path) -> None:
        fresh = self.bench._fresh
        d = fresh(self.bench.work / "cli-temporary")
        label = "nightly via CLI, temporary Prefect server"
        self.temp_runs.append(self._cli(f"temporary-{rep}", "cli:temp", label, full, d, api=False))
        d = fresh(self.bench.work / "cli-server")
        label = "nightly via CLI, running Prefect server"
        self._cli(f"server-{rep}", "cli:server", label, full, d, api=True)
        self._last["full"] = d
        d = fresh(self.bench.work / "cli-incremental")
        shutil.copy2(base, d / "warehouse.duckdb")
        label = "incremental nightly via CLI, running Prefect server"
        self._cli(f"incremental-{rep}", "cli:incr", label, full, d, api=True)
        self._last["incr"] = d
        # The next night with no new batch: only the date moves. Every as-of mart and file is
        # still rebuilt, so this is what any incremental nightly costs at least.
        d = fresh(self.bench.work / "cli-next-day")
        shutil.copy2(self._last["incr"] / "warehouse.duckdb", d / "warehouse.duckdb")
        label = "nightly with no new batch (the next day), running Prefect server"
        next_day = AS_OF + timedelta(days=1)
        self._cli(f"next-day-{rep}", "cli:next-day", label, full, d, api=True, as_of=next_day)

    def equality(self) -> dict:
        full, incr = self._last["full"], self._last["incr"]
        day = AS_OF.isoformat()
        result = compare.summarize(
            compare.compare_warehouses(incr / "warehouse.duckdb", full / "warehouse.duckdb"),
            compare.compare_files(incr / "out" / "nightly" / day, full / "out" / "nightly" / day),
        )
        log(f"incremental == full rebuild (CLI): {result['equal']}")
        return result

    def query_temporary_runs(self) -> None:
        with PrefectServer(self.temp_home, self.bench.work / "prefect-temporary.log") as s:
            self.bench.record_server_start(
                "server_start_warm",
                "Prefect server start, warm (prefect server start -> healthy)",
                s.start_seconds,
            )
            for r in self.temp_runs:
                if r.get("run_id"):
                    r["prefect"] = flow_run_timing(s.url, r["run_id"])


def _preload() -> list[str]:
    from tools.benchmarks.measure import PRELOAD

    return list(PRELOAD)


def _row(rows: list[dict], key: str) -> dict | None:
    return next((r for r in rows if r["key"] == key), None)


def goals(rows: list[dict]) -> dict:
    """The issue's goals (stated for `large` on 2 cores), checked on this run's figures."""
    lines = []
    out = {}
    floor = _row(rows, FLOOR)["seconds"]
    server = _row(rows, "cli:server")
    stages = _row(rows, "full:total")
    nightly = server or stages
    how = "CLI, running Prefect server" if server else "sum of stages, no Prefect"
    ratio = nightly["seconds"] / floor
    best = nightly["seconds_min"] / _row(rows, FLOOR)["seconds_min"]
    out["nightly_over_floor"] = ratio
    out["nightly_over_floor_best"] = best
    lines.append(
        f"full nightly / floor ({how}): {ratio:.1f}x median, {best:.1f}x best of each "
        f"(goal: within 4x) {'MET' if ratio <= 4 else 'NOT MET'}"
    )
    if server and stages:
        lines.append(
            f"full nightly / floor, sum of the stages without Prefect: "
            f"{stages['seconds'] / floor:.1f}x median, "
            f"{stages['seconds_min'] / _row(rows, FLOOR)['seconds_min']:.1f}x best"
        )
    peak = max(r["peak_rss_mib"] for r in rows if r["group"] != "floor")
    out["peak_rss_mib"] = peak
    lines.append(
        f"peak memory of any nightly process: {peak / 1024:.2f} GiB (goal: under 4 GiB) "
        f"{'MET' if peak < 4096 else 'NOT MET'}"
    )
    if server and server.get("prefect"):
        p = server["prefect"]
        share = p["outside_tasks_seconds_median"] / p["flow_run_seconds_median"]
        process_share = 1 - p["task_run_seconds_median"] / server["seconds"]
        out["prefect_overhead_share"] = share
        out["outside_tasks_share_of_process"] = process_share
        lines.append(
            f"Prefect overhead (flow run outside task runs): {share:.1%} of the flow run"
            f" (goal: under 10%) {'MET' if share < 0.10 else 'NOT MET'}; "
            f"outside task runs, whole CLI process: {process_share:.1%}"
        )
        if stages:
            lines.append(
                f"task runs under Prefect {p['task_run_seconds_median']:.1f} s vs the same "
                f"steps without Prefect {stages['seconds']:.1f} s (medians; the flow also "
                "finds batches and writes the run report)"
            )
    incr_key, full_key = ("cli:incr", "cli:server") if server else ("incr:total", "full:total")
    incr, full = _row(rows, incr_key), _row(rows, full_key)
    if incr and full:
        share = incr["seconds"] / full["seconds"]
        out["incremental_over_full"] = share
        lines.append(
            f"incremental nightly / full rebuild ({'CLI' if server else 'stages'}): "
            f"{share:.1%} median, {incr['seconds_min'] / full['seconds_min']:.1%} best "
            f"(goal: under 10%) {'MET' if share < 0.10 else 'NOT MET'}"
        )
    next_day = _row(rows, "cli:next-day")
    if next_day and full and server:
        share = next_day["seconds"] / full["seconds"]
        out["next_day_over_full"] = share
        lines.append(
            f"nightly with no new batch (the date moves a day) / full rebuild: {share:.1%} "
            "median: the least any incremental nightly costs while every as-of mart and file "
            "is rebuilt"
        )
    stage_incr, stage_full = _row(rows, "incr:total"), _row(rows, "full:total")
    if server and stage_incr and stage_full:
        share = stage_incr["seconds"] / stage_full["seconds"]
        out["incremental_over_full_stages"] = share
        lines.append(f"incremental / full, sum of stages without Prefect: {share:.1%}")
    out["lines"] = lines
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--scale", choices=("small", "medium", "large"), default="medium")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure each figure N times; report the median (default 1)",
    )
    parser.add_argument(
        "--skip-server",
        action="store_true",
        help="no Prefect: skip the CLI runs (temporary and running server)",
    )
    parser.add_argument(
        "--skip-profile",
        action="store_true",
        help="skip the profiler runs (cProfile, SQL statement timings)",
    )
    parser.add_argument(
        "--keep-work",
        action="store_true",
        help="keep the warehouses and outputs under tools/benchmarks/results/work/",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    bench = Benchmark(args.scale, args.repeat, args.skip_server, args.skip_profile)
    try:
        bench.run()
    finally:
        if not args.keep_work:
            shutil.rmtree(bench.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
