"""The W3C SPARQL 1.1 Protocol test suite (tests/w3c/protocol-manifest.ttl) against ``cyberframe serve``.

Each manifest entry is a list of HTTP requests with expected responses
(``mf:expectedStatus``, ``mf:expectedBoolean``, ``mf:expectedFormat``). The
query and bad-request cases run as written, with ``/sparql/`` mapped to our
``/sparql``; the dataset cases use the three tiny graphs in tests/w3c, served
with ``--graph``. The update cases do not apply to a read-only service: their
first request (the update) must be refused with 4xx.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection

from sparql_support import Server

# Over real HTTP: the tests talk to the session's `cyberframe serve` (test_manifest_is_complete only
# checks the manifest they run, so it goes with them).
pytestmark = [pytest.mark.slow, pytest.mark.every_store]

MANIFEST = Path(__file__).resolve().parent / "w3c" / "protocol-manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SPARQL_RESULTS = "{http://www.w3.org/2005/sparql-results#}"
BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"


@dataclass(frozen=True)
class HttpCase:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]
    boolean: bool | None
    result_format: str | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    requests: tuple[HttpCase, ...]
    graph_data: tuple[str, ...]

    @property
    def is_update(self) -> bool:
        return "update" in self.name


def _request(graph: Graph, node) -> HttpCase:
    headers = {}
    header_list = graph.value(node, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
    body = None
    content = graph.value(node, HT.body)
    if content is not None:
        encoding = str(graph.value(content, CNT.characterEncoding) or "UTF-8")
        body = str(graph.value(content, CNT.chars)).encode(encoding)
    response = graph.value(node, HT.resp)
    statuses = frozenset(str(s).removeprefix(str(HTS)) for s in graph.objects(response, MF.expectedStatus))
    boolean = graph.value(response, MF.expectedBoolean)
    result_format = graph.value(response, MF.expectedFormat)
    return HttpCase(
        method=str(graph.value(node, HT.methodName)),
        path=str(graph.value(node, HT.absolutePath)),
        headers=headers,
        body=body,
        statuses=statuses,
        boolean=None if boolean is None else bool(boolean.toPython()),
        result_format=None if result_format is None else str(result_format),
    )


def load_manifest() -> list[ProtocolTest]:
    """Every entry of the manifest, in its order."""
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    tests = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        requests = tuple(_request(graph, r) for r in Collection(graph, graph.value(action, HT.requests)))
        data = tuple(str(graph.value(d, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) for d in graph.objects(entry, UT.graphData))
        tests.append(ProtocolTest(str(entry).removeprefix(BASE), str(graph.value(entry, MF.name)), requests, data))
    return tests


TESTS = load_manifest()


def test_manifest_is_complete() -> None:
    """All 34 entries are read: 20 query and bad-query cases, 14 update cases refused by a read-only service."""
    assert len(TESTS) == 34
    assert sum(not t.is_update for t in TESTS) == 20
    assert sum(len(t.requests) for t in TESTS) >= 34


def _path(case: HttpCase) -> str:
    assert case.path.startswith("/sparql/")
    return "/sparql" + case.path.removeprefix("/sparql/")


def _boolean(content_type: str, body: bytes) -> bool:
    if content_type.startswith("application/sparql-results+json"):
        return json.loads(body)["boolean"]
    assert content_type.startswith("application/sparql-results+xml"), content_type
    return ET.fromstring(body).find(f"{SPARQL_RESULTS}boolean").text == "true"


FORMATS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ),
    "RDF": ("text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"),
}


@pytest.mark.parametrize("test", [t for t in TESTS if not t.is_update], ids=lambda t: t.name)
def test_query_and_bad_request_cases(server: Server, test: ProtocolTest) -> None:
    for graph_iri in test.graph_data:
        assert graph_iri in server.get(headers={"Accept": "text/turtle"}).text, "the data graph is served"
    for case in test.requests:
        response = server.request(case.method, _path(case), case.body, case.headers)
        status_class = f"StatusCode{str(response.status)[0]}xx"
        assert status_class in case.statuses, f"{test.title}: {response.status} {response.body[:300]!r}"
        if response.status >= 400:
            assert b"Traceback" not in response.body
            continue
        content_type = response.header("Content-Type") or ""
        if case.result_format is not None:
            assert content_type.startswith(FORMATS[case.result_format]), content_type
        if case.boolean is not None:
            assert _boolean(content_type, response.body) is case.boolean


@pytest.mark.parametrize("test", [t for t in TESTS if t.is_update], ids=lambda t: t.name)
def test_update_cases_are_refused(server: Server, test: ProtocolTest) -> None:
    """SPARQL 1.1 Update (Protocol §2.2) is not offered: the update request itself gets 4xx."""
    case = test.requests[0]
    response = server.request(case.method, _path(case), case.body, case.headers)
    assert 400 <= response.status < 500, f"{test.title}: {response.status}"
    assert b"Traceback" not in response.body
