"""The benchmark's results as a table (stdout) and a markdown page."""

from __future__ import annotations


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def render_table(rows: list[dict]) -> str:
    """stage | seconds | peak MiB | CPU s | x floor, one markdown table, grouped."""
    lines = [
        "| stage | seconds | peak MiB | CPU s | x floor | load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    group = None
    for r in rows:
        if r["group"] != group:
            group = r["group"]
            lines.append(f"| **{group}** | | | | | |")
        peak = _num(r["peak_rss_mib"], 0) if r["peak_rss_mib"] else ""
        cpu = _num(r["cpu_seconds"], 1) if r["cpu_seconds"] else ""
        spread = ""
        if r["repeats"] > 1:
            spread = f" ({_num(r['seconds_min'])}-{_num(r['seconds_max'])})"
        lines.append(
            f"| {r['label']} | {_num(r['seconds'])}{spread} | {peak} | {cpu} | "
            f"{_num(r['ratio_to_floor'], 1)}{'x' if r['ratio_to_floor'] else ''} | "
            f"{_num(r.get('load_1min_median'), 1)} |"
        )
        for name, seconds in (r.get("phases") or {}).items():
            lines.append(f"| &nbsp;&nbsp;of which {name} | {_num(seconds)} | | | | |")
        prefect = r.get("prefect")
        if prefect:
            lines.append(
                f"| &nbsp;&nbsp;of which task runs (Prefect API) | "
                f"{_num(prefect['task_run_seconds_median'])} | | | | |"
            )
            lines.append(
                f"| &nbsp;&nbsp;of which flow run outside task runs (Prefect overhead) | "
                f"{_num(prefect['outside_tasks_seconds_median'])} | | | | |"
            )
    return "\n".join(lines)


def _parts_tables(rows: list[dict]) -> list[str]:
    lines = []
    for r in rows:
        parts = r.get("parts") or {}
        if not parts:
            continue
        lines += [
            "",
            f"**{r['label']}** ({r['group']}): {_num(r['seconds'])} s",
            "",
            "| part | seconds | share |",
            "|---|---:|---:|",
        ]
        for name, seconds in sorted(parts.items(), key=lambda kv: -kv[1]):
            share = seconds / r["seconds"] if r["seconds"] else 0.0
            lines.append(f"| {name} | {_num(seconds)} | {share:.0%} |")
    return lines


def _prefect_tasks(rows: list[dict]) -> list[str]:
    lines = []
    for r in rows:
        prefect = r.get("prefect")
        if not prefect:
            continue
        lines += [
            "",
            f"**{r['label']}** (last run): flow run {_num(prefect['flow_run_seconds'])} s, "
            f"task runs {_num(prefect['task_run_seconds'])} s, outside task runs "
            f"{_num(prefect['outside_tasks_seconds'])} s "
            f"({(prefect['outside_tasks_share'] or 0):.1%}), of which between tasks "
            f"{_num(prefect['between_tasks_seconds'])} s; {prefect['task_runs']} task runs",
            "",
            "| task run | seconds |",
            "|---|---:|",
        ]
        for t in prefect["tasks"]:
            lines.append(f"| {t['name']} | {_num(t['run_seconds'])} |")
    return lines


def _profiles(profiles: dict) -> list[str]:
    lines = []
    for name, p in profiles.items():
        lines += [
            "",
            f"### {name} ({p['stage']}): {p['seconds_under_profiler']} s under the profiler",
            "",
            f"cProfile file: `{p['profile_file']}` (open with `python -m pstats` or snakeviz).",
            "",
            "Top functions by own time:",
            "",
            "| function | calls | own s | cumulative s |",
            "|---|---:|---:|---:|",
        ]
        for f in p["cprofile"]["top_own_time"][:12]:
            lines.append(
                f"| `{f['function']}` | {f['calls']:,} | {_num(f['own_seconds'])} | "
                f"{_num(f['cumulative_seconds'])} |"
            )
        lines += [
            "",
            "Top project functions by cumulative time:",
            "",
            "| function | calls | cumulative s |",
            "|---|---:|---:|",
        ]
        for f in p["cprofile"]["top_cumulative_project"][:12]:
            lines.append(
                f"| `{f['function']}` | {f['calls']:,} | {_num(f['cumulative_seconds'])} |"
            )
        sql = p.get("sql")
        if sql:
            lines += [
                "",
                f"SQL: {sql['statements']:,} statements, {_num(sql['sql_seconds'])} s in DuckDB "
                "(execute + fetch). Top statements (grouped by text and caller):",
                "",
                "| statement | caller | count | seconds |",
                "|---|---|---:|---:|",
            ]
            for s in sql["top_statements"][:12]:
                label = s["label"].replace("|", "/")
                lines.append(
                    f"| `{label}` | `{s['caller']}` | {s['count']} | {_num(s['seconds'])} |"
                )
            slow = sql.get("slowest_with_duckdb_profile") or []
            if slow:
                lines += ["", "DuckDB's profile of the slowest single statements:", ""]
                for s in slow[:5]:
                    ops = "; ".join(
                        f"{o['operator']} {_num(o['seconds'])} s"
                        + (f" ({o['rows']:,} rows)" if isinstance(o.get("rows"), int) else "")
                        + (f" [{o['detail']}]" if o.get("detail") else "")
                        for o in s["top_operators"][:4]
                    )
                    label = s["label"].replace("|", "/")
                    lines.append(
                        f"- `{label}` ({s['caller']}): {_num(s['seconds'])} s wall, DuckDB "
                        f"{_num(s['duckdb_seconds'])} s, CPU {_num(s['duckdb_cpu_seconds'])} s, "
                        f"peak buffer {s['peak_buffer_mib']} MiB; operators: {ops}"
                    )
    return lines


def _equality(name: str, eq: dict | None) -> list[str]:
    if not eq:
        return []
    verdict = "equal" if eq["equal"] else "DIFFERENT"
    lines = [
        f"- {name}: {verdict} ({eq['tables_compared']} tables, {eq['files_compared']} "
        "CSV/C1 files compared)"
    ]
    for table, d in eq["tables_differing"].items():
        lines.append(
            f"  - {table}: {d['only_incremental']} rows only in the incremental run, "
            f"{d['only_full']} only in the full rebuild"
        )
    for f, v in eq["files_not_same"].items():
        lines.append(f"  - {f}: {v}")
    return lines


def render_markdown(scale: str, report: dict) -> str:
    m, d = report["machine"], report["dataset"]
    limits = ", ".join(f"{k} {v}" for k, v in m["cgroup_limits"].items()) or "none found"
    lines = [
        f"# Benchmark: {scale}",
        "",
        f"Command: `{report['command']}` ({report['total_benchmark_seconds']} s in all).",
        "",
        "## Machine",
        "",
        f"- {m['nproc']} CPUs usable ({m['cpu_count']} online), {m['cpu_model']}; "
        f"{m['memory_gib']} GiB memory ({m['memory_available_gib']} GiB available at start); "
        f"cgroup limits: {limits}",
        f"- Python {m['python']}, DuckDB {m['duckdb']} (warehouse memory_limit "
        f"{m['duckdb_memory_limit']}), Prefect {m['prefect']}, pandas {m['pandas']}, "
        f"pyarrow {m['pyarrow']}, Great Expectations {m['great_expectations']}",
        "- load average (1, 5, 15 min) at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}, at end "
        f"{', '.join(f'{x:.2f}' for x in m.get('loadavg_at_end', ()))} "
        "(a shared machine: other engineers' jobs run beside this one)",
        "",
        "## Data",
        "",
        f"`tools.generate` scale {scale}, seed 1, dirty rate 0.001: {d['batches']} batches, "
        f"{d['files']} files, {d['bytes'] / 2**20:.1f} MiB, {d['rows']:,} rows "
        f"({d['injected_bad_rows']} injected bad rows); the last daily {d['last_daily']}: "
        f"{d['last_daily_rows']:,} rows ({d['last_daily_rows'] / max(d['rows'], 1):.1%}), "
        f"{d['last_daily_bytes'] / 2**20:.2f} MiB. Generated in "
        f"{d['generation_seconds']} s (cached in tools/benchmarks/results/data/).",
        "",
        "## Results",
        "",
        "Seconds: wall time of the stage body in its own process (median of the repeats, range "
        "in brackets); peak MiB: that process's peak RSS (for the CLI: its largest process); "
        "CPU s: user + system CPU of that process; x floor: seconds / the floor's seconds; "
        "load: the machine's 1-minute load average when the stage started (median).",
        "",
        render_table(report["rows"]),
        "",
        "## Goals (issue 9)",
        "",
        *(f"- {line}" for line in report["goals"]["lines"]),
        "",
        "## Incremental run vs full rebuild: same results?",
        "",
        *_equality("stage by stage", report.get("incremental_equality_stages")),
        *_equality("via the CLI", report.get("incremental_equality_cli")),
        "",
        "## Parts of each stage",
        *_parts_tables(report["rows"]),
        "",
        "## Prefect task runs",
        *_prefect_tasks(report["rows"]),
    ]
    if report.get("profiles"):
        lines += ["", "## Where the time goes (profiler)", *_profiles(report["profiles"])]
    return "\n".join(lines) + "\n"
