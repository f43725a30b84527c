"""SPARQL 1.1 Protocol query operation over real HTTP (Protocol §2.1): the three ways in and the dataset.

Expected answers come from the vetted reference tables (tests/reference), not
from the service itself.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter

import pytest

from conftest import read_reference
from sparql_support import GRAPH, PREFIXES, W3C_GRAPHS, Server, sparql_with

# Over real HTTP: the tests talk to the session's `cyberframe serve` (test_reference_facts_hold_for_this_suite
# only checks the facts they assert, so it goes with them).
pytestmark = [pytest.mark.slow, pytest.mark.every_store]

CORE = read_reference("csf11-core.csv")
FUNCTIONS = {row["function_id"]: row["function_name"] for row in CORE}
CATEGORIES = {row["category_id"] for row in CORE}
SUBCATEGORIES = {row["subcategory_id"] for row in CORE}
CONTROLS = read_reference("iso27002-2022-controls.csv")
THEMES = Counter(row["theme"] for row in CONTROLS)

FUNCTIONS_QUERY = PREFIXES + "SELECT ?notation ?label WHERE { ?f a cf:Function ; skos:notation ?notation ; skos:prefLabel ?label } ORDER BY ?notation"
SUBCATEGORY_COUNT = PREFIXES + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cf:Subcategory }"
FRAMEWORK = GRAPH + "framework"
CONTROLS_GRAPH = GRAPH + "iso27002-2022"


def test_reference_facts_hold_for_this_suite() -> None:
    assert len(FUNCTIONS) == 5 and len(CATEGORIES) == 23 and len(SUBCATEGORIES) == 108 and len(CONTROLS) == 93


def test_query_via_get(server: Server) -> None:
    """§2.1.1 query via GET: the five functions with their names."""
    rows = server.select(FUNCTIONS_QUERY)
    assert {row["notation"]: row["label"] for row in rows} == FUNCTIONS
    assert [row["notation"] for row in rows] == sorted(FUNCTIONS)


def test_three_ways_in_give_the_same_bytes(server: Server) -> None:
    """§2.1.2 URL-encoded POST and §2.1.3 direct POST answer exactly what GET answers."""
    accept = {"Accept": "application/sparql-results+json"}
    via_get = server.query(FUNCTIONS_QUERY)
    form = urllib.parse.urlencode({"query": FUNCTIONS_QUERY})
    via_form = server.request(
        "POST", "/sparql", form, {**accept, "Content-Type": "application/x-www-form-urlencoded"}
    )
    via_direct = server.request(
        "POST", "/sparql", FUNCTIONS_QUERY.encode(), {**accept, "Content-Type": "application/sparql-query"}
    )
    assert via_get.status == via_form.status == via_direct.status == 200
    assert via_get.body == via_form.body == via_direct.body


def test_form_post_takes_graph_parameters_from_url_and_body(server: Server) -> None:
    form = urllib.parse.urlencode({"query": SUBCATEGORY_COUNT, "default-graph-uri": CONTROLS_GRAPH})
    response = server.request(
        "POST",
        "/sparql?" + urllib.parse.urlencode({"default-graph-uri": FRAMEWORK}),
        form,
        {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "Accept": "application/json"},
    )
    assert response.status == 200
    assert response.json()["results"]["bindings"][0]["n"]["value"] == "108"


@pytest.mark.parametrize(
    ("sparql", "expected"),
    [
        ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cf:Category ; skos:inScheme <https://w3id.org/cyberframe/id/framework/ts27103> }", len(CATEGORIES)),
        ("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a cf:Subcategory }", len(SUBCATEGORIES)),
        ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cf:Control ; cf:inStandard <https://w3id.org/cyberframe/id/standard/iso-iec-27002-2022> }", len(CONTROLS)),
        ("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c cf:cybersecurityConcept/skos:notation 'DE' }", sum("Detect" in r["cybersecurity_concepts"].split(";") for r in CONTROLS)),
    ],
    ids=["categories", "subcategories", "controls", "detect-controls"],
)
def test_counts_match_the_reference(server: Server, sparql: str, expected: int) -> None:
    assert server.select(PREFIXES + sparql) == [{"n": str(expected)}]


def test_grouped_counts_match_the_reference(server: Server) -> None:
    rows = server.select(PREFIXES + "SELECT ?theme (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c cf:theme/skos:notation ?theme } GROUP BY ?theme")
    assert {row["theme"]: int(row["n"]) for row in rows} == dict(THEMES)


def test_default_graph_is_the_union_of_the_named_graphs(server: Server) -> None:
    """Without dataset parameters or FROM, the default graph is the union (sd:UnionDefaultGraph)."""
    served = server.get(path="/stats").json()["served"]
    per_graph = server.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert {row["g"]: int(row["n"]) for row in per_graph} == served["named_graphs"]
    total = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(total[0]["n"]) == served["default_graph_triples"]
    assert served["default_graph_triples"] <= sum(served["named_graphs"].values())


def test_default_graph_uri_selects_the_default_graph(server: Server) -> None:
    """§2.1.4: default-graph-uri (repeatable) makes the default graph the merge of the graphs named."""
    assert server.select(SUBCATEGORY_COUNT, **{"default-graph-uri": FRAMEWORK}) == [{"n": "108"}]
    assert server.select(SUBCATEGORY_COUNT, **{"default-graph-uri": CONTROLS_GRAPH}) == [{"n": "0"}]
    both = server.select(SUBCATEGORY_COUNT, **{"default-graph-uri": [CONTROLS_GRAPH, FRAMEWORK]})
    assert both == [{"n": "108"}]


def test_named_graph_uri_selects_the_named_graphs(server: Server) -> None:
    """§2.1.4: named-graph-uri limits GRAPH to the graphs named; the default graph is then empty."""
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    served = server.get(path="/stats").json()["served"]["named_graphs"]
    rows = server.select(query, **{"named-graph-uri": [FRAMEWORK, CONTROLS_GRAPH]})
    assert {row["g"]: int(row["n"]) for row in rows} == {FRAMEWORK: served[FRAMEWORK], CONTROLS_GRAPH: served[CONTROLS_GRAPH]}
    assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"named-graph-uri": FRAMEWORK}) == [{"n": "0"}]


def test_from_and_from_named_are_honoured_without_protocol_parameters(server: Server) -> None:
    """Query §13.2: FROM makes the default graph; FROM NAMED alone leaves it empty."""
    from_graph = PREFIXES + "SELECT (COUNT(DISTINCT ?s) AS ?n) FROM $graph WHERE { ?s a cf:Subcategory }"
    assert server.select(sparql_with(from_graph, graph=CONTROLS_GRAPH)) == [{"n": "0"}]
    assert server.select(sparql_with(from_graph, graph=FRAMEWORK)) == [{"n": "108"}]
    only_named = sparql_with("SELECT (COUNT(*) AS ?n) FROM NAMED $graph WHERE { ?s ?p ?o }", graph=FRAMEWORK)
    assert server.select(only_named) == [{"n": "0"}]


def test_protocol_dataset_overrides_from(server: Server) -> None:
    """§2.1.4: default-graph-uri / named-graph-uri take precedence over FROM / FROM NAMED."""
    query = PREFIXES + "SELECT (COUNT(DISTINCT ?s) AS ?n) FROM $graph WHERE { ?s a cf:Subcategory }"
    assert server.select(sparql_with(query, graph=CONTROLS_GRAPH), **{"default-graph-uri": FRAMEWORK}) == [{"n": "108"}]
    from_named = sparql_with("SELECT ?g FROM NAMED $graph WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", graph=FRAMEWORK)
    rows = server.select(from_named, **{"named-graph-uri": CONTROLS_GRAPH})
    assert rows == [{"g": CONTROLS_GRAPH}]


def test_unknown_graph_is_an_empty_graph(server: Server) -> None:
    """A graph IRI the dataset does not hold is an empty graph; it is never fetched (see test_sparql_limits)."""
    assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": "http://example.org/none"}) == [{"n": "0"}]


def test_extra_graphs_are_named_graphs_and_in_the_union(server: Server) -> None:
    """``--graph IRI=FILE``: each W3C test file is the named graph of its IRI, and part of the default graph."""
    query = "SELECT ?g ?doc WHERE { GRAPH ?g { ?doc a <http://xmlns.com/foaf/0.1/Document> } } ORDER BY ?g"
    rows = server.select(query)
    assert rows == [{"g": iri, "doc": iri} for iri in sorted(W3C_GRAPHS)]
    union = server.select("SELECT (COUNT(*) AS ?n) WHERE { ?doc a <http://xmlns.com/foaf/0.1/Document> }")
    assert union == [{"n": "3"}]


def test_relative_iris_resolve_against_the_endpoint(server: Server) -> None:
    """The request URL is the base IRI (the W3C suite sends ``CONSTRUCT { <s> <p> 1 } WHERE {}``)."""
    response = server.query("CONSTRUCT { <s> <p> 1 } WHERE {}", accept="application/n-triples")
    assert response.status == 200
    assert response.text == f'<{server.base}/s> <{server.base}/p> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .\n'


def test_head_answers_like_get_without_a_body(server: Server) -> None:
    path = "/sparql?" + urllib.parse.urlencode({"query": FUNCTIONS_QUERY})
    head = server.request("HEAD", path, headers={"Accept": "text/csv"})
    get = server.request("GET", path, headers={"Accept": "text/csv"})
    assert head.status == get.status == 200
    assert head.body == b""
    assert head.header("Content-Type") == get.header("Content-Type") == "text/csv; charset=utf-8"
    assert head.header("ETag") == get.header("ETag")
