"""Read a rendered report back: its tables' cells, every tag's attributes and the text of each
element with an id (stdlib parser)."""

from __future__ import annotations

from html.parser import HTMLParser

# The charts a report with every section filled draws (data-chart keys).
CHARTS = {
    "purchaser-totals",
    "billing-trend",
    "delivery-progress",
    "closure-funnel",
    "closure-blockers",
    "funds-locked",
    "data-quality",
}
VOID = {"img", "meta", "br", "hr", "input", "link"}  # elements that have no end tag


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.styles: list[str] = []
        self._in_style = False
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str, int]] = []  # (id, tag, depth) of elements being read
        # data-chart key -> the SVG shapes (tag, attributes) drawn inside its figure
        self.charts: dict[str, list[tuple[str, dict[str, str]]]] = {}
        self._chart: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "figure" and "data-chart" in attributes:
            self._chart = attributes["data-chart"]
            self.charts[self._chart] = []
        elif self._chart is not None:
            self.charts[self._chart].append((tag, attributes))
        self._open = [(i, t, d + (t == tag)) for i, t, d in self._open]
        if "id" in attributes and tag not in VOID:
            self.texts[attributes["id"]] = []
            self._open.append((attributes["id"], tag, 1))
        if tag == "table" and "id" in attributes:
            self._table = attributes["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        self._open = [(i, t, d - (t == tag)) for i, t, d in self._open]
        self._open = [(i, t, d) for i, t, d in self._open if d]
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "style":
            self._in_style = False
        elif tag == "figure":
            self._chart = None

    def handle_data(self, data):
        for element, _, _ in self._open:
            self.texts[element].append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_style:
            self.styles.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def drawn_charts(html: str) -> set[str]:
    """The data-chart keys of the charts drawn on the page."""
    return set(parse(html).charts)


def rows(html: str, table_id: str) -> list[list[str]]:
    """The rows of the table with this id (header row first, footer row last)."""
    return parse(html).tables[table_id]


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id: its texts joined by single spaces."""
    return " ".join(" ".join(parse(html).texts[element_id]).split())
