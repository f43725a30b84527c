"""Result formats, content negotiation, service description and HTTP hygiene over real HTTP.

Every format is parsed back with an independent parser (json, csv,
ElementTree, rdflib) and compared with the reference facts or with the other
formats (SPARQL 1.1 Protocol §2.1.6; Query Results JSON, XML, CSV/TSV; RDF 1.1
Turtle, N-Triples, RDF/XML, JSON-LD 1.1).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.query import Result

from conftest import read_reference
from cyberframe.exports.jsonld import context_bytes
from cyberframe.namespaces import PREFIXES as NAMESPACE_PREFIXES
from sparql_support import PREFIXES, W3C_GRAPHS, Server

# rdflib's own JSON-LD parser still builds a ConjunctiveGraph internally.
# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.every_store,
    pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning"),
]

FUNCTIONS = {row["function_id"]: row["function_name"] for row in read_reference("csf11-core.csv")}
SELECT = PREFIXES + "SELECT ?notation ?label WHERE { ?f a cf:Function ; skos:notation ?notation ; skos:prefLabel ?label }"
ASK = PREFIXES + "ASK { ?f a cf:Function ; skos:notation 'DE' }"
CONSTRUCT = PREFIXES + "CONSTRUCT { ?f skos:notation ?n ; skos:prefLabel ?l } WHERE { ?f a cf:Function ; skos:notation ?n ; skos:prefLabel ?l }"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
RES = "{http://www.w3.org/2005/sparql-results#}"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def _rows_json(body: bytes) -> dict[str, str]:
    bindings = json.loads(body)["results"]["bindings"]
    return {b["notation"]["value"]: b["label"]["value"] for b in bindings}


def _rows_xml(body: bytes) -> dict[str, str]:
    rows = {}
    for result in ET.fromstring(body).iter(f"{RES}result"):
        values = {b.get("name"): b[0].text for b in result.iter(f"{RES}binding")}
        rows[values["notation"]] = values["label"]
    return rows


def _rows_csv(body: bytes) -> dict[str, str]:
    return {row["notation"]: row["label"] for row in csv.DictReader(io.StringIO(body.decode("utf-8")))}


def _rows_tsv(body: bytes) -> dict[str, str]:
    lines = body.decode("utf-8").splitlines()
    header = lines[0].split("\t")
    assert header == ["?notation", "?label"]
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    assert all(row["?label"].endswith('"@en') for row in rows), "TSV keeps the language tag"
    return {row["?notation"].strip('"'): row["?label"].removesuffix("@en").strip('"') for row in rows}


@pytest.mark.parametrize(
    ("accept", "content_type", "reader", "rdflib_format"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", _rows_json, "json"),
        ("application/sparql-results+xml", "application/sparql-results+xml", _rows_xml, "xml"),
        ("text/csv", "text/csv; charset=utf-8", _rows_csv, "csv"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", _rows_tsv, "tsv"),
    ],
    ids=["json", "xml", "csv", "tsv"],
)
def test_select_in_every_results_format(server: Server, accept, content_type, reader, rdflib_format) -> None:
    response = server.query(SELECT, accept=accept)
    assert response.status == 200
    assert response.header("Content-Type") == content_type
    assert reader(response.body) == FUNCTIONS
    parsed = Result.parse(io.BytesIO(response.body), format=rdflib_format)
    assert {str(row["notation"]): str(row["label"]) for row in parsed} == FUNCTIONS


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask_in_json_and_xml(server: Server, accept: str) -> None:
    for sparql, expected in ((ASK, True), (ASK.replace("'DE'", "'XX'"), False)):
        response = server.query(sparql, accept=accept)
        assert response.status == 200 and response.header("Content-Type") == accept
        assert Result.parse(io.BytesIO(response.body), format=accept.rsplit("+", 1)[1]).askAnswer is expected


def _expected_functions_graph() -> Graph:
    graph = Graph()
    for notation, name in FUNCTIONS.items():
        node = URIRef(f"https://w3id.org/cyberframe/id/function/{notation}")
        graph.add((node, SKOS.notation, Literal(notation)))
        graph.add((node, SKOS.prefLabel, Literal(name, lang="en")))
    return graph


@pytest.mark.parametrize("media_type", list(RDF_FORMATS))
def test_construct_in_every_graph_format(server: Server, media_type: str) -> None:
    response = server.query(CONSTRUCT, accept=media_type)
    assert response.status == 200
    assert response.header("Content-Type").split(";")[0] == media_type
    graph = Graph().parse(data=response.body, format=RDF_FORMATS[media_type])
    assert isomorphic(graph, _expected_functions_graph())
    assert response.header("X-Cyberframe-Result-Count") == str(2 * len(FUNCTIONS))


def test_jsonld_is_compacted_with_the_published_context(server: Server) -> None:
    """One context for the product: /context.jsonld is cyberframe's context, and JSON-LD answers embed it."""
    published = server.get(path="/context.jsonld")
    assert published.status == 200 and published.header("Content-Type") == "application/ld+json"
    assert published.body == context_bytes()
    published_context = published.json()["@context"]
    assert all(published_context[prefix] == iri for prefix, iri in NAMESPACE_PREFIXES.items())
    document = server.query(CONSTRUCT, accept="application/ld+json").json()
    assert document["@context"] == published.json()["@context"]
    detect = next(node for node in document["@graph"] if node["id"] == "cfid:function/DE")
    assert detect["notation"] == "DE"
    assert detect["prefLabel"] == FUNCTIONS["DE"]


