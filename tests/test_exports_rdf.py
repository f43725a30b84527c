"""RDF dumps and JSON-LD: every syntax round-trips; the context works offline.

A dump round-trips when the graph its bytes parse back to is isomorphic to
the quads (dataset syntaxes) or triples (graph syntaxes) it was made from.
The dumps hold no blank nodes (asserted below), so isomorphism is equality of
the two sets; :func:`assert_isomorphic` falls back to rdflib's canonical
comparison if that ever changes.
"""

from __future__ import annotations

import json
import socket

import pyoxigraph as ox
import pytest
from pyld import jsonld as pyld
from pyld.jsonld import JsonLdError

from cyberframe.errors import ExportError
from cyberframe.exports import jsonld
from cyberframe.exports.dumps import RDF_SYNTAXES, export_rdf, select_quads, union_triples
from cyberframe.namespaces import CF, PREFIXES
from cyberframe.resources import internal_query

NQUADS = ox.RdfFormat.N_QUADS


def has_blank_nodes(statements) -> bool:
    return any(isinstance(t, ox.BlankNode) for s in statements for t in (s.subject, s.object))


def assert_isomorphic(got: set, want: set) -> None:
    """Graph isomorphism: set equality without blank nodes, rdflib's canonical comparison otherwise."""
    if not has_blank_nodes(got) and not has_blank_nodes(want):
        assert got == want, f"{len(got - want)} unexpected, {len(want - got)} missing statements"
        return
    from rdflib import Graph
    from rdflib.compare import isomorphic

    def to_rdflib(statements) -> Graph:
        data = ox.serialize([ox.Quad(s.subject, s.predicate, s.object) for s in statements], format=NQUADS)
        return Graph().parse(data=data.decode(), format="nquads")

    assert isomorphic(to_rdflib(got), to_rdflib(want))


def parse_back(data: bytes, fmt: str) -> set:
    """Parse an export with the syntax's reference parser: pyld (offline) for JSON-LD, pyoxigraph otherwise."""
    if fmt.startswith("jsonld"):
        nquads = pyld.to_rdf(json.loads(data), jsonld.pyld_options(format="application/n-quads"))
        return set(ox.parse(nquads.encode(), format=NQUADS))
    return set(ox.parse(data, format=RDF_SYNTAXES[fmt].format))


@pytest.fixture(scope="module")
def quads(kg):
    return select_quads(kg)


@pytest.mark.parametrize("fmt", list(RDF_SYNTAXES))
def test_every_rdf_dump_round_trips(kg, quads, fmt):
    data = export_rdf(kg, fmt)
    back = parse_back(data, fmt)
    if RDF_SYNTAXES[fmt].dataset:
        assert_isomorphic(back, set(quads))
        assert {q.graph_name.value for q in back} == {kg.graph_iri(n).value for n in kg.manifest.graphs}
    else:
        assert_isomorphic({q.triple for q in back}, set(union_triples(quads)))
    assert len(quads) == kg.manifest.triples
    assert not has_blank_nodes(quads)


def test_dumps_are_deterministic(kg):
    assert export_rdf(kg, "trig") == export_rdf(kg, "trig")


@pytest.mark.parametrize("fmt", ["nq", "jsonld", "ttl"])
def test_one_named_graph_round_trips(kg, fmt):
    want = select_quads(kg, graph="framework")
    assert len(want) == kg.manifest.graphs["framework"]
    back = parse_back(export_rdf(kg, fmt, graph="framework"), fmt)
    if RDF_SYNTAXES[fmt].dataset:
        assert_isomorphic(back, set(want))
    else:
        assert_isomorphic({q.triple for q in back}, {q.triple for q in want})


def test_asserted_leaves_out_the_inferred_graph(kg):
    back = parse_back(export_rdf(kg, "nq", inferred=False), "nq")
    graphs = {q.graph_name.value for q in back}
    assert str(kg.graph_iri("inferred")) not in graphs
    assert len(back) == kg.manifest.triples - kg.manifest.graphs["inferred"]


