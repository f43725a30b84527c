"""Every internal link resolves: a bounded crawl from the home page, over real HTTP.

Breadth first from ``/`` on the session's ``cyberframe serve``, following
``href`` and ``src`` of every HTML page it reaches and requesting (not
parsing) everything else. Only 127.0.0.1 is ever contacted; links elsewhere
are counted, never fetched. Links of a kind not seen yet are visited first,
so that the page budget covers every route and every kind of entity before it
covers every entity; the test fails on any 404 or 5xx and says which page
linked to it.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections import deque

import pytest

from pages_support import BROWSER_ACCEPT, find_all, parse_html

# Over real HTTP against the session's `cyberframe serve`, and the crawl alone takes ~15 s.
pytestmark = pytest.mark.slow

MAX_REQUESTS = 1000
MAX_SECONDS = 30.0
_DIGITS = re.compile(r"\d+")


def shape(url: str) -> str:
    """What kind of link *url* is: the path without its last segment's specifics, and the query's keys."""
    parts = urllib.parse.urlsplit(url)
    segments = parts.path.split("/")
    if parts.path.startswith("/id/") and len(segments) > 3:
        segments = segments[:3]  # /id/{kind}: one shape per kind of entity
    keys = sorted(k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return _DIGITS.sub("N", "/".join(segments)) + "?" + "&".join(keys)


def test_crawl_finds_no_broken_link(server):
    base = server.base
    seen: set[str] = {"/"}
    shapes: set[str] = set()
    fresh: deque[tuple[str, str]] = deque([("/", "(start)")])
    known: deque[tuple[str, str]] = deque()
    broken: list[str] = []
    external: set[str] = set()
    pages = requests = 0
    started = time.monotonic()
    while (fresh or known) and requests < MAX_REQUESTS and time.monotonic() - started < MAX_SECONDS:
        url, referrer = fresh.popleft() if fresh else known.popleft()
        response = server.request("GET", url, headers={"Accept": BROWSER_ACCEPT})
        requests += 1
        if response.status == 404 or response.status >= 500:
            broken.append(f"{response.status} {url} (linked from {referrer})")
            continue
        assert response.status in (200, 301, 303, 400), f"{response.status} {url} (from {referrer})"
        location = response.header("Location")
        targets: list[str] = [location] if location else []
        content_type = response.header("Content-Type") or ""
        if response.status == 200 and content_type.startswith("text/html"):
            pages += 1
            doc = parse_html(response.text)
            targets += [e.get("href") or "" for e in find_all(doc, None, {"href": None})]
            targets += [e.get("src") or "" for e in find_all(doc, None, {"src": None})]
        for target in targets:
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
                known.append((local, url))
            else:
                shapes.add(kind)
                fresh.append((local, url))
    assert not broken, "broken links:\n" + "\n".join(broken[:40])
    assert pages > 300, f"the crawl reached only {pages} pages"
    for expected in (
        "/id/function",
        "/id/subcategory",
        "/id/control",
        "/id/mapping",
        "/heatmap",
        "/sparql/results",
        "/exports",
    ):
        assert any(s.startswith(expected) for s in shapes), f"the crawl never reached {expected}"
    print(
        f"crawl: {requests} requests, {pages} HTML pages, {len(shapes)} kinds of link, {len(seen)} URLs seen, "
        f"{time.monotonic() - started:.1f} s; external hosts linked: {sorted(external)}"
    )
