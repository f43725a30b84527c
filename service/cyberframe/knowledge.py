"""The built knowledge graph: sources -> load -> infer -> snapshot -> query (docs/architecture.md).

:func:`open_knowledge_graph` is the one entry point. With a valid snapshot
for the current sources it only reads N-Quads into an in-memory pyoxigraph
store (no Turtle parsing, no inference); otherwise it runs the build and
writes the snapshot first.
"""

from __future__ import annotations

import hashlib
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox

from . import __version__
from .progress import Progress, quiet
from .resources import Source, sources
from .snapshot import (
    Manifest,
    SnapshotError,
    build_hash,
    cache_dir,
    read_snapshot,
    write_snapshot,
)

INFERRED = "inferred"
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class KnowledgeGraph:
    """The loaded dataset (an in-memory pyoxigraph store) and its build manifest.

    The store is read-only by convention: nothing in cyberframe writes to it
    after :func:`open_knowledge_graph` returns.
    """

    store: ox.Store
    manifest: Manifest
    rebuilt: bool = False
    _derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What other modules compute once from this frozen graph (:meth:`derived`)."""

    def derived(self, key: str, make: Callable[[KnowledgeGraph], T]) -> T:
        """``make(self)``, computed once per graph and kept with it (the graph never changes)."""
        if key not in self._derived:
            self._derived.setdefault(key, make(self))
        value: T = self._derived[key]
        return value

    @property
    def build_hash(self) -> str:
        return self.manifest.build_hash

    def graph_iri(self, name: str) -> ox.NamedNode:
        from .namespaces import GRAPH

        return ox.NamedNode(str(GRAPH) + name)

    def asserted_graphs(self) -> list[ox.NamedNode]:
        """The named graphs loaded from source files (all but the inferred graph)."""
        return [self.graph_iri(name) for name in self.manifest.graphs if name != INFERRED]

    def query(self, sparql: str, **options: Any) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run SPARQL 1.1 over the union of all named graphs (unless options say otherwise)."""
        options.setdefault("use_default_graph_as_union", "default_graph" not in options)
        return self.store.query(sparql, **options)

    def select(self, sparql: str, **options: Any) -> ox.QuerySolutions:
        """Run a SELECT query (SPARQL 1.1 Query §16.1) as :meth:`query` does; its solutions."""
        result = self.query(sparql, **options)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("not a SELECT query")
        return result

    def construct(self, sparql: str, **options: Any) -> ox.QueryTriples:
        """Run a CONSTRUCT or DESCRIBE query (SPARQL 1.1 Query §16.2, §16.4) as :meth:`query` does; its triples."""
        result = self.query(sparql, **options)
        if not isinstance(result, ox.QueryTriples):
            raise TypeError("not a CONSTRUCT or DESCRIBE query")
        return result


def build(files: Sequence[Source] | None = None, progress: Progress = quiet) -> tuple[Manifest, bytes]:
    """Load every source, materialise OWL 2 RL entailments and serialise as N-Quads."""
    from rdflib.namespace import OWL

    from .inference import materialize
    from .loader import load_sources, union_graph
    from .namespaces import ONTOLOGY_IRI, graph_iri

    started = time.perf_counter()
    files = sources() if files is None else tuple(files)
    digest = build_hash(files)
    progress(f"loading {len(files)} source files")
    dataset = load_sources(files)
    graphs = {s.name: len(dataset.graph(graph_iri(s.name))) for s in files}
    progress(f"loaded {sum(graphs.values())} asserted triples")
    progress("computing the OWL 2 RL closure (owlrl)")
    inferred = materialize(union_graph(dataset))
    target = dataset.graph(graph_iri(INFERRED))
    for triple in inferred:
        target.add(triple)
    graphs[INFERRED] = len(inferred)
    progress(f"inferred {len(inferred)} new triples")
    with warnings.catch_warnings():  # rdflib's own N-Quads serializer calls its deprecated Dataset.contexts
        warnings.simplefilter("ignore", DeprecationWarning)
        body = dataset.serialize(format="nquads", encoding="utf-8")
    ontology = dataset.graph(graph_iri("ontology"))
    manifest = Manifest(
        build_hash=digest,
        version=__version__,
        ontology_version=str(ontology.value(ONTOLOGY_IRI, OWL.versionInfo) or ""),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3),
        sha256=hashlib.sha256(body).hexdigest(),
        graphs=graphs,
    )
    return manifest, body


def _to_store(body: bytes) -> ox.Store:
    store = ox.Store()
    store.load(body, format=ox.RdfFormat.N_QUADS)
    return store


def open_knowledge_graph(
    *,
    rebuild: bool = False,
    directory: Path | None = None,
    files: Sequence[Source] | None = None,
    progress: Progress = quiet,
) -> KnowledgeGraph:
    """Return the knowledge graph, from the snapshot when it is fresh and sound.

    A missing, stale (sources changed) or corrupt snapshot is rebuilt and
    rewritten; ``rebuild=True`` forces that. *files* defaults to the shipped
    sources; tests pass their own.
    """
    directory = cache_dir() if directory is None else directory
    files = sources() if files is None else tuple(files)
    digest = build_hash(files)
    if not rebuild:
        try:
            manifest, body = read_snapshot(directory, digest)
            return KnowledgeGraph(_to_store(body), manifest)
        except SnapshotError as exc:
            if not isinstance(exc.__cause__, FileNotFoundError):
                log.warning("snapshot unusable, rebuilding it: %s", exc)
            progress(f"building the knowledge graph ({exc})")
        except (OSError, SyntaxError) as exc:  # pyoxigraph raises SyntaxError on bad N-Quads
            log.warning("snapshot unreadable, rebuilding it: %s", exc)
            progress(f"rebuilding the knowledge graph (snapshot unreadable: {exc})")
    manifest, body = build(files, progress)
    store = _to_store(body)
    try:
        write_snapshot(directory, manifest, body)
        progress(f"snapshot written to {directory}")
    except OSError as exc:  # a read-only cache must not stop the service
        progress(f"warning: snapshot not written ({exc})")
    return KnowledgeGraph(store, manifest, rebuilt=True)