def test_bad_graph_names_are_refused(kg):
    with pytest.raises(ExportError, match=r"no graph 'nope'; the graphs are: .*framework"):
        export_rdf(kg, "nq", graph="nope")
    with pytest.raises(ExportError, match="contradicts --asserted"):
        export_rdf(kg, "nq", graph="inferred", inferred=False)


def test_turtle_uses_the_project_prefixes(kg):
    head = export_rdf(kg, "ttl", graph="framework").decode()
    assert "@prefix skos: <http://www.w3.org/2004/02/skos/core#> ." in head
    assert "skos:prefLabel" in head


# --- the JSON-LD context ---------------------------------------------------------------------------------------


def test_shipped_context_is_the_generated_one():
    assert jsonld.shipped_context_bytes() == jsonld.context_bytes(), (
        f"static/context.jsonld is stale; refresh it with: {jsonld.REFRESH_COMMAND}"
    )


def test_context_defines_the_prefixes_and_every_ontology_term():
    terms = jsonld.context()["@context"]
    assert terms["@version"] == 1.1
    assert {k: terms[k] for k in PREFIXES} == PREFIXES
    for name in CF.__annotations__:
        definition = terms[name]
        iri = definition if isinstance(definition, str) else definition["@id"]
        assert iri == f"cf:{name}"
    assert terms["references"] == {"@id": "cf:references", "@type": "@id", "@container": "@set"}
    assert terms["inMappingSet"] == {"@id": "cf:inMappingSet", "@type": "@id"}  # functional: one value
    assert terms["prefLabel"] == {"@id": "skos:prefLabel", "@language": "en"}


def test_data_reads_as_plain_json(kg):
    doc = jsonld.compact(
        [
            q
            for q in select_quads(kg, graph="framework") + select_quads(kg, graph="iso27002-2022")
            if q.subject.value.endswith(("/subcategory/DE.CM-1", "/iso-iec-27002-2022/8.16"))
        ]
    )
    graphs = {g["id"]: {n["id"]: n for n in g["@graph"]} for g in doc["@graph"]}
    sub = graphs["https://w3id.org/cyberframe/graph/framework"]["cfid:subcategory/DE.CM-1"]
    assert sub["type"] == ["Subcategory"]
    assert sub["notation"] == "DE.CM-1"
    assert isinstance(sub["prefLabel"], str) and isinstance(sub["definition"], str)
    assert sub["broader"] == ["cfid:category/DE.CM"]
    control = graphs["https://w3id.org/cyberframe/graph/iso27002-2022"]["cfid:control/iso-iec-27002-2022/8.16"]
    assert control["newInEdition"] is True
    assert control["inStandard"] == "cfid:standard/iso-iec-27002-2022"
    assert set(control["controlType"]) == {"cfid:control-type/detective", "cfid:control-type/corrective"}


