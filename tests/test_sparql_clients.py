"""Standard SPARQL clients against ``cyberframe serve``: SPARQLWrapper, rdflib's SPARQLStore, urllib.

Also: answers under concurrent load are the same bytes as sequential answers.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, POST, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

from conftest import read_reference
from sparql_support import PREFIXES, Server

# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = [pytest.mark.slow, pytest.mark.every_store]

FUNCTIONS = {row["function_id"]: row["function_name"] for row in read_reference("csf11-core.csv")}
SUBCATEGORIES = {row["subcategory_id"]: row["category_id"] for row in read_reference("csf11-core.csv")}
SELECT = PREFIXES + "SELECT ?notation ?label WHERE { ?f a cf:Function ; skos:notation ?notation ; skos:prefLabel ?label }"
CONSTRUCT = PREFIXES + "CONSTRUCT { ?f skos:notation ?n } WHERE { ?f a cf:Function ; skos:notation ?n }"


def _wrapper(server: Server, method: str = GET) -> SPARQLWrapper:
    client = SPARQLWrapper(server.endpoint)
    client.setMethod(method)
    if method == POST:
        client.setRequestMethod(URLENCODED)
    client.setTimeout(15)
    return client


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_json(server: Server, method: str) -> None:
    client = _wrapper(server, method)
    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]
    assert {b["notation"]["value"]: b["label"]["value"] for b in bindings} == FUNCTIONS


@pytest.mark.parametrize("fmt", [XML, CSV, TSV])
def test_sparqlwrapper_other_formats(server: Server, fmt: str) -> None:
    client = _wrapper(server)
    client.setQuery(SELECT)
    client.setReturnFormat(fmt)
    result = client.query()
    assert result.response.status == 200
    converted = result.convert()
    if fmt == XML:
        values = [n.firstChild.data for n in converted.getElementsByTagName("literal")]
        assert set(FUNCTIONS.values()) <= set(values)
    else:
        text = converted.decode("utf-8")
        assert all(name in text for name in FUNCTIONS.values())


def test_sparqlwrapper_ask_and_construct(server: Server) -> None:
    client = _wrapper(server)
    client.setQuery(PREFIXES + "ASK { ?f skos:notation 'RC' }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.queryAndConvert(), format="turtle")
    assert {str(o) for o in graph.objects(None, SKOS.notation)} == set(FUNCTIONS)


def test_sparqlwrapper_sees_errors(server: Server) -> None:
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    client = _wrapper(server)
    client.setQuery("SELECT * WHERE { ?s ?p }")
    client.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed, match="syntax error"):
        client.query()


def test_rdflib_sparqlstore(server: Server) -> None:
    """rdflib's SPARQLStore as a read-only Graph backed by the endpoint (its default: XML results, RDF/XML graphs)."""
    store = SPARQLStore(server.endpoint, timeout=15)
    graph = Graph(store)
    rows = graph.query(PREFIXES + "SELECT ?sub ?cat WHERE { ?s a cf:Subcategory ; skos:notation ?sub ; skos:broader/skos:notation ?cat }")
    assert {str(r.sub): str(r.cat) for r in rows} == SUBCATEGORIES
    detect = URIRef("https://w3id.org/cyberframe/id/function/DE")
    assert graph.value(detect, SKOS.prefLabel) == Literal(FUNCTIONS["DE"], lang="en")
    constructed = graph.query(CONSTRUCT).graph
    assert len(constructed) == len(FUNCTIONS)
    assert bool(graph.query(PREFIXES + "ASK { ?f skos:notation 'ID' }").askAnswer) is True
    with pytest.raises(TypeError):
        graph.add((detect, SKOS.note, Literal("read-only")))
    store.close()


@pytest.mark.parametrize("return_format", ["json", "csv", "tsv"])
def test_rdflib_sparqlstore_result_formats(server: Server, return_format: str) -> None:
    graph = Graph(SPARQLStore(server.endpoint, returnFormat=return_format, timeout=15))
    rows = graph.query(SELECT)
    assert {str(r.notation): str(r.label) for r in rows} == FUNCTIONS


def test_urllib(server: Server) -> None:
    url = server.endpoint + "?" + urllib.parse.urlencode({"query": SELECT})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200
        bindings = json.load(response)["results"]["bindings"]
    assert len(bindings) == len(FUNCTIONS)


MIX = [
    (SELECT, "application/sparql-results+json"),
    (SELECT, "text/csv"),
    (PREFIXES + "SELECT ?s ?n WHERE { ?s a cf:Subcategory ; skos:notation ?n } ORDER BY ?n", "application/sparql-results+xml"),
    (PREFIXES + "SELECT ?c (COUNT(?s) AS ?k) WHERE { ?s skos:broader ?c } GROUP BY ?c ORDER BY ?c", "text/tab-separated-values"),
    (PREFIXES + "ASK { ?f skos:notation 'PR' }", "application/sparql-results+json"),
    (CONSTRUCT, "application/n-triples"),
    ("DESCRIBE <https://w3id.org/cyberframe/id/subcategory/DE.CM-1>", "text/turtle"),
    (PREFIXES + "SELECT ?c ?t WHERE { ?c cf:theme ?t } ORDER BY ?c", "application/sparql-results+json"),
]


def test_concurrent_answers_equal_sequential_answers(server: Server) -> None:
    """96 requests on 12 threads give byte for byte the answers given one at a time.

    Each run marks its queries with its own comment, so neither run is served
    from answers the other left in the cache: both are computed by the workers.
    """

    def run(query: str, accept: str, tag: str) -> tuple[int, bytes]:
        response = server.query(query + "\n# " + tag, accept=accept)
        return response.status, response.body

    sequential = [run(q, a, "sequential") for q, a in MIX]
    assert all(status == 200 for status, _ in sequential)
    jobs = [(i % len(MIX), f"concurrent-{i // len(MIX)}") for i in range(12 * len(MIX))]
    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda job: run(*MIX[job[0]], job[1]), jobs))
    for (index, _), answer in zip(jobs, answers, strict=True):
        assert answer == sequential[index]
