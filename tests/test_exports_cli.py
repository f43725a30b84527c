"""``cyberframe export`` as a user runs it, the VoID description and the pyLODE page."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import VOID

from cyberframe.cli import main
from cyberframe.exports import FORMATS, docs, export
from cyberframe.exports.dumps import select_quads
from cyberframe.exports.void import DATASET, EXAMPLES, void_graph
from cyberframe.namespaces import CF, GRAPH


def run(*args: str):
    return CliRunner().invoke(main, ["export", *args])


def test_list_shows_every_format():
    result = run("--list")
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert names == list(FORMATS)
    for required in (
        "ttl",
        "nt",
        "nq",
        "trig",
        "jsonld",
        "rdfxml",
        "sssom",
        "oscal-catalog",
        "oscal-mapping",
        "strm",
        "void",
        "docs",
    ):
        assert required in names


def test_export_writes_stdout_by_default_with_progress_on_stderr(kg):
    result = run("--format", "nt", "--graph", "framework")
    assert result.exit_code == 0, result.stderr
    triples = set(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_TRIPLES))
    assert {q.triple for q in triples} == {q.triple for q in select_quads(kg, graph="framework")}
    assert "nt:" in result.stderr and "to standard output" in result.stderr


def test_export_to_a_file(kg, tmp_path):
    target = tmp_path / "out" / "cyberframe.trig"
    target.parent.mkdir()
    result = run("--format", "trig", "--asserted", "-o", str(target), "--quiet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    quads = set(ox.parse(path=target, format=ox.RdfFormat.TRIG))
    assert quads == set(select_quads(kg, inferred=False))
    assert [p.name for p in target.parent.iterdir()] == ["cyberframe.trig"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --format FORMAT"),
        (("--format", "nope"), "'nope' is not one of"),
        (("--format", "sssom", "--graph", "framework"), "--graph does not apply to sssom"),
        (("--format", "nq", "--graph", "nope"), "no graph 'nope'"),
        (("--format", "nq", "--graph", "inferred", "--asserted"), "contradicts --asserted"),
        (("--format", "strm", "--mapping-set", "nope"), "no mapping set 'nope'"),
        (("--format", "ttl", "--service-url", "http://x"), "--service-url does not apply to ttl"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.slow  # every format at once, JSON-LD of the whole graph included: ~4 s
def test_every_format_exports(kg):
    """Each format of the list is made from the graph and is non-empty (its content is checked elsewhere)."""
    for name in FORMATS:
        if name == "site":
            continue  # the documentation site: built and checked by tests/test_docs_site.py
        data = export(kg, name)
        assert data, name
        if FORMATS[name].media_type.endswith("json"):
            json.loads(data)


# --- VoID ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def void(kg) -> Graph:
    return void_graph(kg, service_url="http://localhost:8000/")


def test_void_round_trips(kg, void):
    data = export(kg, "void", service_url="http://localhost:8000/")
    assert isomorphic(Graph().parse(data=data, format="turtle"), void)


def test_void_statistics_match_the_graph(kg, void, select):
    assert void.value(DATASET, VOID.triples) == Literal(kg.manifest.triples)
    subsets = set(void.objects(DATASET, VOID.subset))
    assert subsets == {GRAPH[name] for name in kg.manifest.graphs}
    for name, triples in kg.manifest.graphs.items():
        assert void.value(GRAPH[name], VOID.triples) == Literal(triples)
    partitions = {
        void.value(p, VOID["class"]): void.value(p, VOID.entities) for p in void.objects(DATASET, VOID.classPartition)
    }
    assert partitions[CF.Subcategory] == Literal(108)
    assert partitions[CF.MappingRecord] == Literal(len(select("SELECT ?r WHERE { ?r a cf:MappingRecord }")))
    assert void.value(DATASET, VOID.sparqlEndpoint) == URIRef("http://localhost:8000/sparql")
    assert void.value(DATASET, VOID.uriSpace) == Literal("https://w3id.org/cyberframe/id/")


def test_void_examples_exist(kg, void):
    for example in [*EXAMPLES, void.value(DATASET, VOID.rootResource)]:
        assert next(kg.store.quads_for_pattern(ox.NamedNode(str(example)), None, None), None), example


# --- ontology documentation ----------------------------------------------------------------------------------


def test_shipped_documentation_is_the_pylode_page_of_the_ontology(kg):
    pytest.importorskip("pylode")
    assert docs.shipped_ontology_html() == docs.render_ontology_html(kg), (
        f"static/ontology.html is stale; refresh it with: {docs.REFRESH_COMMAND}"
    )


def test_documentation_covers_every_term():
    html = docs.shipped_ontology_html().decode("utf-8")
    assert "<script src=" not in html and 'rel="stylesheet" href="http' not in html  # self-contained
    for name in CF.__annotations__:
        assert f"{CF._NS}{name}" in html, name


def test_output_into_a_missing_folder_is_a_usage_error(kg, tmp_path):
    from click.testing import CliRunner

    from cyberframe.cli import main

    target = tmp_path / "no" / "such" / "folder" / "out.ttl"
    result = CliRunner().invoke(main, ["export", "--format", "ttl", "-o", str(target)])
    assert result.exit_code == 2 and "cannot write" in result.output
    assert not (tmp_path / "no").exists()
