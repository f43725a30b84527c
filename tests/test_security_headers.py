"""Every response carries the browser security headers; every HTML page fits its Content-Security-Policy.

Flask's test client in this process: each GET route of the app (the test
fails when a route with parameters has no sample URL here, so a new route is
never skipped), the error pages, and the settings that change the headers.
The pages are also read for what the policy would block (inline scripts,
inline styles, event-handler attributes, ``javascript:`` URLs, other hosts'
scripts and styles); the browser test (tests/test_browser.py) checks the
same in Chromium with ``securitypolicyviolation`` events.
"""

from __future__ import annotations

import pytest

from cyberframe.settings import SettingsError
from pages_support import BROWSER_ACCEPT, find_all, parse_html

HTML = {"Accept": BROWSER_ACCEPT}
#: A URL per route that takes arguments (rule -> sample).
SAMPLES = {
    "/queries/<name>": "/queries/controls-for-function?function=DE",
    "/static/<path:filename>": "/static/cyberframe.css",
    "/exports/<filename>": "/exports/cyberframe-sssom.tsv",
    "/id/<path:key>": "/id/subcategory/DE.CM-1",
    "/cyberframe/<path:rest>": "/cyberframe/id/function/DE",
    "/heatmap/<name>.svg": "/heatmap/functions-themes.svg",
    "/heatmap/function/<code>.svg": "/heatmap/function/DE.svg",
}
#: More page types than one per route: queries, errors and the documents of the linked-data routes.
EXTRA = [
    "/sparql?query=ASK%20%7B%7D",
    "/sparql/results?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%203",
    "/sparql/results?query=SELECT%20*%20WHERE%20%7B",
    "/search?q=logging",
    "/controls?theme=People",
    "/id/control/iso-iec-27002-2022/8.16",
    "/id/function/NOPE",
    "/nothing-here",
    "/queries/no-such-query",
    "/queries/controls-for-function?function=XX",
]
REQUIRED = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"directive {name} twice"
        parsed[name] = sources
    return parsed


def make_client(kg, **settings):
    from cyberframe.service import create_app

    app = create_app({"access_log": False, "workers": 1, **settings}, knowledge_graph=kg)
    app.testing = True
    return app, app.test_client()


@pytest.fixture(scope="module")
def app_and_client(kg):
    return make_client(kg)


def every_url(app) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        if rule.arguments:
            assert rule.rule in SAMPLES, f"no sample URL for the route {rule.rule}: add one to SAMPLES"
            urls.append(SAMPLES[rule.rule])
        else:
            urls.append(rule.rule)
    return urls + EXTRA


