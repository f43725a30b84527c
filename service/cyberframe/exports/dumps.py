"""RDF dumps of the knowledge graph: Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML.

pyoxigraph serialises every syntax except JSON-LD, which goes through
:mod:`cyberframe.exports.jsonld` so that it is compacted with the published
context. Dataset syntaxes (N-Quads, TriG, JSON-LD; RDF 1.1 Datasets) keep the
named graphs; graph syntaxes (Turtle, N-Triples, RDF/XML) hold the union of the
chosen graphs, each triple once. JSON-LD comes in both forms: ``jsonld`` is
the union in the default graph (what ``rdflib.Graph().parse`` reads in full),
``jsonld-dataset`` keeps the named graphs as graph objects (JSON-LD 1.1 §4.9).
Output is sorted, so the same snapshot always gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..errors import ExportError
from ..knowledge import INFERRED, KnowledgeGraph
from ..namespaces import PREFIXES
from ..progress import Progress, quiet
from ..rdfio import written


@dataclass(frozen=True)
class RdfSyntax:
    """One RDF serialisation: its pyoxigraph format (None for JSON-LD) and whether it holds named graphs."""

    name: str
    title: str
    media_type: str
    extension: str
    dataset: bool
    oxigraph: str | None  #: attribute name on :class:`pyoxigraph.RdfFormat`

    @property
    def format(self) -> ox.RdfFormat | None:
        return None if self.oxigraph is None else getattr(ox.RdfFormat, self.oxigraph)


RDF_SYNTAXES: dict[str, RdfSyntax] = {
    s.name: s
    for s in (
        RdfSyntax("ttl", "Turtle (RDF 1.1), the union of the graphs", "text/turtle", ".ttl", False, "TURTLE"),
        RdfSyntax(
            "nt", "N-Triples (RDF 1.1), the union of the graphs", "application/n-triples", ".nt", False, "N_TRIPLES"
        ),
        RdfSyntax("nq", "N-Quads (RDF 1.1), one named graph per source", "application/n-quads", ".nq", True, "N_QUADS"),
        RdfSyntax("trig", "TriG (RDF 1.1), one named graph per source", "application/trig", ".trig", True, "TRIG"),
        RdfSyntax(
            "jsonld",
            "JSON-LD 1.1 compacted with the cyberframe context, the union of the graphs",
            "application/ld+json",
            ".jsonld",
            False,
            None,
        ),
        RdfSyntax(
            "jsonld-dataset",
            "JSON-LD 1.1 compacted with the cyberframe context, one named graph per source",
            "application/ld+json",
            ".dataset.jsonld",
            True,
            None,
        ),
        RdfSyntax("rdfxml", "RDF/XML, the union of the graphs", "application/rdf+xml", ".rdf", False, "RDF_XML"),
    )
}


def graph_names(kg: KnowledgeGraph, graph: str | None = None, inferred: bool | None = True) -> list[str]:
    """The named graphs an export covers: *graph* alone, or every graph (less ``inferred`` if asked).

    ``inferred=None`` means "not said" and counts as True.
    """
    if graph is None:
        return [n for n in kg.manifest.graphs if inferred is not False or n != INFERRED]
    if graph not in kg.manifest.graphs:
        raise ExportError(f"no graph {graph!r}; the graphs are: {', '.join(sorted(kg.manifest.graphs))}")
    if graph == INFERRED and inferred is False:
        raise ExportError("--graph inferred contradicts --asserted")
    return [graph]


def _term_key(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> tuple[int, str]:
    return (0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.BlankNode) else 2, str(term))


def select_quads(kg: KnowledgeGraph, graph: str | None = None, inferred: bool | None = True) -> list[ox.Quad]:
    """The quads of the chosen named graphs, sorted by graph, subject, predicate and object."""
    quads: list[ox.Quad] = []
    for name in graph_names(kg, graph, inferred):
        quads.extend(kg.store.quads_for_pattern(None, None, None, kg.graph_iri(name)))
    quads.sort(key=lambda q: (str(q.graph_name), _term_key(q.subject), q.predicate.value, _term_key(q.object)))
    return quads


def union_triples(quads: list[ox.Quad]) -> list[ox.Triple]:
    """The triples of *quads*, each once, in subject order (what a graph syntax can hold)."""
    unique = {q.triple for q in quads}
    return sorted(unique, key=lambda t: (_term_key(t.subject), t.predicate.value, _term_key(t.object)))


def export_rdf(
    kg: KnowledgeGraph,
    fmt: str,
    graph: str | None = None,
    inferred: bool | None = True,
    progress: Progress = quiet,
) -> bytes:
    """Serialise the knowledge graph (or one named graph) as *fmt*, a key of :data:`RDF_SYNTAXES`.

    This is what ``cyberframe export --format FMT`` writes and what ``GET /dump``
    should send: bytes in the syntax's media type (UTF-8).
    """
    try:
        syntax = RDF_SYNTAXES[fmt]
    except KeyError:
        raise ExportError(f"unknown RDF syntax {fmt!r}; choose one of: {', '.join(RDF_SYNTAXES)}") from None
    quads = select_quads(kg, graph, inferred)
    progress(f"serialising {len(quads)} quads from {len({q.graph_name for q in quads})} graphs as {syntax.title}")
    if syntax.format is None:
        from .jsonld import serialize

        return serialize(quads if syntax.dataset else union_triples(quads), progress=progress)
    prefixes = PREFIXES if syntax.name in ("ttl", "trig", "rdfxml") else None
    return written(
        ox.serialize(quads if syntax.dataset else union_triples(quads), format=syntax.format, prefixes=prefixes)
    )
