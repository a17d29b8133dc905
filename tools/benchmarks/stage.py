"""Run one measured stage in this (fresh) process: `python -m tools.benchmarks.stage SPEC.json`.

The spec names the stage and its arguments and where to write the result (JSON): wall seconds
of the stage body (imports excluded, reported apart), its parts, CPU seconds, RSS before the
stage and the process's peak RSS (VmHWM), and the load average when it started. With
`"profile"` the stage runs under cProfile; with `"sqltrace"` every DuckDB statement is timed.

Stage `command` runs an external command instead (the CLI): its wall time and the peak RSS of
its largest process (RUSAGE_CHILDREN of this small wrapper, which starts nothing else).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries the parent's high-water
    mark across fork+exec into it, so a child of a big parent would report the parent's."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_command(spec: dict) -> dict:
    env = {**os.environ, **spec.get("env", {})}
    for name in spec.get("unset_env", []):
        env.pop(name, None)
    load = os.getloadavg()
    started_epoch = time.time()
    started = time.perf_counter()
    with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
        code = subprocess.call(spec["argv"], env=env, cwd=spec.get("cwd"), stdout=out, stderr=err)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "started_epoch": started_epoch,
        "ended_epoch": started_epoch + seconds,
        "returncode": code,
        "peak_rss_mib": children.ru_maxrss / 1024,
        "cpu_seconds": children.ru_utime + children.ru_stime,
        "loadavg_at_start": load,
        "parts": {},
        "info": {},
    }


def _time_warehouse_opening(parts) -> None:
    """Opening the DuckDB file and the schema DDL every `fms.warehouse.connect` runs."""
    import duckdb

    from fms import warehouse

    parts.wrap(duckdb, "connect", "open DuckDB file")
    parts.wrap(warehouse, "create_schema", "schema DDL on connect")
    parts.wrap(warehouse, "create_published_tables", "schema DDL on connect")


class GarbageCollectorClock:
    """Seconds the cyclic garbage collector paused this process, by generation: a long-lived
    process full of objects (Prefect, GX) pays more per collection than a fresh one."""

    def __init__(self) -> None:
        import gc

        self.seconds = [0.0, 0.0, 0.0]
        self.collections = [0, 0, 0]
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            generation = info.get("generation", 2)
            self.seconds[generation] += time.perf_counter() - self._started
            self.collections[generation] += 1

    def result(self) -> dict:
        return {
            "seconds": round(sum(self.seconds), 3),
            "gen2_seconds": round(self.seconds[2], 3),
            "collections": self.collections,
        }


def run_stage(spec: dict) -> dict:
    from tools.benchmarks.stages import STAGES, Parts

    tracer = None
    if spec.get("sqltrace"):
        from tools.benchmarks import sqltrace

        tracer = sqltrace.Tracer(Path(spec["sqltrace"]) if spec.get("duckdb_profiles") else None)
        sqltrace.install(tracer)
    stage = STAGES[spec["stage"]]
    # Import what the stage imports before the clock starts: startup is reported apart.
    for module in spec.get("preload", []):
        __import__(module)
    parts = Parts()
    _time_warehouse_opening(parts)
    startup = time.perf_counter() - STARTED
    rss_before = _rss_mib()
    cpu_before = _cpu(resource.RUSAGE_SELF)
    load = os.getloadavg()
    gc_clock = GarbageCollectorClock()
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    info = stage(spec, parts)
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    accounted = sum(parts.seconds.values())
    if parts.seconds and seconds > accounted:
        parts.seconds["rest (closing the file, Python)"] = seconds - accounted
    result = {
        "stage": spec["stage"],
        "seconds": seconds,
        "startup_seconds": startup,
        "parts": parts.seconds,
        "cpu_seconds": _cpu(resource.RUSAGE_SELF) - cpu_before,
        "rss_before_mib": rss_before,
        "peak_rss_mib": _peak_rss_mib(),
        "loadavg_at_start": load,
        "garbage_collector": gc_clock.result(),
        "info": info,
    }
    if tracer is not None:
        tracer.finish()
        result["sql"] = tracer.summary()
    return result


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    result = run_command(spec) if spec["stage"] == "command" else run_stage(spec)
    Path(spec["result"]).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