def test_remote_contexts_are_never_fetched(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("JSON-LD processing opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    doc = {"@context": "https://example.org/context.jsonld", "name": "x"}
    with pytest.raises(JsonLdError) as caught:
        pyld.expand(doc, jsonld.pyld_options())
    assert caught.value.code == "loading remote context failed"
    assert "cyberframe never fetches" in str(caught.value.__cause__)


def test_our_context_url_resolves_offline():
    doc = {"@context": jsonld.CONTEXT_URL, "id": "cfid:subcategory/DE.CM-1", "prefLabel": "Network monitoring"}
    (node,) = pyld.expand(doc, jsonld.pyld_options())
    assert node["@id"] == "https://w3id.org/cyberframe/id/subcategory/DE.CM-1"
    assert node["http://www.w3.org/2004/02/skos/core#prefLabel"] == [
        {"@value": "Network monitoring", "@language": "en"}
    ]


def test_context_by_reference_round_trips(kg):
    statements = select_quads(kg, graph="mapping-vocabulary")
    doc = jsonld.compact(statements, embed_context=False)
    assert doc["@context"] == jsonld.CONTEXT_URL
    back = pyld.to_rdf(doc, jsonld.pyld_options(format="application/n-quads"))
    assert_isomorphic(set(ox.parse(back.encode(), format=NQUADS)), set(statements))


# --- the framed tree -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(kg):
    return jsonld.framework_tree(kg)


def test_tree_nests_functions_categories_subcategories(tree, reference):
    core = reference("csf11-core.csv")
    assert tree["id"] == "cfid:framework/ts27103"
    assert [f["notation"] for f in tree["functions"]] == ["ID", "PR", "DE", "RS", "RC"]
    got = {
        (f["notation"], c["notation"], s["notation"])
        for f in tree["functions"]
        for c in f["categories"]
        for s in c["subcategories"]
    }
    assert got == {(r["function_id"], r["category_id"], r["subcategory_id"]) for r in core}
    identify = tree["functions"][0]["categories"][0]["subcategories"]
    assert [s["notation"] for s in identify][:3] == ["ID.AM-1", "ID.AM-2", "ID.AM-3"]


def test_tree_references_are_the_derived_controls(tree, reference):
    expected = {
        (r["subcategory_id"], c)
        for r in reference("csf11-to-iso27002-2022.csv")
        for c in r["iso27002_2022_controls"].split(";")
        if c
    }
    got = {
        (s["notation"], ref["notation"])
        for f in tree["functions"]
        for c in f["categories"]
        for s in c["subcategories"]
        for ref in s.get("references", [])
        if ref.get("inStandard") == "cfid:standard/iso-iec-27002-2022"
    }
    assert got == expected


@pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")  # rdflib 7.6 warns about its own internals
def test_tree_reads_the_same_in_three_json_ld_processors(kg, tree):
    """pyld, pyoxigraph and rdflib all turn the tree back into exactly the statements it was framed from."""
    from rdflib import Dataset

    want = set(kg.query(internal_query("jsonld-tree")))
    back = pyld.to_rdf(tree, jsonld.pyld_options(format="application/n-quads"))
    assert {q.triple for q in ox.parse(back.encode(), format=NQUADS)} == want
    data = json.dumps(tree).encode()
    assert {q.triple for q in ox.parse(data, format=ox.RdfFormat.JSON_LD)} == want
    rdflib_nt = Dataset().parse(data=data, format="json-ld").serialize(format="nt", encoding="utf-8")
    assert {q.triple for q in ox.parse(rdflib_nt, format=ox.RdfFormat.N_TRIPLES)} == want


@pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
def test_rdflib_reads_the_json_ld_dump(kg):
    from rdflib import Dataset

    data = export_rdf(kg, "jsonld-dataset", graph="iso27002-2022")
    nquads = Dataset().parse(data=data, format="json-ld").serialize(format="nquads", encoding="utf-8")
    assert_isomorphic(set(ox.parse(nquads, format=NQUADS)), set(select_quads(kg, graph="iso27002-2022")))


@pytest.fixture(scope="module")
def jsonld_union(kg) -> bytes:
    return export_rdf(kg, "jsonld")


@pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib")
def test_the_default_json_ld_export_parses_into_a_plain_rdflib_graph(kg, quads, jsonld_union):
    """What a tool builder tries first, ``rdflib.Graph().parse(...)``, gets every triple of the dataset."""
    from rdflib import Graph

    graph = Graph().parse(data=jsonld_union, format="json-ld")
    want = set(union_triples(quads))
    assert len(graph) == len(want)
    back = graph.serialize(format="nt", encoding="utf-8")
    assert {q.triple for q in ox.parse(back, format=ox.RdfFormat.N_TRIPLES)} == want


def test_the_default_json_ld_export_parses_into_pyoxigraph_and_pyld(quads, jsonld_union):
    want = set(union_triples(quads))
    assert {q.triple for q in ox.parse(jsonld_union, format=ox.RdfFormat.JSON_LD)} == want
    back = parse_back(jsonld_union, "jsonld")
    assert {q.graph_name for q in back} == {ox.DefaultGraph()}
    assert {q.triple for q in back} == want


def test_the_named_graph_form_has_its_own_format_name(kg, quads):
    data = export_rdf(kg, "jsonld-dataset", graph="framework")
    back = parse_back(data, "jsonld-dataset")
    assert {q.graph_name for q in back} == {kg.graph_iri("framework")}
    assert_isomorphic(back, set(select_quads(kg, graph="framework")))
    assert RDF_SYNTAXES["jsonld-dataset"].dataset and not RDF_SYNTAXES["jsonld"].dataset
