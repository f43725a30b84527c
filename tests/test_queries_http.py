"""Named queries, /openapi.json and /dump over real HTTP against ``cyberframe serve``."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pyoxigraph as ox
import pytest

from conftest import split
from cyberframe.named_queries import load_catalogue

# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = [pytest.mark.slow, pytest.mark.every_store]

FUNCTION_BY_NAME = {"Identify": "ID", "Protect": "PR", "Detect": "DE", "Respond": "RS", "Recover": "RC"}


def test_listing_json_names_every_query_with_its_parameters(server):
    response = server.get(path="/queries")
    assert response.status == 200 and response.header("Content-Type").startswith("application/json")
    listed = {q["name"]: q for q in response.json()["queries"]}
    catalogue = load_catalogue()
    assert set(listed) == set(catalogue)
    for name, query in catalogue.items():
        assert [p["name"] for p in listed[name]["params"]] == [p.name for p in query.params]
    function = listed["function-structure"]["params"][0]
    assert function["required"] and function["allowed"] == ["DE", "ID", "PR", "RC", "RS"]


def test_listing_html_for_browsers(server):
    response = server.get(path="/queries", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status == 200 and response.header("Content-Type").startswith("text/html")
    for name in load_catalogue():
        assert f'id="{name}"' in response.text


def test_controls_for_detect_in_every_format(server, reference):
    controls = reference("iso27002-2022-controls.csv")
    mapping = reference("csf11-to-iso27002-2022.csv")
    de = {r["subcategory_id"] for r in reference("csf11-core.csv") if r["function_id"] == "DE"}
    expected = {c for r in mapping if r["subcategory_id"] in de for c in split(r["iso27002_2022_controls"])}
    expected |= {r["id"] for r in controls if "Detect" in split(r["cybersecurity_concepts"])}
    path = "/queries/controls-for-function?function=DE"
    as_json = server.get(path=path, headers={"Accept": "application/sparql-results+json"}).json()
    assert {b["control"]["value"] for b in as_json["results"]["bindings"]} == expected
    as_csv = server.get(path=path + "&format=csv")
    assert as_csv.header("Content-Type").startswith("text/csv")
    assert {r["control"] for r in csv.DictReader(io.StringIO(as_csv.text))} == expected
    as_tsv = server.get(path=path, headers={"Accept": "text/tab-separated-values"})
    assert {line.split("\t")[1].strip('"') for line in as_tsv.text.splitlines()[1:]} == expected
    as_xml = server.get(path=path, headers={"Accept": "application/sparql-results+xml"})
    assert len(list(ox.parse_query_results(as_xml.body, format=ox.QueryResultsFormat.XML))) == len(expected)


def test_construct_query_negotiates_graph_formats(server):
    path = "/queries/entity?entity=DE.CM-1"
    turtle = server.get(path=path, headers={"Accept": "text/turtle"})
    assert turtle.status == 200 and turtle.header("Content-Type").startswith("text/turtle")
    triples = list(ox.parse(turtle.body, format=ox.RdfFormat.TURTLE))
    sub = ox.NamedNode("https://w3id.org/cyberframe/id/subcategory/DE.CM-1")
    assert any(t.subject == sub and t.object == ox.Literal("DE.CM-1") for t in triples)
    jsonld = server.get(path=path + "&format=jsonld")
    assert jsonld.header("Content-Type").startswith("application/ld+json")
    assert len(list(ox.parse(jsonld.body, format=ox.RdfFormat.JSON_LD))) == len(triples)
    assert server.get(path=path, headers={"Accept": "text/csv"}).status == 406


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/queries/no-such-query", 404, "no named query"),
        ("/queries/function-structure", 400, "needs parameter 'function'"),
        ("/queries/function-structure?function=DE&limit=3", 400, "allowed: function"),
        ("/queries/function-structure?function=XX", 400, "must be one of: DE, ID, PR, RC, RS"),
        ("/queries/function-structure?function=DE&function=PR", 400, "more than once"),
        ("/queries/control-subcategories?control=9.99", 404, "names no ISO/IEC 27002:2022 control"),
        ("/queries/control-subcategories?control=8.16%7D%20UNION%20%7B", 400, "expects an ISO/IEC 27002:2022 control"),
        ("/queries/entity?entity=http%3A%2F%2Fexample.org%2Fx", 400, "expects"),
        ("/queries/entity?entity=ZZ.ZZ-9", 404, "names no entity"),
        ("/queries/entity?entity=https://w3id.org/cyberframe/id/%25zz", 400, "not a valid IRI"),
        ("/id/function/%25zz", 404, ""),
        ("/id/function/a%20b", 404, ""),
        ("/id/function/%3Cx%3E", 404, ""),
    ],
)
def test_bad_calls_are_named(server, path, status, message):
    response = server.get(path=path)
    assert response.status == status
    assert message in response.text
    assert "Traceback" not in response.text


def test_injection_in_free_text_is_inert(server):
    response = server.get({"text": '") } UNION { ?entity ?p ?o } #'}, path="/queries/search")
    assert response.status == 200
    assert response.json()["results"]["bindings"] == []


def test_named_query_answers_are_cached_and_revalidated(server):
    first = server.get(path="/queries/functions-overview")
    etag = first.header("ETag")
    assert first.status == 200 and etag
    again = server.get(path="/queries/functions-overview", headers={"If-None-Match": etag})
    assert again.status == 304


def test_openapi_document_is_valid_and_lists_every_query(server):
    from openapi_spec_validator import validate

    response = server.get(path="/openapi.json")
    assert response.status == 200
    document = response.json()
    validate(document)
    paths = document["paths"]
    for name, query in load_catalogue().items():
        operation = paths[f"/queries/{name}"]["get"]
        declared = {p["name"] for p in operation["parameters"]} - {"format"}
        assert declared == {p.name for p in query.params}
    for route in ("/sparql", "/queries", "/dump", "/context.jsonld", "/health", "/stats", "/id/{key}", "/validate"):
        assert route in paths
    example = paths["/queries/function-structure"]["get"]["parameters"][0]
    assert example["schema"]["enum"] == ["DE", "ID", "PR", "RC", "RS"]


def test_dump_negotiates_and_round_trips(server, kg):
    nquads = server.get(path="/dump", headers={"Accept-Encoding": "identity"})
    assert nquads.status == 200 and nquads.header("Content-Type") == "application/n-quads"
    assert "attachment" in nquads.header("Content-Disposition")
    quads = list(ox.parse(nquads.body, format=ox.RdfFormat.N_QUADS))
    assert len(quads) >= kg.manifest.triples
    turtle = server.get(path="/dump?graph=framework", headers={"Accept": "text/turtle", "Accept-Encoding": "gzip"})
    assert turtle.header("Content-Encoding") == "gzip"
    triples = list(ox.parse(gzip.decompress(turtle.body), format=ox.RdfFormat.TURTLE))
    assert len(triples) == kg.manifest.graphs["framework"]
    assert server.get(path="/dump?graph=nope").status == 404
    assert server.get(path="/dump?inferred=maybe").status == 400
    assert server.get(path="/dump", headers={"Accept": "image/png"}).status == 406


def test_dump_without_inferred_graph(server, kg):
    body = server.get(path="/dump?format=nq&inferred=false", headers={"Accept-Encoding": "identity"}).body
    graphs = {q.graph_name.value.rsplit("/", 1)[1] for q in ox.parse(body, format=ox.RdfFormat.N_QUADS)}
    assert "inferred" not in graphs and "framework" in graphs


def test_context_is_the_published_one(server):
    from cyberframe.exports.jsonld import context

    response = server.get(path="/context.jsonld")
    assert response.status == 200
    assert json.loads(response.body) == context()


def test_void_is_published_and_linked_from_the_service_description(server, kg):
    description = server.get(path="/sparql", headers={"Accept": "text/turtle"})
    triples = list(ox.parse(description.body, format=ox.RdfFormat.TURTLE))
    see_also = {t.object.value for t in triples if t.predicate.value.endswith("#seeAlso")}
    assert see_also == {server.base + "/.well-known/void"}
    void = server.get(path="/.well-known/void", headers={"Accept-Encoding": "identity"})
    assert void.status == 200 and void.header("Content-Type").startswith("text/turtle")
    facts = {(t.predicate.value, t.object.value) for t in ox.parse(void.body, format=ox.RdfFormat.TURTLE)}
    assert ("http://rdfs.org/ns/void#triples", str(kg.manifest.triples)) in facts
    assert ("http://rdfs.org/ns/void#sparqlEndpoint", server.base + "/sparql") in facts


def test_if_none_match_star_does_not_hide_a_syntax_error(server):
    response = server.get({"query": "SELECT ?x WHERE { ?x ?y }"}, headers={"If-None-Match": "*"})
    assert response.status == 400


def test_dump_json_ld_is_the_union_and_jsonld_dataset_keeps_the_graphs(server, kg):
    from rdflib import Graph

    union = server.get(path="/dump?graph=framework", headers={"Accept": "application/ld+json"})
    assert union.status == 200 and union.header("Content-Type") == "application/ld+json"
    assert len(Graph().parse(data=union.body, format="json-ld")) == kg.manifest.graphs["framework"]
    named = server.get(path="/dump?graph=framework&format=jsonld-dataset")
    assert named.status == 200 and named.header("Content-Type") == "application/ld+json"
    quads = list(ox.parse(named.body, format=ox.RdfFormat.JSON_LD))
    assert {q.graph_name for q in quads} == {kg.graph_iri("framework")}
    assert len(quads) == kg.manifest.graphs["framework"]