def test_describe(server: Server, backend: str) -> None:
    """The description is the service's choice (Query §16.4): Oxigraph's are the resource's own triples,
    Virtuoso's also those that point at it (docs/scaling.md, "What differs between the stores")."""
    response = server.query("DESCRIBE <https://w3id.org/cyberframe/id/function/DE>", accept="text/turtle")
    graph = Graph().parse(data=response.body, format="turtle")
    detect = URIRef("https://w3id.org/cyberframe/id/function/DE")
    assert (detect, SKOS.notation, Literal("DE")) in graph
    if backend == "virtuoso":
        assert all(detect in (s, o) for s, _, o in graph) and set(graph.subjects()) > {detect}
    else:
        assert set(graph.subjects()) == {detect}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/*", "text/csv"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
        ("image/png, */*;q=0.1", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
    ],
)
def test_negotiation_of_results_formats(server: Server, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = server.get({"query": SELECT}, headers=headers)
    assert response.status == 200
    assert response.header("Content-Type").split(";")[0] == expected


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("*/*", "text/turtle"),
        ("application/json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, application/n-triples", "application/n-triples"),
        ("text/turtle;q=0.2, application/rdf+xml;q=0.8", "application/rdf+xml"),
    ],
)
def test_negotiation_of_graph_formats(server: Server, accept: str, expected: str) -> None:
    response = server.query(CONSTRUCT, accept=accept)
    assert response.status == 200
    assert response.header("Content-Type").split(";")[0] == expected


@pytest.mark.parametrize(
    ("sparql", "fmt", "expected"),
    [
        (SELECT, "csv", "text/csv"),
        (SELECT, "xml", "application/sparql-results+xml"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
        (CONSTRUCT, "ttl", "text/turtle"),
        (CONSTRUCT, "application/n-triples", "application/n-triples"),
    ],
)
def test_format_parameter_overrides_accept(server: Server, sparql: str, fmt: str, expected: str) -> None:
    response = server.get({"query": sparql, "format": fmt}, headers={"Accept": BROWSER})
    assert response.status == 200
    assert response.header("Content-Type").split(";")[0] == expected


def test_repeated_format_parameter_takes_the_first_usable_value(server: Server) -> None:
    """SPARQLWrapper sends ``format=tsv&format=text/tab-separated-values``; ``format=turtle&format=json`` on a SELECT."""
    response = server.get([("query", SELECT), ("format", "turtle"), ("format", "json"), ("format", "xml")])
    assert response.status == 200
    assert response.header("Content-Type") == "application/sparql-results+json"


def test_service_description(server: Server) -> None:
    """Service Description §3: endpoint, language, formats, and the dataset with VoID triple counts."""
    response = server.get(headers={"Accept": "text/turtle"})
    assert response.status == 200 and response.header("Content-Type") == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=response.body, format="turtle")
    service = URIRef(server.endpoint)
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    assert len(list(graph.objects(service, SD.resultFormat))) == 8
    dataset = graph.value(service, SD.defaultDataset)
    served = server.get(path="/stats").json()["served"]
    named = {}
    for entry in graph.objects(dataset, SD.namedGraph):
        named[str(graph.value(entry, SD.name))] = graph.value(graph.value(entry, SD.graph), VOID.triples).toPython()
    assert named == served["named_graphs"]
    assert set(W3C_GRAPHS) <= set(named)
    default = graph.value(dataset, SD.defaultGraph)
    assert graph.value(default, VOID.triples).toPython() == served["default_graph_triples"]


