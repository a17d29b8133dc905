"""The run's Data Docs site: readable without the internet, and honest about warnings.

Offline. GX 1.x's page templates (great_expectations/render/view/templates/*.j2) load bootstrap,
jQuery, popper, bootstrap-table, bootstrap-datepicker, bootstrap-dark, font-awesome and vega from
CDNs, and the navbar logo from GX's S3 bucket; without the network the index's table of
validations (drawn by bootstrap-table) stays empty. GX offers no hook that replaces those tags:
its one template hook, a plugins folder's `custom_data_docs/views`, is searched after GX's own
templates (DefaultJinjaView's ChoiceLoader), so it can add templates but not override a page's
head, and the `static` folder GX copies into a site holds only its images, fonts and styles. So
the libraries' own files ship in `data_docs_assets/` (from npm, at the versions the templates
name; README.md there), each site gets a copy under `static/vendor/`, and after a build every
page's CDN URLs are rewritten to that copy through one table, `OFFLINE`.

Warnings. GX records each expectation's severity, but its renderers call a suite "Failed" when
any expectation is unmet. The site's renderers (fms.quality.data_docs_renderers, named in the
site's configuration, GX's supported way to choose a section's or index's renderer) say
"Passed with warnings" when every unmet expectation is a warning; the validation result stays
as GX computed it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

ASSETS = Path(__file__).with_name("data_docs_assets")
VENDOR = "static/vendor"
RENDERERS = "fms.quality.data_docs_renderers"

_V = VENDOR
# Each URL GX 1.x's page templates load, and the file in a site that replaces it.
OFFLINE: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        f"{_V}/bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        f"{_V}/bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://code.jquery.com/jquery-3.7.1.min.js": f"{_V}/jquery-3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        f"{_V}/popper.js-1.12.9/popper.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        f"{_V}/bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        f"{_V}/bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        f"{_V}/bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    # The index page names the minified file, the other pages the unminified one.
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        f"{_V}/bootstrap-table-1.19.0/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        f"{_V}/bootstrap-table-1.19.0/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": f"{_V}/bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": f"{_V}/bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js",
    # The same release's minified build of the stylesheet the pages name (883 kB unminified).
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css": f"{_V}/bootstrap-dark-1.1.0/bootstrap-prefers-dark.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        f"{_V}/fontawesome-free-6.6.0/css/all.min.css"
    ),
    # jsDelivr serves a package's `jsdelivr` file at the newest version of the major named.
    "https://cdn.jsdelivr.net/npm/vega@5": f"{_V}/vega-5.33.1/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": f"{_V}/vega-lite-5.23.0/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": f"{_V}/vega-embed-6.29.0/vega-embed.min.js",
    # GX copies its logo into every site's static/ folder, yet the navbar loads it from S3.
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png": (
        "static/images/logo-long.png"
    ),
}

# A tag that makes the browser fetch what it names.
_RESOURCE_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
# A known URL as an attribute's whole value; a query (GX's cache buster and context id on the
# logo) goes with it.
_KNOWN_URL = re.compile(
    "(?<=[\"'])("
    + "|".join(re.escape(u) for u in sorted(OFFLINE, key=len, reverse=True))
    + ")(?:\\?[^\"']*)?(?=[\"'])"
)
# Subresource integrity makes Chromium fetch the file in CORS mode, which a file:// URL never
# passes; the shipped files are the very bytes the hashes name (tests/quality checks them).
_INTEGRITY = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
_REMOTE = re.compile(r"\b(?:src|href)\s*=\s*[\"'](?:https?:)?//", re.IGNORECASE)

log = logging.getLogger(__name__)


def site_config(docs_dir: Path) -> dict:
    """The SiteBuilder configuration of a run's site in `docs_dir` (an absolute folder)."""
    return {
        "class_name": "SiteBuilder",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {
            "module_name": RENDERERS,
            "class_name": "SeverityAwareSiteIndexBuilder",
            "renderer": {"module_name": RENDERERS, "class_name": "SeverityAwareIndexRenderer"},
        },
        "site_section_builders": {
            "validations": {
                "renderer": {
                    "module_name": RENDERERS,
                    "class_name": "SeverityAwareValidationResultsRenderer",
                }
            }
        },
    }


def localize(page: str, to_root: str) -> str:
    """The page with each known CDN URL in a script, link or img tag replaced by the path of
    its copy, relative to the page (`to_root` leads from the page's folder to the site's)."""

    def local_tag(tag: re.Match) -> str:
        text = tag.group(0)
        local = _KNOWN_URL.sub(lambda url: to_root + OFFLINE[url.group(1)], text)
        return _INTEGRITY.sub("", local) if local != text else text

    return _RESOURCE_TAG.sub(local_tag, page)


def remote_resources(page: str) -> list[str]:
    """The script, link and img tags of a page that still fetch from the network."""
    return [t for t in _RESOURCE_TAG.findall(page) if _REMOTE.search(t)]


def make_offline(docs_dir: Path) -> None:
    """Point a built site's pages at local copies of the assets, then copy them in (pages first:
    they only shrink, so the site never holds more than its final size on the disk)."""
    vendor = docs_dir / VENDOR
    remote: set[str] = set()
    for page in docs_dir.rglob("*.html"):
        if page.is_relative_to(vendor.parent):
            continue
        to_root = Path(os.path.relpath(docs_dir, page.parent)).as_posix() + "/"
        text = page.read_text(encoding="utf-8")
        local = localize(text, to_root)
        if local != text:
            page.write_text(local, encoding="utf-8")
        remote.update(remote_resources(local))
    for asset in ASSETS.rglob("*"):
        if asset.is_file() and asset.suffix != ".md":
            copy = vendor / asset.relative_to(ASSETS)
            copy.parent.mkdir(parents=True, exist_ok=True)
            # Contents only: the run's umask decides who may read its files (app.cli), not
            # the modes of the installed package's files.
            shutil.copyfile(asset, copy)
    for tag in sorted(remote):
        # A URL a newer GX names and OFFLINE does not: the pages still work online.
        log.warning("Data Docs in %s load from the network: %s", docs_dir, tag)
