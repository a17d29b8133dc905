"""An ad-hoc run's selection is one the warehouse holds: a purchaser code or case id it does not
know is a typo, refused naming the close matches, never a run that writes empty files and says
"no statements yet". A case and a purchaser given together must agree: a purchaser's files never
hold another purchaser's case."""

from __future__ import annotations

import difflib

import duckdb

# Two-letter codes are close at one letter in common (UJ ~ UK); case ids share more.
CLOSE_PURCHASER = 0.5
CLOSE_CASE = 0.75
LISTED = 12  # purchasers (or one purchaser's cases) named in full up to this many


class UnknownSelection(ValueError):
    """The purchaser or case asked for is not in the warehouse."""


def check_selection(
    con: duckdb.DuckDBPyConnection, purchaser: str | None, case: str | None
) -> None:
    if purchaser is not None:
        known = [
            c for (c,) in con.execute("SELECT country_code FROM countries ORDER BY 1").fetchall()
        ]
        if purchaser not in known:
            raise UnknownSelection(
                f"--purchaser {purchaser}: the warehouse holds no such purchaser"
                + _suggestion(purchaser, known, CLOSE_PURCHASER)
                + (f"; its purchasers: {', '.join(known)}" if len(known) <= LISTED else "")
            )
    if case is not None:
        found = con.execute("SELECT country_code FROM cases WHERE case_id = ?", [case]).fetchone()
        if found is None:
            known = [c for (c,) in con.execute("SELECT case_id FROM cases ORDER BY 1").fetchall()]
            close = _suggestion(case, known, CLOSE_CASE)
            same_purchaser = [c for c in known if c[:2] == case[:2]]
            if not close and 0 < len(same_purchaser) <= LISTED:
                close = f"; {case[:2]}'s cases: {', '.join(same_purchaser)}"
            raise UnknownSelection(f"--case {case}: the warehouse holds no such case{close}")
        if purchaser is not None and found[0] != purchaser:
            raise UnknownSelection(
                f"--case {case} is purchaser {found[0]}'s, not {purchaser}'s: give one of them, "
                "or a case of that purchaser"
            )


def _suggestion(asked: str, known: list[str], cutoff: float) -> str:
    close = difflib.get_close_matches(asked, known, n=3, cutoff=cutoff)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
