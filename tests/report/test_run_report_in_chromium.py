"""The run report opened in a real browser: Debian's headless Chromium, with no network at all.

Two looks at the same page: the DOM after load (a copy of the page with a probe script that
records, for every chart, the bars Chromium laid out in its SVG and where the chart sits) and a
screenshot of the page itself, whose chart regions must hold a drawn chart, not a blank.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
from PIL import Image

from tests.report.browser import WINDOW, chromium_path, dump_dom, screenshot
from tests.report.page_parts import CHARTS

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="headless Chromium not installed: apt-get install -y chromium "
    "(CI runs .ci/install-chromium.sh)",
)
WIDTH, HEIGHT = WINDOW  # 1280 x 2400
TEAL = (0x2A, 0x9D, 0x8F)  # the collections / delivered series colour

PROBE = """<script>
window.addEventListener("load", () => {
  const charts = [...document.querySelectorAll("figure[data-chart]")].map((figure) => {
    const svg = figure.querySelector("svg");
    const box = svg.getBoundingClientRect();
    const bars = [...svg.querySelectorAll("rect")].filter((r) => r.getBBox().width > 0);
    return {key: figure.dataset.chart, bars: bars.length,
            labels: svg.querySelectorAll("text").length,
            top: box.top + window.scrollY, left: box.left, width: box.width, height: box.height};
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify(charts);
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="module")
def browser(rendered, tmp_path_factory):
    """(what the probe saw of each chart, a screenshot of the report itself)."""
    probe = rendered.page.with_name("probe.html")
    probe.write_text(rendered.html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        dom = dump_dom(probe)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, "the probe script did not run: " + dom[-500:]
    charts = json.loads(html.unescape(found.group(1)))
    shot = screenshot(rendered.page, tmp_path_factory.mktemp("chromium") / "report.png")
    return charts, shot


def test_every_chart_is_laid_out_with_its_bars_in_chromium(browser):
    charts, _ = browser
    assert {c["key"] for c in charts} == CHARTS
    for chart in charts:
        assert chart["bars"] > 0 and chart["labels"] > 2, chart
        assert chart["width"] > 300 and chart["height"] > 80, chart


def _drawn(region: Image.Image) -> tuple[int, float, int]:
    """(distinct colours, share of non-white pixels, teal pixels) of a screenshot region."""
    pixels = np.asarray(region.convert("RGB"), dtype=np.int32).reshape(-1, 3)
    inked = float((pixels.min(axis=1) < 235).mean())
    teal = int((np.abs(pixels - TEAL).max(axis=1) < 24).sum())
    colours = np.unique(pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2])
    return len(colours), inked, teal


def test_the_screenshot_shows_the_page_and_its_charts_drawn(browser):
    charts, shot = browser
    with Image.open(shot) as image:
        assert image.size == (WIDTH, HEIGHT)
        colours, inked, _ = _drawn(image.resize((WIDTH // 4, HEIGHT // 4)))
        assert colours > 200 and inked > 0.05  # not a blank page
        on_screen = [c for c in charts if c["top"] + c["height"] <= HEIGHT]
        assert {"purchaser-totals", "billing-trend"} <= {c["key"] for c in on_screen}
        for c in on_screen:
            box = (c["left"], c["top"], c["left"] + c["width"], c["top"] + c["height"])
            colours, inked, teal = _drawn(image.crop(tuple(round(v) for v in box)))
            # Bars, axes and labels: many colours and some ink, not an empty frame.
            assert colours > 30 and inked > 0.03, (c["key"], colours, inked)
            if c["key"] in ("purchaser-totals", "billing-trend", "delivery-progress"):
                assert teal > 500, (c["key"], teal)
