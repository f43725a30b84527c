"""Fuzzing the HTTP face: hypothesis on ``/sparql``, ``/queries/{name}`` and ``POST /validate``, and
schemathesis on every operation of ``/openapi.json`` with all its checks.

Every answer must be a deliberate one: no 5xx but the documented 503 (busy,
time limit), and every request is answered within the client's timeout (no
hang). The runs are bounded (a few hundred requests in all) to stay within a
couple of minutes of CI time.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sparql_support import Server, shared_server

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
HANG = 20.0  # seconds: longer than any time limit of the session server; past it the request hangs

#: Pieces of SPARQL that hostile texts are made of: keywords, brackets, quotes, escapes, comments.
PIECES = st.sampled_from(
    [
        "SELECT", "*", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o", "_:b", ".", ";", ",", "SERVICE",
        "service", "SILENT", "<http://127.0.0.1:9/>", '"', "'", '"""', "'''", "#", "\n", "\\u0053", "FILTER",
        "EXISTS", "OPTIONAL", "UNION", "MINUS", "GRAPH", "BIND", "AS", "VALUES", "ORDER BY", "LIMIT", "1",
        "<http://example.org/fn>", "PREFIX", "ex:", "ex:a", "ASK", "CONSTRUCT", "DESCRIBE", "INSERT", "LOAD",
        "FROM", "NAMED", "&&", "||", "<", ">", "@en", "^^", "a", " ",
    ]
)
SPARQLISH = st.lists(PIECES, max_size=40).map(" ".join) | st.lists(PIECES, max_size=40).map("".join)


def _ok(status: int, body: bytes) -> None:
    assert status < 500 or status == 503, body[:400]
    assert b"Traceback" not in body


@pytest.fixture(scope="module")
def live(request: pytest.FixtureRequest) -> Iterator[Server]:
    """The session's server; left with every worker alive and idle for the tests after these."""
    server = shared_server(request)
    yield server
    server.settle()


@FUZZ
@given(text=SPARQLISH | st.text(max_size=300))
def test_sparql_never_fails(live: Server, text: str) -> None:
    response = live.request(
        "POST",
        "/sparql",
        text.encode("utf-8", "surrogatepass"),
        {"Content-Type": "application/sparql-query", "Accept": "*/*"},
        timeout=HANG,
    )
    _ok(response.status, response.body)


#: Named queries and the parameters they declare (queries/*.rq headers), plus names that are not there.
NAMED = {
    "search": "text",
    "entity": "entity",
    "controls-by-attributes": "theme",
    "control-subcategories": "control",
    "controls-for-function": "function",
    "nope": "x",
    "..%2Fx": "x",
}


@FUZZ
@given(name=st.sampled_from(sorted(NAMED)), value=st.text(max_size=80), extra=st.text(max_size=20))
def test_named_queries_never_fail(live: Server, name: str, value: str, extra: str) -> None:
    query = urllib.parse.urlencode({NAMED[name]: value, extra or "limit": value})
    response = live.request("GET", f"/queries/{name}?{query}", headers={"Accept": "*/*"}, timeout=HANG)
    _ok(response.status, response.body)


@FUZZ
@given(
    body=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
    media=st.sampled_from(["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"]),
)
def test_validate_never_fails(live: Server, body: bytes, media: str) -> None:
    response = live.request("POST", "/validate", body, {"Content-Type": media, "Accept": "*/*"}, timeout=HANG)
    _ok(response.status, response.body)


def test_openapi_conformance(live: Server) -> None:
    """Every documented operation: status codes, content types, headers and bodies as the document says."""
    schema = schemathesis.openapi.from_url(f"{live.base}/openapi.json")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case) -> None:
            # All checks but one: a schema-valid string need not be valid SPARQL (or a known IRI), which
            # JSON Schema cannot express, so a 400 for such "valid" data is the documented answer.
            case.call_and_validate(timeout=HANG, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except Exception as exc:  # every operation's failure, then one assertion
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
