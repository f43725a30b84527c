"""Log injection, conditional requests on refusals, encoded request bodies.

Against the session's real server (tests/sparql_support.py): every test
checks the exact status, a time bound, and that the service still answers.
"""

from __future__ import annotations

import gzip
import re
import time
import urllib.parse
import uuid

import pytest
from hardening_support import assert_up, raw_request, timed

from sparql_support import TIMEOUT, Server

pytestmark = pytest.mark.slow

QUICK = 5.0  # seconds: a refusal needs no query; generous for a loaded machine
FUTURE = "Fri, 01 Jan 2100 00:00:00 GMT"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


# --- the access log escapes what clients send ------------------------------------------------


def _escaped(char: str) -> str:
    if char == "\\":
        return "\\\\"
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _log_lines_with(server: Server, marker: str, wait: float = 5.0) -> list[str]:
    deadline = time.monotonic() + wait
    while True:
        lines = [line for line in server.log_text().split("\n") if marker in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.parametrize(
    "encoded",
    ["%0a", "%0d%0a", "%1b[2J%1b[31m", "%7f", "%c2%85", "%e2%80%a8", "%00", "%5c"],
    ids=["lf", "crlf", "esc", "del", "nel", "line-separator", "nul", "backslash"],
)
def test_percent_encoded_controls_in_the_path_are_escaped_in_the_log(server: Server, encoded: str) -> None:
    marker = uuid.uuid4().hex
    forged = f'127.0.0.1 - - [01/Jan/2000:00:00:00 +0000] "GET /forged-{marker} HTTP/1.1" 200 1 1.0ms'
    path = f"/no-such-page-{marker}{encoded}{urllib.parse.quote(forged)}{encoded}"
    response, seconds = timed(lambda: server.request("GET", path))
    assert response.status == 404 and seconds < QUICK
    lines = _log_lines_with(server, marker)
    assert len(lines) == 1, lines  # one request, one line: nothing forged a second one
    line = lines[0]
    assert f'"GET /no-such-page-{marker}' in line and '" 404 ' in line
    assert line.isprintable(), repr(line)
    assert "\x1b" not in server.log_text()
    decoded = urllib.parse.unquote(encoded)
    escaped = "".join(c if c.isprintable() and c != "\\" else _escaped(c) for c in decoded)
    assert escaped in line, (escaped, line)
    assert_up(server)


def test_raw_escape_and_high_bytes_in_the_request_line_are_escaped(server: Server) -> None:
    marker = uuid.uuid4().hex
    head = b"GET /raw-" + marker.encode() + b"\x1b[31m\x7f\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    (status, _), seconds = timed(lambda: raw_request(server.port, head))
    assert status in (400, 404) and seconds < QUICK  # waitress may refuse the line itself; both are fine
    for line in _log_lines_with(server, marker, wait=1.0 if status == 400 else 5.0):
        assert line.isprintable() and "\\x1b" in line, repr(line)
    assert "\x1b" not in server.log_text()
    assert_up(server)


def test_user_agent_and_referer_never_reach_the_log_raw(server: Server) -> None:
    marker = uuid.uuid4().hex
    head = (
        f"GET /ua-{marker} HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x1b[31mb\r\nReferer: c\x1b]0;t\x07d\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1")
    (status, _), seconds = timed(lambda: raw_request(server.port, head))
    assert status in (400, 404) and seconds < QUICK  # the HTTP server may refuse control characters in headers
    lines = _log_lines_with(server, marker, wait=1.0 if status == 400 else 5.0)
    if status == 404:
        assert len(lines) == 1
    assert all(line.isprintable() for line in lines)
    assert "\x1b" not in server.log_text() and "\x07" not in server.log_text()
    assert_up(server)


# --- If-Modified-Since never turns a refusal into 304 -------------------------------------------


def _get(server: Server, query: str, **headers: str):
    return server.get({"query": query}, headers={"Accept": "application/sparql-results+json", **headers})


@pytest.mark.parametrize("since", [FUTURE, "Thu, 01 Jan 1970 00:00:00 GMT", "not a date"])
def test_if_modified_since_keeps_a_syntax_error_400(server: Server, since: str) -> None:
    query = f"SELECT * WHERE {{ ?s ?p }} # {uuid.uuid4().hex}"
    response, seconds = timed(lambda: _get(server, query, **{"If-Modified-Since": since}))
    assert response.status == 400 and seconds < QUICK, response.body
    assert "syntax" in response.text.lower() and response.header("ETag") is None
    page, seconds = timed(
        lambda: server.get({"query": query}, path="/sparql/results", headers={"Accept": "text/html", "If-Modified-Since": since})
    )
    assert page.status == 400 and seconds < QUICK
    assert_up(server)


def test_if_modified_since_keeps_a_runaway_query_503(server: Server) -> None:
    query = f"{RUNAWAY} # {uuid.uuid4().hex}"
    response, seconds = timed(lambda: _get(server, query, **{"If-Modified-Since": FUTURE}))
    assert response.status == 503 and seconds < TIMEOUT + 10, (response.status, seconds)
    assert response.header("ETag") is None
    assert_up(server)


def test_if_modified_since_still_revalidates_a_good_answer(server: Server) -> None:
    query = f"ASK {{ ?s ?p ?o }} # {uuid.uuid4().hex}"
    first = _get(server, query)
    assert first.status == 200
    again, seconds = timed(lambda: _get(server, query, **{"If-Modified-Since": first.header("Last-Modified")}))
    assert again.status == 304 and again.body == b"" and seconds < QUICK
    assert again.header("ETag") == first.header("ETag")
    future = _get(server, f"ASK {{ ?s ?p ?o }} # {uuid.uuid4().hex}", **{"If-Modified-Since": FUTURE})
    assert future.status == 304  # a good query, never asked before: run, found 200, then 304


# --- encoded request bodies get 415 ---------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "x-gzip, identity"])
@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/sparql", "application/sparql-query", b"ASK { ?s ?p ?o }"),
        ("/sparql", "application/x-www-form-urlencoded", b"query=ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D"),
        ("/validate", "text/turtle", b"<https://example.org/a> a <https://example.org/B> .\n"),
    ],
    ids=["sparql-query", "sparql-form", "validate"],
)
def test_encoded_request_body_is_415(server: Server, path: str, content_type: str, body: bytes, encoding: str) -> None:
    headers = {"Content-Type": content_type, "Content-Encoding": encoding, "Accept": "application/json"}
    response, seconds = timed(lambda: server.request("POST", path, gzip.compress(body), headers))
    assert response.status == 415 and seconds < QUICK, response.body
    payload = response.json()
    assert payload["status"] == 415 and "Content-Encoding" in payload["message"]
    assert "UTF-8" not in payload["message"]
    assert response.header("Accept-Encoding") == "identity"
    plain = server.request("POST", path, body, {"Content-Type": content_type, "Content-Encoding": "identity"})
    assert plain.status == 200, plain.body
    assert_up(server)


def test_encoded_body_refusal_reads_as_text_too(server: Server) -> None:
    response = server.request(
        "POST", "/sparql", gzip.compress(b"ASK {}"), {"Content-Type": "application/sparql-query", "Content-Encoding": "gzip"}
    )
    assert response.status == 415
    assert re.match(r"415 Unsupported Media Type: Content-Encoding 'gzip' is not supported", response.text)
