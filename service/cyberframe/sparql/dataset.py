"""The dataset the endpoint serves: the knowledge graph plus the user's own graphs (``--graph IRI=FILE``).

An organisation can query its own RDF against ours: each extra file becomes
one more named graph, and takes part in the union default graph like the
others. The knowledge graph itself is never written to: the served dataset is
one on-disk store built from it and the extra files (:mod:`.shared_store`),
opened read-only by every process. Files are read by :mod:`cyberframe.rdfio`, the format
taken from the extension: RDF/XML is first checked with defusedxml so that no
entity is expanded and no external one resolved, and JSON-LD remote contexts
are refused before parsing. A bad file is an error that names the file, line
and column.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from ..knowledge import KnowledgeGraph
from ..namespaces import GRAPH
from ..rdfio import RdfInputError, guess_format, parse_rdf
from .shared_store import open_read_only, prune, shared_store, stores_dir

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
    """What ``/sparql`` queries: the shared on-disk store, its named graphs with their sizes, and its version."""

    kg: KnowledgeGraph
    store_path: Path
    """The read-only pyoxigraph store every process opens (:mod:`.shared_store`)."""
    extra: tuple[ExtraGraph, ...]
    graphs: dict[str, int]
    """Triples per named graph IRI, ours and the extra ones."""
    default_graph_triples: int
    """Distinct triples of the union default graph."""
    version: str
    """The build hash, extended by the extra files' digests: it names the served data (ETags)."""
    last_modified: datetime
    built: bool = False
    """Whether this process built the store (False: it was already in the cache)."""
    _opened: dict[int, ox.Store] = field(default_factory=dict, compare=False, repr=False)

    @property
    def store(self) -> ox.Store:
        """The store, opened read-only once per process (a forked child opens its own handle)."""
        pid = os.getpid()
        store = self._opened.get(pid)
        if store is None:
            self._opened.clear()
            store = self._opened[pid] = open_read_only(self.store_path)
        return store


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


def read_graph_file(iri: str, path: Path) -> list[ox.Quad]:
    """Parse *path* into quads of the named graph *iri* or raise :class:`GraphFileError`.

    The file goes through :mod:`cyberframe.rdfio`, the same screening as every
    untrusted RDF input: format from the extension, entities and DOCTYPEs
    refused before parsing, remote JSON-LD contexts refused, size bounded.
    """
    node = ox.NamedNode(iri)
    try:
        data = path.read_bytes()
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
    return [ox.Quad(q.subject, q.predicate, q.object, node) for q in document.quads]


def _fingerprint(iri: str, path: Path) -> tuple[str, datetime]:
    """The file's SHA-256 and modification time, or :class:`GraphFileError`."""
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError as exc:
        raise GraphFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return digest, modified


def _parse_built_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC).replace(microsecond=0)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def serve_dataset(
    kg: KnowledgeGraph,
    extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = (),
    directory: Path | None = None,
) -> ServedDataset:
    """The dataset to serve: *kg* plus the *extra_graphs* (IRI -> file), in a shared read-only store.

    The store is keyed by the content (the build hash and each extra file's
    IRI and SHA-256), so it is built once per distinct input and reused by
    every later start; *directory* defaults to ``stores/`` in the cache folder.
    """
    pairs = [
        (iri, Path(path)) for iri, path in (extra_graphs.items() if isinstance(extra_graphs, Mapping) else extra_graphs)
    ]
    taken: set[str] = set()
    prints: list[tuple[str, datetime]] = []
    for iri, path in pairs:
        _check_iri(iri, taken)
        taken.add(iri)
        prints.append(_fingerprint(iri, path))
    digest = hashlib.sha256(kg.build_hash.encode())
    for (iri, _), (sha256, _) in zip(pairs, prints, strict=True):
        digest.update(f"\0{iri}\0{sha256}".encode())
    version = digest.hexdigest() if pairs else kg.build_hash

    def fill(store: ox.Store) -> None:
        store.bulk_load(kg.store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        for iri, path in pairs:
            store.bulk_extend(read_graph_file(iri, path))

    home = stores_dir() if directory is None else directory
    prefix = kg.build_hash[:16]
    path, description, built = shared_store(f"{prefix}-{version}", fill, home)
    if built:
        prune(path.parent, path.name, prefix)
    extra = tuple(
        ExtraGraph(iri, file, description.graphs.get(iri, 0), sha256, modified)
        for (iri, file), (sha256, modified) in zip(pairs, prints, strict=True)
    )
    graphs = {kg.graph_iri(name).value: count for name, count in kg.manifest.graphs.items()}
    graphs.update({g.iri: g.triples for g in extra})
    built_at = _parse_built_at(kg.manifest.built_at)
    last_modified = max([built_at, *(g.modified for g in extra)]).replace(microsecond=0)
    return ServedDataset(
        kg=kg,
        store_path=path,
        extra=extra,
        graphs=graphs,
        default_graph_triples=description.default_graph_triples,
        version=version,
        last_modified=last_modified,
        built=built,
    )