def inline_code(doc) -> list[str]:
    """What a strict policy blocks in a page: inline scripts and styles, handlers, javascript: URLs, other hosts."""
    found = []
    for element in find_all(doc):
        for name, value in element.attrs.items():
            if name == "style" or name.startswith("on"):
                found.append(f"<{element.tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                found.append(f"<{element.tag} {name}={value}>")
        if element.tag == "style":
            found.append("<style>")
        if element.tag == "script":
            src = element.get("src")
            if src is None and element.get("type") not in ("application/ld+json", "application/json"):
                found.append("inline <script>")
            if src is not None and src.startswith(("http:", "https:", "//")):
                found.append(f"<script src={src}>")
        stylesheet = element.tag == "link" and "stylesheet" in (element.get("rel") or "").split()
        if stylesheet and (element.get("href") or "").startswith(("http:", "https:", "//")):
            found.append(f"<link rel=stylesheet href={element.get('href')}>")
    return found


def test_every_route_carries_the_headers(app_and_client):
    app, client = app_and_client
    pages = 0
    for url in every_url(app):
        for headers in (HTML, {"Accept": "*/*"}, {"Accept": "application/json"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, (url, response.status_code)
            assert response.headers.get("X-Content-Type-Options") == "nosniff", url
            assert response.headers.get("Referrer-Policy") == "same-origin", url
            assert response.headers.get("X-Frame-Options") == "DENY", url
            assert "Strict-Transport-Security" not in response.headers, "no public https URL is configured"
            policy = response.headers.get("Content-Security-Policy")
            assert policy, f"{url} ({response.mimetype}) has no Content-Security-Policy"
            parsed = directives(policy)
            if response.mimetype not in ("text/html", "image/svg+xml"):
                assert parsed == {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}, (url, policy)
                continue
            for name, sources in REQUIRED.items():
                got = parsed.get(name) or []
                if name == "style-src" and url.startswith("/sparql"):  # the editor: YASGUI's styles by hash
                    got = [source for source in got if not source.startswith("'sha256-")]
                assert got == sources, (url, name, parsed.get(name))
            assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
            if response.mimetype == "text/html":
                pages += 1
                body = response.get_data(as_text=True)
                assert not inline_code(parse_html(body)), (url, inline_code(parse_html(body)))
    assert pages >= len(every_url(app)) - 8, "most routes have a page for browsers"


def test_error_answers_and_refusals_carry_the_headers(app_and_client):
    _, client = app_and_client
    for response in (
        client.get("/nothing-here", headers={"Accept": "text/plain"}),
        client.post("/health"),  # 405
        client.get("/sparql?query=DELETE%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"),  # refused update
        client.get("/id/function/DE", headers={"If-None-Match": client.get("/id/function/DE").headers["ETag"]}),
    ):
        assert response.status_code in (304, 400, 404, 405), response.status_code
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_framing_and_connect_sources_come_from_the_settings(kg):
    _, client = make_client(
        kg,
        frame_ancestors="'self' https://portal.example.org",
        connect_sources="https://sparql.example.org",
        public_url="https://cyberframe.example.org/",
    )
    response = client.get("/", headers=HTML)
    parsed = directives(response.headers["Content-Security-Policy"])
    assert parsed["frame-ancestors"] == ["'self'", "https://portal.example.org"]
    assert parsed["connect-src"] == ["'self'", "https://sparql.example.org"]
    assert "X-Frame-Options" not in response.headers, "no legacy equivalent of an origin list"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    _, plain = make_client(kg, frame_ancestors="'self'", public_url="http://localhost:8000/")
    response = plain.get("/", headers=HTML)
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("frame_ancestors", "https://a.example; script-src *"),
        ("frame_ancestors", "'none' https://a.example"),
        ("frame_ancestors", "'unsafe-inline'"),
        ("connect_sources", "'none'"),
        ("connect_sources", "https://a.example/path,https://b.example"),
    ],
)
def test_a_malformed_source_list_stops_the_app(kg, setting, value):
    with pytest.raises(SettingsError, match=setting):
        make_client(kg, **{setting: value})


def test_the_editor_allows_exactly_yasguis_fixed_styles_by_hash(app_and_client):
    """YASGUI's column resizer inserts fixed CSS as <style>: its digests, recomputed from the shipped file,
    are the only additions to the editor's policy, and only there (CSP3 §8.4)."""
    import base64
    import hashlib
    import re

    from conftest import ROOT

    vendor = ROOT / "service/cyberframe/web/site/static/vendor/yasgui"
    script = (vendor / "yasgui.min.js").read_text(encoding="utf-8")
    assert "MIT" in (vendor / "LICENSE").read_text(encoding="utf-8")
    literals = re.findall(r"createStyle\([^,]{1,40},`([^`]*)`\)", script)
    literals += ["*{cursor:col-resize!important}"]  # the dragging cursor, built from DEFAULTS.dragCursor
    assert "dragCursor:`col-resize`" in script
    digests = {base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() for text in literals}
    _, client = app_and_client
    for path in ("/sparql", "/sparql/results?query=ASK%7B%7D", "/sparql?query=ASK%7B%7D"):
        parsed = directives(client.get(path, headers=HTML).headers["Content-Security-Policy"])
        assert set(parsed["style-src"]) == {"'self'"} | {f"'sha256-{d}'" for d in digests}, path
        assert parsed["script-src"] == ["'self'"]
    assert directives(client.get("/", headers=HTML).headers["Content-Security-Policy"])["style-src"] == ["'self'"]
    assert not re.search(r"https://(cdn|unpkg|cdnjs)\.", script)
