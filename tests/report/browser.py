"""Open a run report in headless Chromium (Debian's `chromium` package) with no network at all:
a screenshot, or the DOM after the page loaded. Used by the browser test and for the README's
screenshot (from the repository's folder):

    .venv/bin/python -m tests.report.browser data/out/nightly/2026-11-03/run_report.html \
        docs/run-report.png
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

WINDOW = (1280, 2400)


class ChromiumMissing(RuntimeError):
    pass


def chromium_path() -> str | None:
    return shutil.which("chromium")


def run_chromium(page: Path, *args: str, window: tuple[int, int] = WINDOW) -> str:
    """Run headless Chromium on a local page; return what it printed (the DOM for --dump-dom)."""
    binary = chromium_path()
    if binary is None:
        raise ChromiumMissing("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="fms-chromium-") as profile:
        command = [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            # No host name resolves: a page that needed the network would show it broken.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={profile}",
            f"--window-size={window[0]},{window[1]}",
            *args,
            Path(page).absolute().as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def screenshot(page: Path, png: Path, window: tuple[int, int] = WINDOW) -> Path:
    """A PNG of the top `window` of the page (width x height in CSS pixels)."""
    png = Path(png).absolute()
    png.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(page, f"--screenshot={png}", window=window)
    return png


def dump_dom(page: Path, window: tuple[int, int] = WINDOW) -> str:
    """The page's DOM after its load event (scripts in the page have run)."""
    return run_chromium(page, "--dump-dom", window=window)


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshot a run report in headless Chromium")
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--width", type=int, default=WINDOW[0])
    parser.add_argument("--height", type=int, default=WINDOW[1])
    options = parser.parse_args()
    print(screenshot(options.page, options.png, (options.width, options.height)))


if __name__ == "__main__":
    main()
