"""The dataset the endpoint serves: the knowledge graph plus the user's own graphs (``--graph IRI=FILE``).

An organisation can query its own RDF against ours: each extra file becomes
one more named graph, and takes part in the union default graph like the
others. The knowledge graph itself is never written to; with extra graphs the
service works on a copy. Files are read by :mod:`cyberframe.rdfio`, the format
taken from the extension: RDF/XML is first checked with defusedxml so that no
entity is expanded and no external one resolved, and JSON-LD remote contexts
are refused before parsing. A bad file is an error that names the file, line
and column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from ..knowledge import KnowledgeGraph
from ..namespaces import GRAPH
from ..rdfio import RdfInputError, guess_format, parse_rdf, written

#: Extra graphs are the operator's own files: far larger than an upload may be, but still bounded.
EXTRA_GRAPH_MAX_BYTES = 1 << 30


class GraphFileError(ValueError):
    """An extra graph that cannot be served: bad IRI, unknown format, unreadable or invalid file."""


@dataclass(frozen=True)
class ExtraGraph:
    """One user file served as a named graph."""

    iri: str
    path: Path
    triples: int
    sha256: str
    modified: datetime


@dataclass(frozen=True)
class ServedDataset:
    """What ``/sparql`` queries: the store, its named graphs with their sizes, and its version."""

    kg: KnowledgeGraph
    store: ox.Store
    extra: tuple[ExtraGraph, ...]
    graphs: dict[str, int]
    """Triples per named graph IRI, ours and the extra ones."""
    default_graph_triples: int
    """Distinct triples of the union default graph."""
    version: str
    """The build hash, extended by the extra files' digests: it names the served data (ETags)."""
    last_modified: datetime

    def nquads(self) -> bytes:
        """The whole dataset as N-Quads, for the query workers."""
        return written(self.store.dump(format=ox.RdfFormat.N_QUADS))


def _check_iri(iri: str, taken: set[str]) -> ox.NamedNode:
    try:
        node = ox.NamedNode(iri)
    except ValueError as exc:
        raise GraphFileError(f"{iri!r} is not a valid IRI: {exc}") from exc
    if ":" not in iri:
        raise GraphFileError(f"{iri!r} is not an absolute IRI")
    if iri.startswith(str(GRAPH)):
        raise GraphFileError(f"{iri} is in cyberframe's own graph namespace {GRAPH}; choose another IRI")
    if iri in taken:
        raise GraphFileError(f"graph {iri} is given twice")
    return node


def load_graph_file(store: ox.Store, iri: str, path: Path, taken: set[str]) -> ExtraGraph:
    """Parse *path* into the named graph *iri* of *store* or raise :class:`GraphFileError`.

    The file goes through :mod:`cyberframe.rdfio`, the same screening as every
    untrusted RDF input: format from the extension, entities and DOCTYPEs
    refused before parsing, remote JSON-LD contexts refused, size bounded.
    """
    node = _check_iri(iri, taken)
    try:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        document = parse_rdf(
            data,
            format=guess_format(str(path)),
            source=str(path),
            base_iri=path.resolve().as_uri(),
            max_bytes=EXTRA_GRAPH_MAX_BYTES,
        )
    except RdfInputError as exc:
        where = (
            "" if exc.line is None else f"line {exc.line}" + ("" if exc.column is None else f", column {exc.column}")
        )
        raise GraphFileError(f"{exc.source}: {where + ': ' if where else ''}{exc.reason}") from exc
    before = len(store)
    store.extend(ox.Quad(q.subject, q.predicate, q.object, node) for q in document.quads)
    return ExtraGraph(iri, path, len(store) - before, hashlib.sha256(data).hexdigest(), modified)


def _count_default_graph(store: ox.Store) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    assert isinstance(rows, ox.QuerySolutions)
    return int(next(iter(rows))[0].value)


def _parse_built_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC).replace(microsecond=0)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def serve_dataset(
    kg: KnowledgeGraph, extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = ()
) -> ServedDataset:
    """The dataset to serve: *kg* alone, or a copy of it with the *extra_graphs* (IRI -> file) added."""
    pairs = list(extra_graphs.items()) if isinstance(extra_graphs, Mapping) else list(extra_graphs)
    store = kg.store
    extra: list[ExtraGraph] = []
    if pairs:
        store = ox.Store()
        store.load(kg.store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        taken: set[str] = set()
        for iri, path in pairs:
            extra.append(load_graph_file(store, iri, Path(path), taken))
            taken.add(iri)
    graphs = {kg.graph_iri(name).value: count for name, count in kg.manifest.graphs.items()}
    graphs.update({g.iri: g.triples for g in extra})
    digest = hashlib.sha256(kg.build_hash.encode())
    for graph in extra:
        digest.update(f"\0{graph.iri}\0{graph.sha256}".encode())
    built = _parse_built_at(kg.manifest.built_at)
    last_modified = max([built, *(g.modified for g in extra)]).replace(microsecond=0)
    return ServedDataset(
        kg=kg,
        store=store,
        extra=tuple(extra),
        graphs=graphs,
        default_graph_triples=_count_default_graph(store),
        version=digest.hexdigest() if extra else kg.build_hash,
        last_modified=last_modified,
    )
