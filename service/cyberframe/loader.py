"""Load the source files into an rdflib Dataset, one named graph per file (docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Dataset, Graph

from .namespaces import bind_prefixes, graph_iri
from .resources import Source, sources


def load_sources(files: Iterable[Source] | None = None) -> Dataset:
    """Parse every source into its own named graph ``graph/{name}`` of a new Dataset."""
    dataset = bind_prefixes(Dataset())
    for source in sources() if files is None else files:
        graph = dataset.graph(graph_iri(source.name))
        graph.parse(source.path, format="turtle")
    return dataset


def union_graph(dataset: Dataset) -> Graph:
    """A plain Graph holding every triple of every named graph of *dataset*."""
    union = bind_prefixes(Graph())
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union
