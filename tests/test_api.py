"""The library face (docs/python-api.md), used as a tool builder's script would: only ``cyberframe.*`` names.

The script merges cyberframe with a small outside ontology that points at our
controls and subcategories (tests/data/toolbuilder-ontology.ttl), queries
across both, validates the merged graph and exports it; every answer is
checked against the reference facts in tests/reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH, SKOS

import cyberframe

OUTSIDE = Path(__file__).parent / "data" / "toolbuilder-ontology.ttl"
ACME = Namespace("https://example.org/acme/controls#")
CF = Namespace("https://w3id.org/cyberframe/ontology#")
ID = "https://w3id.org/cyberframe/id/"

JOIN = """
PREFIX acme: <https://example.org/acme/controls#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?mine ?control ?title ?subcategory ?function WHERE {
  ?mine acme:implements ?sub ; skos:closeMatch ?ctl .
  ?ctl skos:notation ?control ; skos:prefLabel ?title .
  ?sub skos:notation ?subcategory ; skos:broader/skos:broader/skos:notation ?function .
} ORDER BY ?mine
"""


@pytest.fixture(scope="module")
def titles(reference) -> dict[str, str]:
    return {row["id"]: row["title"] for row in reference("iso27002-2022-controls.csv")}


def expected_join(titles: dict[str, str]) -> list[tuple[str, ...]]:
    return [
        (str(ACME["LOG-01"]), "8.15", titles["8.15"], "PR.PT-1", "PR"),
        (str(ACME["MON-02"]), "8.16", titles["8.16"], "DE.CM-1", "DE"),
    ]


def plain(result: cyberframe.Result) -> list[tuple[str, ...]]:
    return [tuple(str(row[v]) for v in result.variables) for row in result]


def test_query_across_our_graph_and_an_outside_ontology(titles):
    result = cyberframe.sparql(JOIN, data=OUTSIDE)
    assert result.form == "SELECT" and not result.truncated
    assert result.variables == ("mine", "control", "title", "subcategory", "function")
    assert plain(result) == expected_join(titles)
    assert isinstance(result.rows[0]["mine"], URIRef) and isinstance(result.rows[0]["title"], Literal)
    # without the outside data the join finds nothing: the statements came from the file
    assert len(cyberframe.sparql(JOIN)) == 0


def test_merged_rdflib_dataset_answers_the_same(titles):
    dataset = cyberframe.dataset()
    graphs = {str(g.identifier) for g in dataset.graphs()}
    assert {ID.replace("/id/", "/graph/") + name for name in ("framework", "ontology", "inferred")} <= graphs
    dataset.graph(URIRef("https://example.org/acme/graph")).parse(OUTSIDE)
    dataset.default_union = True
    rows = [tuple(str(v) for v in row) for row in dataset.query(JOIN)]  # type: ignore[union-attr]
    assert rows == expected_join(titles)
    # a fresh copy each call: the caller's additions do not leak into the next one
    assert (ACME["LOG-01"], RDF.type, ACME.InternalControl) not in cyberframe.dataset()


def test_validate_the_merged_graph():
    outcome = cyberframe.validate(OUTSIDE)
    assert outcome.conforms and outcome.results == ()
    merged = Graph().parse(OUTSIDE)
    rogue = ACME["NOT-A-SUBCATEGORY"]
    merged.add((rogue, RDF.type, CF.Subcategory))  # claims our class without the notation, label, category
    broken = cyberframe.validate(merged)
    assert not broken.conforms
    assert {r.focus for r in broken.violations} == {rogue}
    assert all(r.severity == SH.Violation for r in broken.violations)


@pytest.mark.slow
def test_export_the_merged_graph(tmp_path):
    turtle = tmp_path / "cyberframe.ttl"
    body = cyberframe.export("ttl", turtle)
    assert turtle.read_bytes() == body
    merged = Graph().parse(turtle).parse(OUTSIDE)
    ours = Graph().parse(data=body, format="turtle")
    outside = Graph().parse(OUTSIDE)
    assert len(merged) == len(ours) + len(outside)  # no statement in common
    out = tmp_path / "merged.jsonld"
    merged.serialize(out, format="json-ld")
    assert len(Graph().parse(out)) == len(merged)
    with pytest.raises(cyberframe.ExportError, match="unknown export format"):
        cyberframe.export("turtle")


def test_store_is_the_whole_graph_and_read_only(reference):
    store = cyberframe.store()
    subcategories = store.query(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s a <https://w3id.org/cyberframe/ontology#Subcategory> }",
        use_default_graph_as_union=True,
    )
    assert int(next(iter(subcategories))["n"].value) == len(reference("csf11-core.csv"))
    assert len(store) == sum(len(g) for g in cyberframe.dataset().graphs() if len(g))
    import pyoxigraph

    quad = pyoxigraph.Quad(*(pyoxigraph.NamedNode("https://example.org/x"),) * 3)
    with pytest.raises(RuntimeError, match="read-write"):
        store.add(quad)


def test_named_query_rows_match_the_reference(reference):
    result = cyberframe.query("function-structure", function="DE")
    expected = [
        (r["category_id"], r["subcategory_id"]) for r in reference("csf11-core.csv") if r["function_id"] == "DE"
    ]
    assert [(str(row["category"]), str(row["subcategory"])) for row in result] == expected
    assert result.rows[0].python()["function"] == "DE"
    assert "function-structure" in cyberframe.queries()


def test_named_query_errors_are_typed():
    with pytest.raises(cyberframe.UnknownQuery):
        cyberframe.query("no-such-query")
    with pytest.raises(cyberframe.ParameterError, match="needs parameter 'function'"):
        cyberframe.query("function-structure")
    with pytest.raises(cyberframe.NamedQueryError):
        cyberframe.query("function-structure", function="DE", colour="red")


def test_row_limit_and_other_forms():
    cut = cyberframe.sparql("SELECT ?s WHERE { ?s ?p ?o }", max_rows=3)
    assert len(cut) == 3 and cut.truncated
    graph = cyberframe.sparql("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", max_rows=5)
    assert graph.form == "CONSTRUCT" and len(graph.graph()) == 5 and graph.truncated
    assert cyberframe.sparql("ASK { ?s a <https://w3id.org/cyberframe/ontology#Function> }").boolean is True
    assert cyberframe.sparql("ASK { ?s a <https://example.org/Nothing> }").boolean is False
    with pytest.raises(ValueError, match="max_rows"):
        cyberframe.sparql("ASK {}", max_rows=0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("INSERT DATA { <urn:a> <urn:a> <urn:a> }", "read-only"),
        ("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("   ", "empty"),
        ("SELECT ?x WHERE { ?x", "syntax error"),
    ],
)
def test_admission_refuses_as_the_cli_does(text, message):
    from cyberframe.sparql.admission import READ_ONLY, SERVICE_REFUSED

    with pytest.raises(cyberframe.QueryError, match=message) as caught:
        cyberframe.sparql(text)
    if message in ("read-only", "SERVICE"):
        assert str(caught.value).startswith(READ_ONLY if message == "read-only" else SERVICE_REFUSED)


def test_describe_by_code_and_by_iri(titles):
    control = cyberframe.describe("8.16")
    assert control.iri == URIRef(ID + "control/iso-iec-27002-2022/8.16")
    assert (control.notation, control.label) == ("8.16", titles["8.16"])
    sub = cyberframe.describe(ID + "subcategory/DE.CM-1")
    assert sub.notation == "DE.CM-1" and CF.Subcategory in sub.types
    assert sub.objects(SKOS.broader) == (URIRef(ID + "category/DE.CM"),)
    with pytest.raises(cyberframe.UnknownEntity):
        cyberframe.describe("ZZ.ZZ-9")


def test_store_lives_in_the_cache_and_replaces_other_builds(tmp_path, monkeypatch):
    monkeypatch.setenv("CYBERFRAME_CACHE_DIR", str(tmp_path))
    stale = tmp_path / ("0" * 64 + ".oxigraph")
    stale.mkdir()
    first = cyberframe.store()
    (made,) = tmp_path.glob("*.oxigraph")
    assert (made / ".complete").exists() and not stale.exists()
    assert len(cyberframe.store()) == len(first)  # reopened, not rewritten
    assert list(tmp_path.glob("*.oxigraph")) == [made]


MIXED = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX cf: <https://w3id.org/cyberframe/ontology#>
SELECT ?s ?notation ?label ?n ?missing WHERE {
  ?s a cf:Category ; skos:notation ?notation ; skos:prefLabel ?label .
  { SELECT ?s (COUNT(?sub) AS ?n) WHERE { ?sub skos:broader ?s } GROUP BY ?s }
  OPTIONAL { ?s <urn:nothing> ?missing }
} ORDER BY ?notation
"""


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_result_serialize_writes_what_pyoxigraph_writes(fmt):
    """IRIs, language-tagged and typed literals, an unbound variable: byte for byte the store's own writing."""
    import pyoxigraph

    written = cyberframe.sparql(MIXED).serialize(fmt)
    direct = cyberframe.store().query(MIXED, use_default_graph_as_union=True)
    assert written == direct.serialize(format=cyberframe.api.RESULT_FORMATS[fmt])
    assert isinstance(direct, pyoxigraph.QuerySolutions)


