"""OWL 2 RL entailments: present where expected, only in graph/inferred, never duplicating assertions."""

from __future__ import annotations

from collections import defaultdict

import pytest

from conftest import split

INFERRED = "https://w3id.org/cyberframe/graph/inferred"


@pytest.fixture(scope="module")
def inferred_only(kg, select):
    def run(sparql: str) -> list[tuple]:
        return select(sparql, default_graph=[kg.graph_iri("inferred")])

    return run


@pytest.fixture(scope="module")
def asserted_only(kg, select):
    def run(sparql: str) -> list[tuple]:
        return select(sparql, default_graph=kg.asserted_graphs())

    return run


@pytest.fixture(scope="module")
def notation(asserted_only):
    return dict(asserted_only("SELECT ?x ?n WHERE { ?x skos:notation ?n }"))


def test_control_to_subcategories_comes_from_the_inverse(inferred_only, asserted_only, notation, reference):
    """cf:referencedBy (owl:inverseOf cf:references) answers "which subcategories does 8.16 support?"."""
    expected = defaultdict(set)
    for r in reference("csf11-to-iso27002-2022.csv"):
        for control in split(r["iso27002_2022_controls"]):
            expected[control].add(r["subcategory_id"])
    got = defaultdict(set)
    for control, sub in inferred_only("SELECT ?c ?s WHERE { ?c cf:referencedBy ?s }"):
        if "/id/control/iso-iec-27002-2022/" in control:
            got[notation[control]].add(notation[sub])
    assert dict(got) == dict(expected)
    assert asserted_only("SELECT ?a ?b WHERE { ?a cf:referencedBy ?b }") == []


def test_transitive_broader_reaches_the_function(inferred_only, asserted_only, notation, reference):
    expected = {(r["subcategory_id"], r["function_id"]) for r in reference("csf11-core.csv")}
    got = {
        (notation[s], notation[f])
        for s, f in inferred_only("SELECT ?s ?f WHERE { ?s skos:broaderTransitive ?f }")
        if "/id/subcategory/" in s and "/id/function/" in f
    }
    assert got == expected
    assert asserted_only("SELECT * WHERE { ?a skos:broaderTransitive ?b }") == []


def test_inferred_graph_answers_the_union_query(select, reference):
    """Over the union (the endpoint's default graph) subcategory -> function is one hop."""
    expected = {(r["subcategory_id"], r["function_id"]) for r in reference("csf11-core.csv")}
    got = set(
        select("""
        SELECT ?s ?f WHERE { ?sub a cf:Subcategory ; skos:notation ?s ; skos:broaderTransitive ?fn .
                             ?fn a cf:Function ; skos:notation ?f }""")
    )
    assert got == expected


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [
        ("cf:inStandard", "cf:hasProvision"),
        ("cf:successor", "cf:predecessor"),
        ("cf:mappingSubject", "cf:subjectOfMapping"),
        ("cf:concerns", "cf:concernedBy"),
        ("skos:broader", "skos:narrower"),
        ("cf:partOf", "cf:hasPart"),
    ],
)
def test_inverses_are_complete_and_inferred_only(select, asserted_only, forward, inverse):
    pairs = set(select(f"SELECT ?a ?b WHERE {{ ?a {forward} ?b }}"))
    back = set(select(f"SELECT ?b ?a WHERE {{ ?a {inverse} ?b }}"))
    assert pairs and back == pairs
    assert asserted_only(f"SELECT * WHERE {{ ?a {inverse} ?b }}") == []


def test_labels_are_entailed_from_pref_labels(select, asserted_only):
    missing = select("""
        SELECT ?x WHERE { ?x a cf:Subcategory ; skos:prefLabel ?l FILTER NOT EXISTS { ?x rdfs:label ?l } }""")
    assert missing == []
    assert asserted_only("SELECT ?x WHERE { ?x a cf:Subcategory ; rdfs:label ?l }") == []


def test_inferred_graph_never_repeats_an_asserted_triple(kg):
    repeated = kg.query(
        "ASK { GRAPH <" + INFERRED + "> { ?s ?p ?o } GRAPH ?g { ?s ?p ?o } FILTER (?g != <" + INFERRED + ">) }",
        use_default_graph_as_union=False,
    )
    assert bool(repeated) is False
    assert kg.manifest.graphs["inferred"] > 5000


def test_no_trivial_or_generalized_entailments(inferred_only):
    assert inferred_only("SELECT * WHERE { ?x owl:sameAs ?x }") == []
    assert inferred_only("SELECT * WHERE { ?x a owl:Thing }") == []
    assert inferred_only("SELECT * WHERE { ?x rdfs:subClassOf ?x }") == []
    assert inferred_only("SELECT * WHERE { ?x a rdfs:Datatype }") == []
    assert inferred_only("SELECT * WHERE { owl:Nothing ?p ?x }") == []
    assert inferred_only("SELECT * WHERE { owl:Thing ?p ?x }") == []
    assert inferred_only("SELECT * WHERE { ?x rdfs:subClassOf|rdfs:domain|rdfs:range owl:Thing }") == []
    assert inferred_only("SELECT * WHERE { ?x owl:sameAs ?y }") == [], (
        "an owl:sameAs between distinct nodes means a functional property was violated"
    )


def test_references_from_an_outside_node_does_not_make_it_a_subcategory():
    """cf:references has no domain: a user's resource that references a control stays what its user says it is,
    through the same OWL 2 RL closure that builds the knowledge graph (here over the ontology alone)."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import RDF

    from cyberframe.inference import materialize
    from cyberframe.loader import load_sources, union_graph
    from cyberframe.namespaces import CF, ID
    from cyberframe.resources import sources

    ontology = union_graph(load_sources(s for s in sources() if s.name in {"ontology", "skos-axioms"}))
    policy, control = URIRef("https://example.org/acme/policy/logging"), ID["control/iso-iec-27002-2022/8.15"]
    shipped = ID["subcategory/PR.PT-1"]
    data = Graph()
    data.add((policy, CF.references, control))
    data.add((shipped, RDF.type, CF.Subcategory))
    data.add((shipped, CF.references, control))
    inferred = materialize(ontology + data)
    assert set(inferred.objects(policy, RDF.type)) == set()
    assert {(control, CF.referencedBy, policy), (control, CF.referencedBy, shipped)} <= set(inferred)
