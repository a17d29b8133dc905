"""`python -m tools.benchmarks.portal [--scale large] [--requests N] [--reuse]`: how long a person
waits for each page of the portal (issue 20: p95 under 150 ms per page on the large data, 2 cores).

1. The warehouse, built as people build it: the generated landing (tools.benchmarks.data, cached
   by scale and seed), `fms run nightly` as of 2026-11-05 and `fms run quarterly-billing` for the
   quarter ended 2026-09-30 (FMS_TODAY pinned, a temporary Prefect server each), which leave the
   readers' snapshot the portal reads. Built again every run unless `--reuse`, which keeps the
   last one of the same scale, seed and generator (it does not notice a change of `fms` itself).
2. The portal, started as users start it (`fms portal --warehouse W --users U --port P` in a
   child process: uvicorn on the loopback), with an analyst and a purchaser of the country with
   the most cases, made by `UserStore.add`.
3. Each kind of page asked N times over HTTP (httpx, logged in through the form, one request at
   a time), after one warm-up request per kind reported apart: wall time per request on the
   client, from sending to the last byte, and the size of the body.
4. Where the time of each page goes, measured apart in this process (the same app on the same
   snapshot through FastAPI's TestClient): the portal's queries (`Snapshot.records`: SQL, fetch,
   rows into dicts), the Python between rows and template (the statement's derivations, the
   case's chart), the template's rendering, and the whole request.

Results: a table on stdout and tools/benchmarks/results/portal-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx

from app.serve import stop_process
from fms.settings import PROJECT_ROOT
from fms.snapshots import snapshot_path
from tools.benchmarks.data import (
    AS_OF,
    BILLING_PERIOD_END,
    RESULTS_DIR,
    SEED,
    _generator_fingerprint,
    describe_dataset,
    generated,
    landing,
)
from tools.benchmarks.measure import child_env, describe_machine
from tools.benchmarks.prefect_runs import free_port

GOAL_MS = 150.0  # the goal for the p95 of every page
PASSWORD = "benchmark portal password"
ANALYST = "bench-analyst"
BREAKDOWN_REQUESTS = 10  # in-process requests per kind for the breakdown (after a warm-up)
CASE_EXTREMES = 5  # the cases with the most lines, and with the most deliveries, always asked
BUILD_STAMP = ".portal-build.json"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FMS = Path(sys.executable).with_name("fms")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the warehouse ------------------------------------------------------------------------------


def _fms(args: list[str], env: dict[str, str], output: Path) -> float:
    """Run `fms ARGS` to its end; its wall time. Its output (with `--verbose`, Prefect's log
    lines of every step, timed) goes to `output`."""
    started = time.perf_counter()
    with output.open("wb") as fh:
        code = subprocess.call([str(FMS), *args], env=env, stdout=fh, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if code != 0:
        tail = output.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"fms {' '.join(args[:2])} exited {code} (log {output}):\n{tail}")
    return seconds


def built_warehouse(scale: str, seed: int, reuse: bool) -> dict:
    """The published warehouse of `scale`+`seed` (nightly + billing) and how long it took."""
    dataset = generated(scale, seed, log=log)
    work = RESULTS_DIR / "work" / f"portal-{scale}-seed{seed}"
    warehouse, out = work / "warehouse" / "fms.duckdb", work / "out"
    want = {"scale": scale, "seed": seed, "generator": _generator_fingerprint()}
    stamp = work / BUILD_STAMP
    if reuse and stamp.exists():
        found = json.loads(stamp.read_text())
        if {k: found.get(k) for k in want} == want and snapshot_path(warehouse).exists():
            log(f"reusing the warehouse built {found['built_at']} in {work}")
            return found | {"reused": True}
    if work.exists():
        shutil.rmtree(work)
    (work / "logs").mkdir(parents=True)
    # A temporary Prefect server for each run, in a home of its own (no PREFECT_API_URL).
    env = child_env({"PREFECT_HOME": str(work / "prefect-home")})
    env.pop("PREFECT_API_URL", None)
    where = ["--warehouse", str(warehouse), "--out", str(out)]
    log(f"fms run nightly on {scale} data as of {AS_OF} into {warehouse}")
    nightly = _fms(
        [
            "run",
            "nightly",
            "--verbose",
            "--landing",
            str(landing(dataset)),
            *where,
            "--as-of",
            str(AS_OF),
        ],
        env,
        work / "logs" / "nightly.log",
    )
    log(f"nightly: {nightly:.1f} s; fms run quarterly-billing --period-end {BILLING_PERIOD_END}")
    billing = _fms(
        ["run", "quarterly-billing", "--verbose", "--period-end", str(BILLING_PERIOD_END), *where],
        env,
        work / "logs" / "billing.log",
    )
    log(f"billing: {billing:.1f} s")
    if not snapshot_path(warehouse).exists():
        raise RuntimeError(f"no readers' snapshot at {snapshot_path(warehouse)} after the runs")
    built = want | {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "warehouse": str(warehouse),
        "snapshot": str(snapshot_path(warehouse)),
        "nightly_seconds": round(nightly, 2),
        "billing_seconds": round(billing, 2),
        "warehouse_mib": round(warehouse.stat().st_size / 2**20, 1),
        "snapshot_mib": round(snapshot_path(warehouse).stat().st_size / 2**20, 1),
        "dataset": describe_dataset(dataset),
    }
    stamp.write_text(json.dumps(built, indent=1))
    return built | {"reused": False}


# -- what to ask for ----------------------------------------------------------------------------


@dataclass
class Page:
    """One kind of page: who asks, the path of its warm-up request, and the paths measured."""

    kind: str
    account: str
    warmup: str
    paths: list[str]
    times_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    warmup_ms: float | None = None
    warmup_bytes: int | None = None


def snapshot_facts(snapshot: Path, requests: int, seed: int) -> dict:
    """What the pages will be asked for: the purchaser with the most cases, its statement,
    cases (the ones with the most lines and deliveries, then a seeded sample) and searches."""
    con = duckdb.connect(str(snapshot), read_only=True)
    try:

        def rows(sql: str, params: list | None = None) -> list[tuple]:
            return con.execute(sql, params or []).fetchall()

        by_cases = rows("SELECT country_code, count(*) FROM cases GROUP BY 1 ORDER BY 2 DESC, 1")
        country = by_cases[0][0]
        revision = rows(
            "SELECT max(revision) FROM purchaser_statements "
            "WHERE country_code = ? AND period_end = ?",
            [country, BILLING_PERIOD_END],
        )[0][0]
        if revision is None:
            raise RuntimeError(f"no statement of {country} for {BILLING_PERIOD_END} published")
        most_lines = rows(
            "SELECT case_id, count(*) FROM case_lines GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
            [CASE_EXTREMES],
        )
        most_deliveries = rows(
            "SELECT case_id, count(*) FROM deliveries GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
            [CASE_EXTREMES],
        )
        every_case = [c for (c,) in rows("SELECT case_id FROM cases ORDER BY case_id")]
        counts = {
            table: rows(f"SELECT count(*) FROM {table}")[0][0]  # the names listed here
            for table in (
                "countries",
                "cases",
                "case_lines",
                "deliveries",
                "collections",
                "closure_readiness",
                "billing_statements",
                "purchaser_statements",
                "quarantine",
                "dq_results",
            )
        }
        country_cases = rows(
            "SELECT count(*) FROM closure_readiness WHERE country_code = ?", [country]
        )[0][0]
    finally:
        con.close()
    extremes = list(dict.fromkeys(c for c, _ in [*most_lines, *most_deliveries]))
    rest = [c for c in every_case if c not in extremes]
    sample = random.Random(seed).sample(rest, max(0, min(len(rest), requests - len(extremes))))
    return {
        "country": country,
        "country_cases": by_cases[0][1],
        "country_closure_cases": country_cases,
        "purchasers_by_cases": [c for c, _ in by_cases],
        "statement_revision": revision,
        "cases_most_lines": most_lines,
        "cases_most_deliveries": most_deliveries,
        "case_ids": (extremes + sample)[: max(requests, 1)],
        "rows": counts,
    }


def plan(facts: dict, purchaser: str, requests: int) -> list[Page]:
    """Every kind of page, each asked `requests` times (+1 warm-up) over a spread of ids."""
    cc = facts["country"]
    statement = f"/statements/{cc}/{BILLING_PERIOD_END}/{facts['statement_revision']}"
    cases = facts["case_ids"]
    searches = [  # an exact code (redirects), a prefix of many, a full id, lower case, nothing
        cc,
        f"{cc}-",
        cases[-1],
        cases[-1][:5].lower(),
        "ZZ-NOTHING",
    ]

    def paged(path: str) -> list[str]:  # long lists: the first page and later ones
        return [path, f"{path}?page=2", f"{path}?page=10"]

    def page(kind: str, account: str, paths: list[str]) -> Page:
        # The warm-up asks the first path (the largest purchaser, the case with most lines),
        # which is measured again with the others.
        return Page(kind, account, paths[0], [paths[i % len(paths)] for i in range(requests)])

    return [
        page("overview", ANALYST, ["/"]),
        page("purchaser", ANALYST, [f"/purchasers/{c}" for c in facts["purchasers_by_cases"]]),
        page("statement", ANALYST, paged(statement)),
        page("case", ANALYST, [f"/cases/{c}" for c in cases]),
        page("closure", ANALYST, paged("/closure")),
        page("closure", purchaser, paged("/closure")),
        page("quality", ANALYST, ["/quality"]),
        page("search", ANALYST, [f"/search?q={q}" for q in searches]),
    ]


# -- the portal ---------------------------------------------------------------------------------


@contextmanager
def running_portal(warehouse: Path, users: Path, log_file: Path):
    """`fms portal` in a child process, as users start it; its base URL once it answers."""
    port = free_port()
    argv = [sys.executable, "-c", "from app.cli import main; main()", "portal"]
    argv += ["--warehouse", str(warehouse), "--users", str(users), "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with log_file.open("wb") as fh:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            cwd=PROJECT_ROOT,
            env=child_env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            while True:
                if process.poll() is not None:
                    tail = log_file.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"fms portal exited {process.returncode}:\n{tail}")
                try:
                    if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 120:
                    raise RuntimeError(f"fms portal did not answer within 120 s (log {log_file})")
                time.sleep(0.1)
            yield url, time.perf_counter() - started
        finally:
            stop_process(process, grace=15)


def log_in(client, name: str) -> float:
    """Log in through the form as a browser does; the seconds of the POST (Argon2 verifies)."""
    token = CSRF.search(client.get("/login").text).group(1)
    started = time.perf_counter()
    response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    seconds = time.perf_counter() - started
    if response.status_code != 303 or response.headers.get("location") != "/":
        raise RuntimeError(f"login of {name} answered {response.status_code}")
    return seconds


def ask(client, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.get(path)
    body = response.content  # read to the last byte before the clock stops
    seconds = time.perf_counter() - started
    if response.status_code not in (200, 303):
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return seconds * 1000, len(body), response.status_code


def measure_pages(pages: list[Page], clients: dict) -> None:
    for page in pages:
        client = clients[page.account]
        page.warmup_ms, page.warmup_bytes, _ = ask(client, page.warmup)
        for path in page.paths:
            ms, size, status = ask(client, path)
            page.times_ms.append(ms)
            page.sizes.append(size)
            page.statuses[status] += 1
        log(f"{page.kind} ({page.account}): median {statistics.median(page.times_ms):.1f} ms")


# -- where the time goes (in process) -----------------------------------------------------------


def breakdown(pages: list[Page], snapshot: Path, users: Path) -> dict[str, dict]:
    """Per kind of page, the median per request of: each of the portal's queries
    (`Snapshot.records`: SQL, fetch, rows into dicts; `rows:` how many), the Python that turns
    rows into figures (`case_derivation`, `cumulative_chart`), the template's rendering, and the
    whole request through TestClient: the same app on the same snapshot, in this process."""
    import jinja2

    from app.portal import reads, web

    with warnings.catch_warnings():  # starlette's notice about httpx, on every import
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    spent: dict[str, float] = {}

    def timed(key, function, count_rows=False):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            name = f"{key}:{args[1]}" if count_rows else key
            try:
                result = function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started
            if count_rows:
                spent[f"rows:{args[1]}"] = spent.get(f"rows:{args[1]}", 0) + len(result)
            return result

        return wrapper

    originals = [
        (reads.Snapshot, "records", "sql", True),
        (jinja2.Template, "render", "render", False),
        (web, "case_derivation", "derivation", False),
        (web, "cumulative_chart", "chart", False),
    ]
    settings = web.PortalSettings(snapshot=snapshot, users=users, secret=os.urandom(32))
    app = web.create_app(settings)
    result = {}
    for owner, attribute, key, count_rows in originals:
        setattr(owner, attribute, timed(key, getattr(owner, attribute), count_rows))
    try:
        clients = {}
        for account in {p.account for p in pages}:
            clients[account] = TestClient(app, follow_redirects=False)
            log_in(clients[account], account)
        for page in pages:
            client = clients[page.account]
            client.get(page.warmup)
            samples = []
            for path in page.paths[:BREAKDOWN_REQUESTS]:
                spent.clear()
                started = time.perf_counter()
                client.get(path)
                samples.append(dict(spent, total=time.perf_counter() - started))
            keys = sorted({k for s in samples for k in s})
            medians = {
                k: statistics.median(s.get(k, 0) for s in samples) * (1 if "rows:" in k else 1000)
                for k in keys
            }
            medians["sql"] = 1000 * statistics.median(
                sum(v for k, v in s.items() if k.startswith("sql:")) for s in samples
            )
            result[label(page)] = {k: round(v, 2) for k, v in medians.items()}
    finally:
        for owner, attribute, _, _ in originals:
            setattr(owner, attribute, getattr(owner, attribute).__wrapped__)
    return result


# -- report -------------------------------------------------------------------------------------


def label(page: Page) -> str:
    return page.kind if page.account == ANALYST else f"{page.kind} (purchaser)"


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def summary(page: Page) -> dict:
    slowest = max(range(len(page.times_ms)), key=page.times_ms.__getitem__)
    return {
        "account": page.account,
        "requests": len(page.times_ms),
        "distinct_paths": len(set(page.paths)),
        "warmup_ms": round(page.warmup_ms, 2),
        "warmup_bytes": page.warmup_bytes,
        "median_ms": round(statistics.median(page.times_ms), 2),
        "p95_ms": round(p95(page.times_ms), 2),
        "max_ms": round(max(page.times_ms), 2),
        "min_ms": round(min(page.times_ms), 2),
        "slowest_path": page.paths[slowest],
        "bytes_median": int(statistics.median(page.sizes)),
        "bytes_max": max(page.sizes),
        "statuses": dict(page.statuses),
        "over_goal": p95(page.times_ms) >= GOAL_MS,
        "times_ms": [round(t, 2) for t in page.times_ms],
    }


def print_table(results: dict[str, dict], where: dict[str, dict], requests: int) -> None:
    """Client figures, then the in-process split of a request (medians, ms): queries, the
    Python between rows and template (derivation, chart), the rendering, and the whole."""
    columns = ("warm-up", "median", "p95", "max", "KiB", "queries", "python", "render", "whole")
    print(f"{'page':<20}" + "".join(f"{c:>9}" for c in columns) + "  goal")
    for name, r in results.items():
        b = where.get(name, {})
        figures = (
            r["warmup_ms"],
            r["median_ms"],
            r["p95_ms"],
            r["max_ms"],
            r["bytes_median"] / 1024,
            b.get("sql", 0.0),
            b.get("derivation", 0.0) + b.get("chart", 0.0),
            b.get("render", 0.0),
            b.get("total", 0.0),
        )
        flag = "OVER" if r["over_goal"] else "ok"
        print(f"{name:<20}" + "".join(f"{f:>9.1f}" for f in figures) + f"  {flag}")
    print(
        "ms, but KiB (the median body); warm-up..max: HTTP on the client; queries..whole: the "
        "same page in process (TestClient), median of "
        f"{min(requests, BREAKDOWN_REQUESTS)}"
    )
    for name, r in results.items():
        if r["over_goal"]:
            b = where.get(name, {})
            queries = sorted((k for k in b if k.startswith("sql:")), key=b.get, reverse=True)
            shown = ", ".join(
                f"{k[4:]} {b[k]:.1f} ms ({b.get('rows:' + k[4:], 0):,.0f} rows)" for k in queries
            )
            print(f"  {name}: slowest {r['slowest_path']} {r['max_ms']:.0f} ms; queries: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "medium", "large"), default="medium")
    parser.add_argument("--requests", type=int, default=50, help="per kind of page (default 50)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the last warehouse of this scale and seed"
    )
    args = parser.parse_args()
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    machine = describe_machine()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    built = built_warehouse(args.scale, args.seed, args.reuse)
    warehouse = Path(built["warehouse"])
    snapshot = snapshot_path(warehouse)
    facts = snapshot_facts(snapshot, args.requests, args.seed)
    purchaser = f"bench-{facts['country'].lower()}"

    from app.portal.accounts import UserStore

    portal_dir = warehouse.parent.parent / "portal"
    shutil.rmtree(portal_dir, ignore_errors=True)
    users = portal_dir / "users.sqlite"
    store = UserStore(users)
    store.add(ANALYST, "analyst", PASSWORD)
    store.add(purchaser, "purchaser", PASSWORD, country=facts["country"])

    pages = plan(facts, purchaser, args.requests)
    log(f"fms portal over {snapshot}; {args.requests} requests per kind of page")
    with running_portal(warehouse, users, portal_dir / "portal.log") as (url, ready_seconds):
        clients = {a: httpx.Client(base_url=url, timeout=120) for a in (ANALYST, purchaser)}
        try:
            logins = {a: round(log_in(c, a) * 1000, 1) for a, c in clients.items()}
            measure_pages(pages, clients)
        finally:
            for client in clients.values():
                client.close()
    log("where the time goes: the same pages in process")
    where = breakdown(pages, snapshot, users)
    machine["loadavg_at_end"] = os.getloadavg()

    results = {label(p): summary(p) for p in pages}
    print()
    print(
        f"The portal on {args.scale} data (seed {args.seed}): {args.requests} requests per page "
        f"after a warm-up, one at a time; wall time on the client (goal: p95 < {GOAL_MS:.0f} ms)"
    )
    print_table(results, where, args.requests)
    over = [name for name, r in results.items() if r["over_goal"]]
    print(f"over the goal: {', '.join(over) if over else 'none'}")
    print(f"login (POST, Argon2 verify): {logins} ms; portal ready in {ready_seconds:.1f} s")
    if not built["reused"]:
        print(
            f"build: data generation {built['dataset']['generation_seconds']} s (once, cached), "
            f"nightly {built['nightly_seconds']:.1f} s, billing {built['billing_seconds']:.1f} s"
        )

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    report = {
        "scale": args.scale,
        "seed": args.seed,
        "requests": args.requests,
        "goal_p95_ms": GOAL_MS,
        "machine": machine,
        "build": built,
        "asked": facts,
        "portal_ready_seconds": round(ready_seconds, 2),
        "login_ms": logins,
        "pages": results,
        "in_process_ms": where,
        "over_goal": over,
    }
    path = RESULTS_DIR / f"portal-{stamp}.json"
    path.write_text(json.dumps(report, indent=1, default=str))
    print(f"results: {path}")


if __name__ == "__main__":
    main()