@pytest.mark.parametrize(("fmt", "syntax"), [("ntriples", "N_TRIPLES"), ("rdfxml", "RDF_XML"), ("jsonld-expanded", "JSON_LD")])
def test_graph_answers_serialize_as_pyoxigraph_writes_them(fmt, syntax):
    import pyoxigraph

    text = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <https://w3id.org/cyberframe/graph/framework> { ?s ?p ?o } } ORDER BY ?s ?p ?o LIMIT 400"
    written = cyberframe.sparql(text, max_rows=400).serialize(fmt)
    direct = cyberframe.store().query(text, use_default_graph_as_union=True)
    assert written == pyoxigraph.serialize(direct, format=getattr(pyoxigraph.RdfFormat, syntax))
    with pytest.raises(ValueError, match="csv"):
        cyberframe.sparql("ASK {}").serialize("turtle")


def test_description_serializes_as_its_id_route(titles):
    turtle = cyberframe.describe("8.16").serialize("turtle")
    graph = Graph().parse(data=turtle, format="turtle")
    assert (URIRef(ID + "control/iso-iec-27002-2022/8.16"), SKOS.prefLabel, Literal(titles["8.16"], lang="en")) in graph
    compacted = cyberframe.describe("8.16").serialize("jsonld")
    assert len(Graph().parse(data=compacted, format="json-ld")) == len(graph)


