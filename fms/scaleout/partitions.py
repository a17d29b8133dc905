"""Which purchasers each worker builds: balanced partitions of whole purchasers."""

from __future__ import annotations

import duckdb

from fms.sqlfiles import query


def purchaser_workload(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Every purchaser (countries) -> its rows in the largest mart inputs."""
    return dict(query(con, "scaleout/purchaser_workload"))


def partition_purchasers(workload: dict[str, int], partitions: int) -> list[list[str]]:
    """Split purchasers into at most `partitions` groups of about equal workload.

    Heaviest first, each to the lightest group so far (ties: the first group); a purchaser is
    never split (billing interest is a purchaser figure). Deterministic for the same input.
    Always returns at least one group (maybe empty): a worker then builds the marts' empty
    tables, so the staged tables have their columns whatever the data.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    groups: list[list[str]] = [[] for _ in range(min(partitions, max(len(workload), 1)))]
    loads = [0] * len(groups)
    for purchaser, weight in sorted(workload.items(), key=lambda item: (-item[1], item[0])):
        lightest = loads.index(min(loads))
        groups[lightest].append(purchaser)
        loads[lightest] += weight
    return [sorted(group) for group in groups]


def selected_purchasers(
    con: duckdb.DuckDBPyConnection, purchaser: str | None, case_id: str | None
) -> list[str] | None:
    """The purchasers an ad-hoc run covers (the case's own for a case run; none for an unknown
    case), or None for a full run."""
    if case_id is not None:
        rows = con.execute(
            "SELECT country_code FROM cases WHERE case_id = $case_id", {"case_id": case_id}
        ).fetchall()
        return [rows[0][0]] if rows else []
    if purchaser is not None:
        return [purchaser]
    return None
