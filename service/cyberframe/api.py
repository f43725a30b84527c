"""cyberframe as a library: the public functions behind ``import cyberframe`` (docs/python-api.md).

Every function works on the one built knowledge graph (the ontology, the data
and the OWL 2 RL entailments, one named graph per source file; see
docs/architecture.md), opened once per process from the snapshot cache and
never written to. No server is started and nothing is fetched from the
network.

* :func:`store` — the graph as a read-only pyoxigraph store;
* :func:`dataset` — the graph as an rdflib ``Dataset``, named graphs kept;
* :func:`queries`, :func:`query` — the named queries (``queries/*.rq``);
* :func:`sparql` — any read-only SPARQL 1.1 query, admitted by the same gate
  as the command line and the ``/sparql`` endpoint;
* :func:`describe` — everything the graph says about one entity;
* :func:`export` — any export of ``cyberframe export``;
* ``cyberframe.validate`` — SHACL validation (:func:`cyberframe.validation.validate`).

Results are typed records (:class:`Result`, :class:`Row`,
:class:`Description`) holding rdflib terms, so they mix with a tool builder's
own rdflib graphs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from .errors import ProtocolError
from .named_queries import NamedQuery
from .rdfio import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .knowledge import KnowledgeGraph
    from .validation import DataSource

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
Triple = tuple[Node, Node, Node]
Answer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


class QueryError(ValueError):
    """SPARQL text that is refused or cannot run: empty, too long, an update, a ``SERVICE`` clause
    (SPARQL 1.1 Update §3, Federated Query §3), a syntax error, or a failure during evaluation."""


# --- the graph ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _knowledge_graph() -> KnowledgeGraph:
    from .knowledge import open_knowledge_graph

    return open_knowledge_graph()


@lru_cache(maxsize=1)
def _limits() -> tuple[int, int]:
    """``(max_rows, max_query_length)`` from the settings (``CYBERFRAME_SPARQL_MAX_ROWS`` …), as the service uses."""
    from .settings import Settings

    settings = Settings.resolve()
    return settings.max_rows, settings.max_query_length


def store() -> ox.Store:
    """The built knowledge graph as a read-only pyoxigraph store (one named graph per source, plus
    ``graph/inferred``).

    The store lives in the snapshot cache next to the N-Quads snapshot and is
    opened with :meth:`pyoxigraph.Store.read_only`: any write raises. Query
    the union of the graphs with ``use_default_graph_as_union=True``.
    """
    kg = _knowledge_graph()
    from .snapshot import cache_dir

    for parent in (cache_dir(), Path(tempfile.gettempdir()) / "cyberframe-stores"):
        target = parent / f"{kg.build_hash}.oxigraph"
        try:
            if not (target / ".complete").exists():
                _write_store(kg.store, target)
                for other in parent.glob("*.oxigraph"):  # stores of other builds: open ones stay readable
                    if other != target and len(other.stem) == 64:
                        shutil.rmtree(other, ignore_errors=True)
            return ox.Store.read_only(str(target))
        except OSError:
            continue
    raise OSError("no writable folder for the read-only store (set CYBERFRAME_CACHE_DIR)")


def _write_store(source: ox.Store, target: Path) -> None:
    """Write *source* as an on-disk store at *target*, atomically (a rename), marked complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        disk = ox.Store(str(building))
        disk.bulk_extend(source)
        disk.flush()
        del disk
        (building / ".complete").touch()
        try:
            os.rename(building, target)
        except OSError:
            if not (target / ".complete").exists():  # not another process that won the race
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def dataset() -> Dataset:
    """The built knowledge graph as a new rdflib ``Dataset``: one named graph per source file
    (``https://w3id.org/cyberframe/graph/{name}``) and ``graph/inferred`` (RDF 1.1 Concepts §4).

    Each call returns a fresh copy the caller may change; prefixes are bound.
    """
    from .namespaces import bind_prefixes
    from .validation import rdflib_term

    kg = _knowledge_graph()
    out = Dataset()
    bind_prefixes(out)
    cache: dict[object, Node] = {}

    def term(t: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Node:
        converted = cache.get(t)
        if converted is None:
            converted = cache[t] = rdflib_term(t)
        return converted

    with warnings.catch_warnings():  # rdflib's Dataset.graph calls its own deprecated default_context
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in kg.manifest.graphs:
            node = kg.graph_iri(name)
            graph = out.graph(URIRef(node.value))
            for quad in kg.store.quads_for_pattern(None, None, None, node):
                graph.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    return out


# --- query results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row(Mapping[str, Node]):
    """One solution of a SELECT query (SPARQL 1.1 Query §16.1): variable name -> rdflib term.

    Unbound variables are absent, so ``row.get("label")`` is None for them.
    """

    bindings: Mapping[str, Node]

    def __getitem__(self, name: str) -> Node:
        return self.bindings[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.bindings)

    def __len__(self) -> int:
        return len(self.bindings)

    def python(self) -> dict[str, object]:
        """The row with literals as Python values (``Literal.toPython``) and IRIs as strings."""
        return {k: (v.toPython() if hasattr(v, "toPython") else str(v)) for k, v in self.bindings.items()}


@dataclass(frozen=True)
class Result:
    """The answer to one query: rows (SELECT), a boolean (ASK) or triples (CONSTRUCT, DESCRIBE).

    At most ``max_rows`` rows or triples are kept; :attr:`truncated` says
    whether more were cut, as the service's ``X-Cyberframe-Truncated`` does.
    """

    form: QueryForm
    variables: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    boolean: bool | None = None
    triples: tuple[Triple, ...] = ()
    truncated: bool = False

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.triples) if self.form in ("CONSTRUCT", "DESCRIBE") else len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.boolean) if self.form == "ASK" else len(self) > 0

    def graph(self) -> Graph:
        """The triples of a CONSTRUCT or DESCRIBE answer as a new rdflib Graph, prefixes bound."""
        from .namespaces import bind_prefixes

        graph = bind_prefixes(Graph())
        for triple in self.triples:
            graph.add(triple)
        return graph


