"""The dataset the endpoint serves: the knowledge graph plus the user's own graphs (``--graph IRI=FILE``).

An organisation can query its own RDF against ours: each extra file becomes
one more named graph, and takes part in the union default graph like the
others. The knowledge graph itself is never written to; with extra graphs the
service works on a copy. Files are parsed by pyoxigraph, the format taken from
the extension; RDF/XML is first checked with defusedxml so that no entity is
expanded and no external one resolved, and JSON-LD remote contexts are never
loaded (pyoxigraph has no loader for them). A bad file is an error that names
the file, line and column.
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

#: File extensions of the graph formats ``--graph`` reads (RDF 1.1 media type registrations).
GRAPH_EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".ntriples": ox.RdfFormat.N_TRIPLES,
    ".n3": ox.RdfFormat.N3,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}


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
        return self.store.dump(format=ox.RdfFormat.N_QUADS)


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


def _check_xml(path: Path, data: bytes) -> None:
    import defusedxml.ElementTree as safe
    from defusedxml import DefusedXmlException

    try:
        safe.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        what = f"entity {exc.name!r}" if getattr(exc, "name", None) else type(exc).__name__
        raise GraphFileError(
            f"{path}: refused: the XML declares {what}; entity declarations and external references are not "
            "accepted (they can fetch URLs or expand without bound)"
        ) from exc
    except safe.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        raise GraphFileError(f"{path}: line {line}, column {column}: not well-formed XML: {exc}") from exc


def load_graph_file(store: ox.Store, iri: str, path: Path, taken: set[str]) -> ExtraGraph:
    """Parse *path* into the named graph *iri* of *store* or raise :class:`GraphFileError`."""
    node = _check_iri(iri, taken)
    fmt = GRAPH_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(GRAPH_EXTENSIONS))
        raise GraphFileError(f"{path}: unknown RDF format for extension {path.suffix!r} (known: {known})")
    try:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if fmt == ox.RdfFormat.RDF_XML:
        _check_xml(path, data)
    before = len(store)
    try:
        store.load(data, format=fmt, base_iri=path.resolve().as_uri(), to_graph=node)
    except SyntaxError as exc:
        message = str(exc)
        if "LoadDocumentCallback" in message:
            message = "a remote JSON-LD @context is never fetched; put the context inline"
        raise GraphFileError(f"{path}: {message}") from exc
    except ValueError as exc:
        raise GraphFileError(f"{path}: {exc}") from exc
    return ExtraGraph(iri, path, len(store) - before, hashlib.sha256(data).hexdigest(), modified)


def _count_default_graph(store: ox.Store) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
    return int(next(iter(rows))[0].value)


def _parse_built_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC).replace(microsecond=0)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def serve_dataset(kg: KnowledgeGraph, extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = ()):
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
