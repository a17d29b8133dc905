"""Long lists (a purchaser's cases, a statement's cases, the closure worklist) come a page at a
time: at 20,000 cases the whole worklist is 5 MiB of HTML and a second to render
(tools/benchmarks/README.md, "The portal"). The SQL takes `$limit` and `$offset` and says how
many rows are in scope (`rows_in_scope`), so a page costs what it shows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    number: int  # from 1
    size: int
    rows: int = 0  # rows in scope, all pages together

    @property
    def params(self) -> dict[str, int]:
        return {"limit": self.size, "offset": (self.number - 1) * self.size}

    @property
    def pages(self) -> int:
        return max(1, -(-self.rows // self.size))

    @property
    def first_row(self) -> int:
        return min(self.rows, (self.number - 1) * self.size + 1)

    @property
    def last_row(self) -> int:
        return min(self.rows, self.number * self.size)

    def counted(self, records: list[dict]) -> Page:
        """This page with the count its rows carry (none: nothing in scope on this page)."""
        return Page(self.number, self.size, records[0]["rows_in_scope"] if records else 0)

    def exists(self) -> bool:
        """Page 1 always exists (an empty list says so); a later one only if it holds rows."""
        return self.number == 1 or self.rows > 0