def _result(answer: Answer, form: QueryForm, limit: int) -> Result:
    from .validation import rdflib_term

    if isinstance(answer, ox.QueryBoolean):
        return Result("ASK", boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        triples: list[Triple] = []
        for triple in answer:
            if len(triples) == limit:
                return Result(form, triples=tuple(triples), truncated=True)
            triples.append((rdflib_term(triple.subject), rdflib_term(triple.predicate), rdflib_term(triple.object)))
        return Result(form, triples=tuple(triples))
    variables = tuple(v.value for v in answer.variables)
    rows: list[Row] = []
    for solution in answer:
        if len(rows) == limit:
            return Result("SELECT", variables, tuple(rows), truncated=True)
        bound = ((name, solution[name]) for name in variables)
        rows.append(Row({name: rdflib_term(value) for name, value in bound if value is not None}))
    return Result("SELECT", variables, tuple(rows))


def _run(run: Callable[[], Answer], form: QueryForm | None, max_rows: int | None) -> Result:
    """Call *run* and read its answer into a :class:`Result` of at most *max_rows* rows."""
    limit = _limits()[0] if max_rows is None else max_rows
    if limit < 1:
        raise ValueError(f"max_rows must be at least 1, not {limit}")
    try:
        answer = run()
        if form is None:
            form = "ASK" if isinstance(answer, ox.QueryBoolean) else "SELECT"
        return _result(answer, form, limit)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except OSError as exc:  # evaluation is lazy: a failing query surfaces while its rows are read
        raise QueryError(f"query evaluation failed: {exc}") from exc


# --- queries -----------------------------------------------------------------------------------


def queries() -> dict[str, NamedQuery]:
    """The named queries shipped in ``queries/``, by name: summary, parameters, SPARQL text."""
    from .named_queries import load_catalogue

    return load_catalogue()


def query(name: str, /, *, max_rows: int | None = None, **params: str) -> Result:
    """Run the named query *name* with *params* (``query("controls-for-function", function="DE")``).

    Parameters are checked as on the command line and the ``/queries`` routes:
    an unknown query raises :class:`UnknownQuery`, a missing or malformed
    parameter :class:`ParameterError`, a code naming nothing
    :class:`UnknownEntity` (all :class:`NamedQueryError`). At most *max_rows*
    rows are returned (default: the ``max_rows`` setting, 10 000).
    """
    from .named_queries import QueryCatalogue

    catalogue = QueryCatalogue(_knowledge_graph())
    named = catalogue.get(name)
    bindings = catalogue.bind(named, params)
    form = _form(named.sparql)
    return _run(lambda: catalogue.kg.query(named.sparql, substitutions=bindings), form, max_rows)


def _form(text: str) -> QueryForm | None:
    from .sparql.admission import screen

    found = screen(text).form
    return found if found in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE") else None  # type: ignore[return-value]


def sparql(
    text: str,
    /,
    *,
    data: DataSource | Iterable[DataSource] | None = None,
    max_rows: int | None = None,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Result:
    """Run the read-only SPARQL 1.1 query *text* over the union of cyberframe's graphs.

    *text* passes the same admission as ``cyberframe query --sparql`` and the
    ``/sparql`` endpoint (:func:`cyberframe.sparql.admission.admit`): updates,
    ``SERVICE`` and texts over the ``max_query_length`` setting raise
    :class:`QueryError`, as do syntax errors. *data* adds your own RDF (file
    paths, rdflib graphs; read as ``cyberframe.validate`` reads them, *format*
    and *max_bytes* apply) to a private copy of the graph, each source in a
    named graph of its own, so one query can join your statements with ours.
    At most *max_rows* rows or triples are returned (default: the ``max_rows``
    setting).
    """
    from .sparql.admission import admit

    max_length = _limits()[1]
    try:
        screened = admit(text, max_length=max_length)
    except ProtocolError as exc:
        raise QueryError(exc.message) from exc
    kg = _knowledge_graph()
    target = kg.store
    if data is not None:
        from .validation import _documents

        target = ox.Store()
        target.bulk_extend(kg.store)
        for number, document in enumerate(_documents(data, format=format, max_bytes=max_bytes)):
            graph = ox.NamedNode(f"urn:cyberframe:data:{number}")
            target.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in document.triples())
    form = _form(text) if screened.form else None
    union = not screened.has_dataset
    return _run(lambda: target.query(text, use_default_graph_as_union=union), form, max_rows)


# --- entities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    """What the graph says about one entity: the ``entity`` named query's answer (statements with
    the entity as subject or object, plus names of its neighbours), and its key facts."""

    iri: URIRef
    notation: str | None
    label: str | None
    types: tuple[URIRef, ...]
    graph: Graph = field(repr=False)

    def objects(self, predicate: URIRef) -> tuple[Node, ...]:
        """The objects of *predicate* about the entity, sorted."""
        return tuple(sorted(self.graph.objects(self.iri, predicate), key=lambda node: (type(node).__name__, node)))


def describe(notation_or_iri: str, /) -> Description:
    """Describe one entity, named by IRI or by code (``DE.CM-1``, ``DE``, ``8.16``, ``clause 6.1.3``).

    Raises :class:`UnknownEntity` when it names nothing in the graph.
    """
    from rdflib.namespace import RDF, SKOS

    from .named_queries import QueryCatalogue

    catalogue = QueryCatalogue(_knowledge_graph())
    (entity,) = catalogue.bind(catalogue.get("entity"), {"entity": notation_or_iri}).values()
    iri = URIRef(entity.value)
    result = query("entity", entity=str(iri), max_rows=1_000_000)
    graph = result.graph()
    notation = graph.value(iri, SKOS.notation)
    label = graph.value(iri, SKOS.prefLabel)
    types = tuple(sorted(URIRef(t) for t in graph.objects(iri, RDF.type) if isinstance(t, URIRef)))
    return Description(
        iri, None if notation is None else str(notation), None if label is None else str(label), types, graph
    )


# --- exports -----------------------------------------------------------------------------------


def export(
    format: str,
    path: str | os.PathLike[str] | None = None,
    *,
    graph: str | None = None,
    inferred: bool | None = None,
    mapping_sets: Sequence[str] | None = None,
    service_url: str | None = None,
) -> bytes:
    """Make the export *format* (a name of ``cyberframe export --list``: ``ttl``, ``jsonld``,
    ``sssom``, ``oscal-catalog`` …) and return its bytes; with *path*, also write them there.

    The options are those of ``cyberframe export``; an unknown format or an
    option the format does not take raises :class:`ExportError`.
    """
    from .exports import export as make
    from .files import write_atomically

    body = make(
        _knowledge_graph(),
        format,
        graph=graph,
        inferred=inferred,
        mapping_sets=mapping_sets,
        service_url=service_url,
    )
    if path is not None:
        write_atomically(Path(path), body)
    return body