def test_query_errors_say_their_kind():
    with pytest.raises(cyberframe.QueryError) as syntax:
        cyberframe.sparql("SELECT ?x WHERE { ?x")
    assert (syntax.value.kind, syntax.value.status) == ("syntax", 400)
    with pytest.raises(cyberframe.QueryError) as refused:
        cyberframe.sparql("CLEAR ALL")
    assert refused.value.kind == "refused"
    # a parameter name that is no Python identifier, or one of the keywords, goes in parameters=
    with pytest.raises(cyberframe.ParameterError, match="max-rows"):
        cyberframe.query("function-structure", parameters={"function": "DE", "max-rows": "3"})


@pytest.fixture(scope="module")
def csf11_to_iso() -> dict[str, set[str]]:
    import csv

    rows = csv.DictReader((Path(__file__).parent / "reference" / "csf11-to-iso27002-2022.csv").open(encoding="utf-8"))
    return {r["subcategory_id"]: {c for c in r["iso27002_2022_controls"].split(";") if c} for r in rows}


def test_coverage_of_a_soa_given_as_rows_bytes_or_a_path(tmp_path, csf11_to_iso):
    """One control implemented, one planned: covered and partial subcategories are the reference mapping's."""
    rows = [["Control", "Status"], ["A.8.16", "implemented"], ["5.9", "planned"]]
    report = cyberframe.coverage(rows)
    assert isinstance(report, cyberframe.CoverageReport)
    states = {
        sub["notation"]: sub["state"]
        for function in report.to_dict()["framework"]["functions"]
        for category in function["categories"]
        for sub in category["subcategories"]
    }
    assert {s for s, st in states.items() if st == "covered"} == {s for s, c in csf11_to_iso.items() if "8.16" in c}
    partial = {s for s, c in csf11_to_iso.items() if "5.9" in c and "8.16" not in c}
    assert {s for s, st in states.items() if st == "partial"} == partial
    text = "\n".join(",".join(row) for row in rows).encode()
    path = tmp_path / "soa.csv"
    path.write_bytes(text)
    for other in (cyberframe.coverage(text), cyberframe.coverage(path), cyberframe.coverage(str(path))):
        assert other.to_dict() == report.to_dict()
    assert report.render("csv").splitlines()[0].startswith("framework,")
    assert "<html" in report.render("html")
    with pytest.raises(ValueError, match="table"):
        report.render("pdf")
    with pytest.raises(cyberframe.CoverageInputError, match="no column holds control ids"):
        cyberframe.coverage([["colour"], ["red"]])
    with pytest.raises(cyberframe.CoverageInputError, match="limit of 10 bytes"):
        cyberframe.coverage(text, max_bytes=10)
    with pytest.raises(cyberframe.CoverageInputError, match="unknown mapping set"):
        cyberframe.coverage(rows, sets=["nope"])


def test_sparql_and_coverage_are_functions_whatever_was_imported():
    import inspect

    import cyberframe.coverage as coverage_module
    import cyberframe.sparql.admission  # binds the subpackage to cyberframe.sparql

    assert cyberframe.sparql("ASK {}").boolean is True
    assert coverage_module is cyberframe.coverage and callable(cyberframe.coverage)
    assert inspect.signature(cyberframe.sparql) == inspect.signature(cyberframe.api.sparql)
    assert inspect.signature(cyberframe.coverage) == inspect.signature(cyberframe.api.coverage)
