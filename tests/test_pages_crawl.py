"""Every page, as a browser asks for it: a crawl from the home page over real HTTP.

Breadth first from ``/`` on the session's ``cyberframe serve`` with a
browser's ``Accept``, following ``href`` and ``src`` of every HTML page it
reaches and requesting (not parsing) everything else. Only 127.0.0.1 is ever
contacted; links elsewhere are counted, never fetched. Links of a kind not
seen yet are visited first, so that a cut-off budget would still cover every
route and every kind of entity. The test fails on any 4xx or 5xx (naming the
page that linked it), and on any attachment or non-HTML answer that was not
asked for by an explicit download link (``download`` or ``type`` on the
link) or as a page's own resource (stylesheet, script, picture).
"""

from __future__ import annotations

import gzip
import os
import re
import time
import urllib.parse
from collections import deque

import pytest

from pages_support import BROWSER_ACCEPT, find_all, parse_html

# Over real HTTP against the session's `cyberframe serve`, and the crawl alone takes ~15 s.
pytestmark = pytest.mark.slow

#: The CI budget: a minute, at most 6,000 requests. A long crawl: CRAWL_SECONDS=1800 CRAWL_REQUESTS=100000
#: (the figures in docs/http.md come from such a run; the /controls filter combinations never end).
MAX_REQUESTS = int(os.environ.get("CRAWL_REQUESTS", "6000"))
MAX_SECONDS = float(os.environ.get("CRAWL_SECONDS", "60"))
_DIGITS = re.compile(r"\d+")
#: Answers that are not pages but are meant to be fetched by the page that links them.
RESOURCE_TYPES = ("text/css", "text/javascript", "image/svg+xml")


def shape(url: str) -> str:
    """What kind of link *url* is: the path without its last segment's specifics, and the query's keys."""
    parts = urllib.parse.urlsplit(url)
    segments = parts.path.split("/")
    if parts.path.startswith("/id/") and len(segments) > 3:
        segments = segments[:3]  # /id/{kind}: one shape per kind of entity
    keys = sorted(k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return _DIGITS.sub("N", "/".join(segments)) + "?" + "&".join(keys)


def explicit_downloads(doc) -> set[str]:
    """Links a person follows to get a file: ``download``, a ``type`` attribute naming a non-HTML format, or
    a ``format=`` that names one in the link itself."""
    found = set()
    for element in find_all(doc, "a", {"href": None}):
        kind = element.get("type")
        fmt = urllib.parse.parse_qs(urllib.parse.urlsplit(element.get("href") or "").query).get("format", [])
        if element.get("download") is not None or (kind and kind != "text/html") or (fmt and fmt[0] != "html"):
            found.add(element.get("href") or "")
    return found


def test_crawl_finds_no_broken_link_and_no_unintended_download(server):
    """Every page, as a browser asks for it: no 4xx/5xx, no attachment or data answer but explicit downloads."""
    base = server.base
    seen: set[str] = {"/"}
    shapes: set[str] = set()
    fresh: deque[tuple[str, str, bool]] = deque([("/", "(start)", False)])
    known: deque[tuple[str, str, bool]] = deque()
    broken: list[str] = []
    unintended: list[str] = []
    busy: list[str] = []  #: 503 twice: a loaded machine, not a broken link (at most a few allowed)
    external: set[str] = set()
    sizes: list[tuple[int, int, float, str]] = []  # (bytes sent gzipped, bytes of HTML, seconds, url)
    pages = requests = 0
    started = time.monotonic()
    while (fresh or known) and requests < MAX_REQUESTS and time.monotonic() - started < MAX_SECONDS:
        url, referrer, download = fresh.popleft() if fresh else known.popleft()
        asked = time.perf_counter()
        response = server.request("GET", url, headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "gzip"})
        took = time.perf_counter() - asked
        requests += 1
        if response.status == 503:  # every query worker busy or a query past its time limit: once more
            time.sleep(1.0)
            response = server.request("GET", url, headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "gzip"})
            if response.status == 503:
                busy.append(url)
                continue
        if response.status >= 400:
            broken.append(f"{response.status} {url} (linked from {referrer})")
            continue
        assert response.status in (200, 301, 303), f"{response.status} {url} (from {referrer})"
        location = response.header("Location")
        targets: list[tuple[str, bool]] = [(location, download)] if location else []
        content_type = (response.header("Content-Type") or "").split(";")[0]
        disposition = response.header("Content-Disposition") or ""
        data = disposition.startswith("attachment") or content_type not in ("text/html", *RESOURCE_TYPES)
        if response.status == 200 and not download and data:
            unintended.append(f"{content_type} {disposition} {url} (linked from {referrer})")
        if response.status == 200 and content_type == "text/html":
            pages += 1
            body = gzip.decompress(response.body) if response.header("Content-Encoding") == "gzip" else response.body
            sizes.append((len(response.body), len(body), took, url))
            doc = parse_html(body.decode("utf-8"))
            downloads = explicit_downloads(doc)
            targets += [(e.get("href") or "", e.get("href") in downloads) for e in find_all(doc, None, {"href": None})]
            targets += [(e.get("src") or "", False) for e in find_all(doc, None, {"src": None})]
        for target, is_download in targets:
            absolute = urllib.parse.urljoin(base + url, target)
            parts = urllib.parse.urlsplit(absolute)
            if parts.scheme not in ("http", "https"):
                continue
            if parts.netloc != f"127.0.0.1:{server.port}":
                external.add(parts.netloc)
                continue
            local = parts.path + ("?" + parts.query if parts.query else "")
            if local in seen:
                continue
            seen.add(local)
            kind = shape(local)
            if kind in shapes:
                known.append((local, url, is_download))
            else:
                shapes.add(kind)
                fresh.append((local, url, is_download))
    elapsed = time.monotonic() - started
    wire, html, took, largest = max(sizes)
    slowest = max(sizes, key=lambda entry: entry[2])
    print(
        f"crawl: {requests} requests, {pages} HTML pages, {len(shapes)} kinds of link, {len(seen)} URLs seen, "
        f"{'all' if not (fresh or known) else 'not all'} reached, {elapsed:.1f} s; largest page {largest}: "
        f"{html} bytes ({wire} gzipped), {took * 1000:.0f} ms; slowest {slowest[3]}: {slowest[2] * 1000:.0f} ms; "
        f"busy (503): {len(busy)}; external hosts linked: {sorted(external)}"
    )
    assert not broken, "broken links:\n" + "\n".join(broken[:40])
    assert len(busy) <= 3, f"503 twice on {busy}"
    assert not unintended, "unintended downloads:\n" + "\n".join(unintended[:40])
    assert pages > 200, f"the crawl reached only {pages} pages"
    for expected in (
        "/id/function",
        "/id/subcategory",
        "/id/control",
        "/id/mapping",
        "/heatmap",
        "/sparql/results",
        "/exports",
        "/queries/",
        "/stats",
        "/health",
    ):
        assert any(s.startswith(expected) for s in shapes), f"the crawl never reached {expected}"