@pytest.mark.parametrize("media_type", ["application/ld+json", "application/rdf+xml", "application/n-triples"])
def test_service_description_in_other_formats(server: Server, media_type: str) -> None:
    turtle = Graph().parse(data=server.get(headers={"Accept": "text/turtle"}).body, format="turtle")
    response = server.get(headers={"Accept": media_type})
    assert response.status == 200 and response.header("Content-Type").split(";")[0] == media_type
    assert isomorphic(Graph().parse(data=response.body, format=RDF_FORMATS[media_type]), turtle)


def test_query_page_for_browsers(server: Server) -> None:
    response = server.get(headers={"Accept": BROWSER})
    assert response.status == 200
    assert response.header("Content-Type") == "text/html; charset=utf-8"
    assert b"<form" in response.body and server.endpoint.encode() in response.body
    assert server.get({"format": "html"}).header("Content-Type") == "text/html; charset=utf-8"


def test_gzip_when_accepted(server: Server) -> None:
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 500"
    plain = server.query(query)
    zipped = server.get({"query": query}, headers={"Accept-Encoding": "gzip", "Accept": "application/json"})
    assert plain.header("Content-Encoding") is None
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == plain.body
    assert len(zipped.body) < len(plain.body) / 3
    assert "Accept-Encoding" in zipped.header("Vary")
    small = server.get({"query": ASK}, headers={"Accept-Encoding": "gzip"})
    assert small.header("Content-Encoding") is None


def test_etag_and_last_modified_revalidate_with_304(server: Server) -> None:
    first = server.query(SELECT)
    etag, modified = first.header("ETag"), first.header("Last-Modified")
    assert etag.startswith('W/"') and modified
    again = server.get({"query": SELECT}, headers={"Accept": "application/sparql-results+json", "If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    assert again.header("ETag") == etag
    since = server.get({"query": SELECT}, headers={"Accept": "application/sparql-results+json", "If-Modified-Since": modified})
    assert since.status == 304
    other_format = server.query(SELECT, accept="text/csv")
    assert other_format.header("ETag") != etag
    stale = server.get({"query": SELECT}, headers={"Accept": "text/csv", "If-None-Match": etag})
    assert stale.status == 200
    for path in ("/stats", "/context.jsonld"):
        tag = server.get(path=path).header("ETag")
        assert server.get(path=path, headers={"If-None-Match": tag}).status == 304


def test_post_answers_carry_no_validators(server: Server) -> None:
    response = server.request("POST", "/sparql", SELECT.encode(), {"Content-Type": "application/sparql-query"})
    assert response.status == 200
    assert response.header("ETag") is None


def test_cors_for_any_origin(server: Server) -> None:
    response = server.get({"query": ASK}, headers={"Origin": "https://tools.example"})
    assert response.header("Access-Control-Allow-Origin") == "*"
    assert "X-Cyberframe-Truncated" in response.header("Access-Control-Expose-Headers")
    preflight = server.request(
        "OPTIONS",
        "/sparql",
        headers={
            "Origin": "https://tools.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status == 200
    assert preflight.header("Access-Control-Allow-Origin") == "*"
    assert "POST" in preflight.header("Access-Control-Allow-Methods")


def test_health_and_stats(server: Server) -> None:
    health = server.get(path="/health")
    assert health.status == 200 and health.header("Cache-Control") == "no-store"
    payload = health.json()
    assert payload["live"] is True and payload["ready"] is True
    stats = server.get(path="/stats").json()
    assert payload["build_hash"] == stats["build_hash"] and len(stats["build_hash"]) == 64
    assert stats["instances"]["Function"] == len(FUNCTIONS)
    assert stats["instances"]["Subcategory"] == len(read_reference("csf11-core.csv"))
    assert set(stats["served"]["extra_graphs"]) == set(W3C_GRAPHS)
