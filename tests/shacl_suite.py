"""The W3C SHACL test suite (core and SPARQL-based constraints): its entries and how reports are compared.

The suite's files are in ``tests/w3c/shacl`` (see its README for where they
come from and their licence). Manifests and expected reports are read with the
project's safe reader and converted term for term, as the validation path
converts data and shapes, so a literal such as ``"1"^^xsd:boolean`` or an
ill-formed ``"a"^^xsd:integer`` is compared as written.

Comparison (the suite's README): the report restricted to the predicates the
suite uses (``sh:resultMessage`` only where the expected report has one) must
be isomorphic to the expected report, ``sh:conforms`` included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic, to_isomorphic
from rdflib.namespace import RDF, SH

from cyberframe.rdfio import read_rdf_file
from cyberframe.validation import rdflib_term

SUITE = Path(__file__).resolve().parent / "w3c" / "shacl"
MF = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#"
SHT = "http://www.w3.org/ns/shacl-test#"

#: The predicates a report is compared on (sh:resultMessage only where expected).
COMPARED = frozenset(
    SH[name]
    for name in (
        "conforms",
        "result",
        "focusNode",
        "resultPath",
        "resultSeverity",
        "sourceConstraint",
        "sourceConstraintComponent",
        "sourceShape",
        "value",
    )
)


@dataclass(frozen=True)
class Case:
    """One approved entry of the suite: its files and the expected report (None: ``sht:Failure``)."""

    name: str
    """The entry's path below the suite without ``.ttl``: ``core/property/in-001``."""
    data: Path
    shapes: Path
    expected: Graph | None

    @property
    def failure(self) -> bool:
        return self.expected is None


def read_graph(path: Path) -> Graph:
    """A file read by the project's safe reader, terms converted exactly."""
    graph = Graph()
    for triple in read_rdf_file(path).triples():
        graph.add(tuple(rdflib_term(t) for t in triple))  # type: ignore[arg-type]
    return graph


def _local(iri: URIRef) -> Path:
    return Path(iri.removeprefix("file://")).resolve()


def _manifest(path: Path) -> Iterator[Case]:
    graph = read_graph(path)
    for manifest in graph.subjects(RDF.type, URIRef(MF + "Manifest")):
        for include in graph.objects(manifest, URIRef(MF + "include")):
            yield from _manifest(_local(include))  # type: ignore[arg-type]
        for entries in graph.objects(manifest, URIRef(MF + "entries")):
            for entry in Collection(graph, entries):
                if graph.value(entry, URIRef(MF + "status")) != URIRef(SHT + "approved"):
                    continue
                action = graph.value(entry, URIRef(MF + "action"))
                data = _local(graph.value(action, URIRef(SHT + "dataGraph")))  # type: ignore[arg-type]
                shapes = _local(graph.value(action, URIRef(SHT + "shapesGraph")))  # type: ignore[arg-type]
                result = graph.value(entry, URIRef(MF + "result"))
                expected = None if result == URIRef(SHT + "Failure") else _subgraph(graph, result)
                name = str(_local(entry).relative_to(SUITE)).removesuffix(".ttl")  # type: ignore[arg-type]
                yield Case(name, data, shapes, expected)


def cases() -> list[Case]:
    """Every approved entry of the suite, in manifest order."""
    return list(_manifest(SUITE / "manifest.ttl"))


def _subgraph(graph: Graph, root: object) -> Graph:
    """The triples reachable from *root* through blank nodes (the expected report and its results)."""
    out = Graph()
    todo, seen = [root], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, p, o in graph.triples((node, None, None)):  # type: ignore[arg-type]
            out.add((node, p, o))  # type: ignore[arg-type]
            if isinstance(o, BNode):
                todo.append(o)
    return out


def restricted(report: Graph, *, messages: bool) -> Graph:
    """The report's triples the suite compares: the report, its results and their paths.

    Each result gets its own copy of its ``sh:resultPath`` structure, so an
    engine that shares one path node between results compares like one that
    does not.
    """
    keep = COMPARED | ({SH.resultMessage} if messages else set())
    out = Graph()
    for node in report.subjects(RDF.type, SH.ValidationReport):
        for _, p, o in report.triples((node, None, None)):
            if p in keep:
                out.add((node, p, o))
        for result in report.objects(node, SH.result):
            for _, p, o in report.triples((result, None, None)):
                if p not in keep:
                    continue
                if p == SH.resultPath and isinstance(o, BNode):
                    o = _copy(report, o, out)
                out.add((result, p, o))
    return out


def _copy(graph: Graph, node: BNode, out: Graph) -> BNode:
    """A fresh copy in *out* of the blank-node structure below *node* (a path expression)."""
    fresh = BNode()
    for _, p, o in graph.triples((node, None, None)):
        out.add((fresh, p, _copy(graph, o, out) if isinstance(o, BNode) else o))
    return fresh


def matches(report: Graph, expected: Graph) -> bool:
    """Whether *report* is the expected report as the suite compares them."""
    messages = any(expected.triples((None, SH.resultMessage, None)))
    want = restricted(_typed(expected), messages=messages)
    return isomorphic(restricted(report, messages=messages), want)


def difference(report: Graph, expected: Graph) -> str:
    """The two restricted reports as sorted N-Triples, for an assertion message."""
    messages = any(expected.triples((None, SH.resultMessage, None)))
    got = to_isomorphic(restricted(report, messages=messages))
    want = to_isomorphic(restricted(_typed(expected), messages=messages))
    lines = sorted(got.serialize(format="nt").splitlines())
    wanted = sorted(want.serialize(format="nt").splitlines())
    return "got:\n  " + "\n  ".join(lines) + "\nexpected:\n  " + "\n  ".join(wanted)


def _typed(expected: Graph) -> Graph:
    """The expected report with its ``rdf:type`` triples of results dropped (not among the compared predicates)."""
    out = Graph()
    for s, p, o in expected:
        if p == RDF.type and o != SH.ValidationReport:
            continue
        out.add((s, p, o))
    return out


def shipped_targets_free(case: Case, shipped: ox.Store) -> bool:
    """Whether no target of the case's shapes selects a node of the shipped graph (SHACL §2.1.3).

    Then adding the shipped graph to the data must leave the report as it is,
    and the case is run a second time with it.
    """
    shapes = read_graph(case.shapes)
    if any(shapes.triples((None, SH.target, None))):
        return False  # SPARQL-based targets: not decided here
    nodes = [str(n) for n in shapes.objects(None, SH.targetNode) if isinstance(n, URIRef)]
    classes = {str(c) for c in shapes.objects(None, SH.targetClass) if isinstance(c, URIRef)}
    classes |= {
        str(s)
        for s in shapes.subjects(RDF.type, URIRef("http://www.w3.org/2000/01/rdf-schema#Class"))
        if isinstance(s, URIRef)
    }
    subjects_of = [str(p) for p in shapes.objects(None, SH.targetSubjectsOf) if isinstance(p, URIRef)]
    objects_of = [str(p) for p in shapes.objects(None, SH.targetObjectsOf) if isinstance(p, URIRef)]
    asks = [(NODE_USED, iri) for iri in nodes] + [(INSTANCE, iri) for iri in classes]
    asks += [(PREDICATE_USED, iri) for iri in subjects_of + objects_of]
    return not any(shipped.query(query, substitutions={ox.Variable("x"): ox.NamedNode(iri)}) for query, iri in asks)


NODE_USED = "ASK { { ?x ?p ?o } UNION { ?s ?p ?x } }"
INSTANCE = "ASK { ?s a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* ?x }"
PREDICATE_USED = "ASK { ?s ?x ?o }"
