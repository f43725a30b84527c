"""Every refusal of ``/sparql`` and its status, over real HTTP (SPARQL 1.1 Protocol §2.1.5; docs/http.md).

Each error answer is short text (or JSON when asked for), names what was wrong
and where, and never carries a traceback.
"""

from __future__ import annotations

import urllib.parse

import pytest

from sparql_support import Server

# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = [pytest.mark.slow, pytest.mark.every_store]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}


def _short_and_clean(body: bytes) -> None:
    assert b"Traceback" not in body and b'File "' not in body
    assert len(body) < 2000


def _refused(response, status: int, *fragments: str) -> None:
    assert response.status == status, response.body
    _short_and_clean(response.body)
    text = response.body.decode("utf-8")
    for fragment in fragments:
        assert fragment in text, text


def test_syntax_error_names_line_and_column(server: Server) -> None:
    """The parser's message, its position, and the line it points at with a caret under the column."""
    query = "SELECT ?s WHERE {\n  ?s ?p ?o .\n  ?s <http://example.org/p> ?? .\n}"
    response = server.query(query, accept="*/*")
    _refused(response, 400, "SPARQL syntax error at line 3, column")
    assert response.header("Content-Type") == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    column = int(lines[0].split("column ")[1].split(":")[0])
    assert lines[1] == "  " + query.splitlines()[2]
    assert lines[2] == "  " + " " * (column - 1) + "^"


def test_syntax_error_as_json(server: Server) -> None:
    response = server.get({"query": "ASK {"}, headers={"Accept": "application/json"})
    assert response.status == 400 and response.header("Content-Type") == "application/json"
    payload = response.json()
    assert payload["status"] == 400 and payload["line"] == 1 and payload["column"] >= 5
    assert "syntax error" in payload["message"]


@pytest.mark.parametrize(
    "request_args",
    [
        ("GET", "/sparql?" + urllib.parse.urlencode({"update": "CLEAR ALL"}), None, {}),
        ("POST", "/sparql", urllib.parse.urlencode({"update": "DROP ALL"}), FORM),
        ("POST", "/sparql", "INSERT DATA { <a:b> <a:c> <a:d> }", {"Content-Type": "application/sparql-update"}),
        ("POST", "/sparql", "INSERT DATA { <a:b> <a:c> <a:d> }", DIRECT),
        ("GET", "/sparql?" + urllib.parse.urlencode({"query": "PREFIX : <a:> LOAD <http://127.0.0.1:9/x.ttl>"}), None, {}),
        ("GET", "/sparql?" + urllib.parse.urlencode({"query": "DELETE WHERE { ?s ?p ?o }"}), None, {}),
    ],
    ids=["update-get", "update-form", "update-media-type", "insert-as-query", "load-as-query", "delete-as-query"],
)
def test_updates_are_refused(server: Server, request_args) -> None:
    _refused(server.request(*request_args), 400, "read-only")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "select * where { service silent ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE # the endpoint\n <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
    ids=["service", "service-silent-variable", "service-comment"],
)
def test_service_is_refused_before_execution(server: Server, query: str) -> None:
    _refused(server.query(query), 400, "SERVICE")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("ASK {}", {"Content-Type": "text/plain"}),
        ("query=ASK%20%7B%7D", {}),
        ("ASK {}", {"Content-Type": "application/json"}),
        ("--x\r\nContent-Disposition: form-data; name=query\r\n\r\nASK {}\r\n--x--", {"Content-Type": "multipart/form-data; boundary=x"}),
    ],
    ids=["text-plain", "no-content-type", "json", "multipart"],
)
def test_unsupported_media_type_is_415(server: Server, body: str, headers: dict) -> None:
    _refused(server.request("POST", "/sparql", body, headers), 415, "Content-Type")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("ASK {}".encode("utf-16"), "application/sparql-query; charset=UTF-16"),
        (b"query=ASK%20%7B%7D", "application/x-www-form-urlencoded; charset=ISO-8859-1"),
    ],
    ids=["direct-utf16", "form-latin1"],
)
def test_other_charsets_are_415(server: Server, body: bytes, content_type: str) -> None:
    _refused(server.request("POST", "/sparql", body, {"Content-Type": content_type}), 415, "UTF-8")


@pytest.mark.parametrize(
    "request_args",
    [
        ("GET", "/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D", None, {}),
        ("POST", "/sparql", b'ASK { ?s ?p "\xff\xfe" }', DIRECT),
        ("POST", "/sparql", b"query=ASK%20%7B%20%3Fs%20%3Fp%20%22%C3%28%22%20%7D", FORM),
        ("POST", "/sparql", b'query=ASK { ?s ?p "\xe9" }', FORM),
    ],
    ids=["get-percent-encoded", "direct-body", "form-percent-encoded", "form-raw-byte"],
)
def test_non_utf8_is_400(server: Server, request_args) -> None:
    _refused(server.request(*request_args), 400, "UTF-8")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(server: Server, method: str) -> None:
    response = server.request(method, "/sparql?query=ASK%20%7B%7D", "ASK {}", DIRECT)
    _refused(response, 405, method)
    assert set(response.header("Allow").replace(" ", "").split(",")) >= {"GET", "POST"}


def test_body_over_the_limit_is_413(server: Server) -> None:
    body = "ASK {} #" + "x" * (1 << 20)
    _refused(server.request("POST", "/sparql", body, DIRECT), 413)


def test_query_over_the_limit_is_413(server: Server) -> None:
    query = "ASK {} #" + "x" * 100_000
    _refused(server.query(query), 413, "100000")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ([("query", "ASK {}"), ("query", "ASK {}")], "exactly one query"),
        ([("query", "   ")], "empty"),
        ([("query", "ASK {}"), ("default-graph-uri", "not an iri")], "default-graph-uri"),
        ([("query", "ASK {}"), ("named-graph-uri", "relative/path")], "named-graph-uri"),
    ],
    ids=["two-queries", "empty-query", "bad-default-graph", "bad-named-graph"],
)
def test_bad_parameters_are_400(server: Server, params, fragment: str) -> None:
    _refused(server.get(params), 400, fragment)


def test_form_post_without_query_is_400(server: Server) -> None:
    body = urllib.parse.urlencode({"default-graph-uri": "http://example.org/g"})
    _refused(server.request("POST", "/sparql", body, FORM), 400, "no query")


def test_direct_post_with_query_parameter_is_400(server: Server) -> None:
    _refused(server.request("POST", "/sparql?query=ASK%20%7B%7D", "ASK {}", DIRECT), 400, "ambiguous")


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}, {"Accept": "image/png"}),
        ({"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 1", "format": "csv"}, {}),
        ({"query": "ASK {}", "format": "turtle"}, {}),
        ({"query": "ASK {}", "format": "bogus"}, {}),
        ({}, {"Accept": "image/png"}),
    ],
    ids=["select-png", "construct-csv", "ask-turtle", "unknown-format", "description-png"],
)
def test_not_acceptable_is_406_with_the_offer(server: Server, params: dict, headers: dict) -> None:
    response = server.get(params, headers=headers)
    _refused(response, 406, "offered:")


def test_406_as_json_lists_the_offered_types(server: Server) -> None:
    response = server.get({"query": "ASK {}", "format": "turtle"}, headers={"Accept": "application/json"})
    assert response.status == 406
    assert "application/sparql-results+json" in response.json()["offered"]


def test_unknown_path_is_404(server: Server) -> None:
    _refused(server.get(path="/no/such/thing"), 404, "/no/such/thing")


def test_errors_are_not_cached_by_clients(server: Server) -> None:
    response = server.get({"query": "ASK {"})
    assert response.status == 400 and response.header("Cache-Control") == "no-store"
    assert response.header("Access-Control-Allow-Origin") == "*"
