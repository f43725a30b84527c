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
* :func:`coverage` — what a Statement of Applicability covers of the framework;
* ``cyberframe.validate`` — SHACL validation (:func:`cyberframe.validation.validate`).

The command line, the HTTP routes that work in-process and the MCP server call
these functions too, handing them the graph they opened (*knowledge_graph*),
the service's worker pool (*engine*) and their progress reporter; a library
user leaves those out.

Results are typed records (:class:`Result`, :class:`Row`,
:class:`Description`) holding rdflib terms, so they mix with a tool builder's
own rdflib graphs.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node

from .errors import ProtocolError
from .named_queries import NamedQuery
from .progress import Progress, quiet
from .rdfio import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .coverage import Report as CoverageReport
    from .knowledge import KnowledgeGraph
    from .named_queries import QueryCatalogue
    from .sparql.engine import SparqlEngine
    from .sparql.worker import Job
    from .validation import DataSource

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
Triple = tuple[Node, Node, Node]
Answer = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples


QueryErrorKind = Literal["refused", "syntax", "evaluation", "timeout", "busy"]


class QueryError(ValueError):
    """SPARQL text that is refused or cannot run: empty, too long, an update, a ``SERVICE`` clause
    (SPARQL 1.1 Update §3, Federated Query §3), a syntax error, or a failure during evaluation.

    :attr:`kind` says which (``"refused"``, ``"syntax"``, ``"evaluation"``, and, on an *engine*,
    ``"timeout"`` or ``"busy"``); :attr:`status` is the HTTP status the service answers it with.
    """

    def __init__(self, message: str, *, kind: QueryErrorKind = "refused", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.kind: QueryErrorKind = kind
        self.status = status


# --- the graph ---------------------------------------------------------------------------------

_opened: list[KnowledgeGraph] = []
_opening = threading.Lock()


def _knowledge_graph(progress: Progress | None = None) -> KnowledgeGraph:
    """The shipped knowledge graph, opened once per process (built first if the cache has no snapshot)."""
    with _opening:
        if not _opened:
            from .knowledge import open_knowledge_graph

            _opened.append(open_knowledge_graph(progress=progress or quiet))
        return _opened[0]


def _graph(knowledge_graph: KnowledgeGraph | None, progress: Progress | None = None) -> KnowledgeGraph:
    return _knowledge_graph(progress) if knowledge_graph is None else knowledge_graph


_catalogues: dict[int, tuple[KnowledgeGraph, QueryCatalogue]] = {}


def _catalogue(kg: KnowledgeGraph) -> QueryCatalogue:
    """The named queries bound to *kg*, kept per graph (their code lists are read once)."""
    from .named_queries import QueryCatalogue

    kept = _catalogues.get(id(kg))
    if kept is None or kept[0] is not kg:
        if len(_catalogues) >= 8:
            _catalogues.clear()
        kept = _catalogues[id(kg)] = (kg, QueryCatalogue(kg))
    return kept[1]


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

    def serialize(self, format: str) -> bytes:
        """The answer as a document in *format*, written by pyoxigraph (or pyld for ``jsonld``).

        SELECT and ASK: ``json``, ``xml``, ``csv``, ``tsv`` (SPARQL 1.1 Query
        Results JSON, XML, CSV and TSV). CONSTRUCT and DESCRIBE: ``turtle``
        (cyberframe's prefixes declared), ``ntriples``, ``rdfxml``, ``jsonld``
        (compacted with the published context, as the service answers) or
        ``jsonld-expanded`` (expanded JSON-LD 1.1). Another format raises
        ``ValueError`` naming the ones this answer takes. This is what
        ``cyberframe query --format`` writes.
        """
        if self.form in ("CONSTRUCT", "DESCRIBE"):
            return serialize_triples(self.triples, format)
        if format not in RESULT_FORMATS:
            raise ValueError(f"a {self.form} answer is written as one of {', '.join(RESULT_FORMATS)}, not {format!r}")
        data = {"head": {}, "boolean": bool(self.boolean)} if self.form == "ASK" else self._json()
        parsed = ox.parse_query_results(json.dumps(data).encode("utf-8"), ox.QueryResultsFormat.JSON)
        return _written(parsed.serialize(format=RESULT_FORMATS[format]))

    def _json(self) -> dict[str, Any]:
        """The rows as SPARQL 1.1 Query Results JSON (§3): the exact lexical form of every term."""
        bindings = [{name: _json_term(term) for name, term in row.items()} for row in self.rows]
        return {"head": {"vars": list(self.variables)}, "results": {"bindings": bindings}}


#: The formats of :meth:`Result.serialize` for SELECT and ASK answers.
RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
#: The formats of :meth:`Result.serialize` and :meth:`Description.serialize` for triples.
GRAPH_FORMATS = ("turtle", "ntriples", "rdfxml", "jsonld", "jsonld-expanded")
_OX_GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld-expanded": ox.RdfFormat.JSON_LD,
}


def _written(data: bytes | None) -> bytes:
    from .rdfio import written

    return written(data)


def _json_term(term: Node) -> dict[str, str]:
    """One term in SPARQL 1.1 Query Results JSON (§3.2.2)."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, RdfLiteral):
        if term.language:
            return {"type": "literal", "value": str(term), "xml:lang": term.language}
        if term.datatype is not None:
            return {"type": "literal", "value": str(term), "datatype": str(term.datatype)}
        return {"type": "literal", "value": str(term)}
    raise TypeError(f"not an RDF term: {term!r}")


def serialize_triples(
    triples: Iterable[Triple], format: str, *, prefixes: Mapping[str, str] | None = None
) -> bytes:
    """*triples* (rdflib terms) in *format*, one of :data:`GRAPH_FORMATS`, in the order given.

    Turtle declares *prefixes* (default: cyberframe's); ``jsonld`` is compacted
    with the published context (``cyberframe export --format context``).
    """
    from .validation import ox_term

    if format not in GRAPH_FORMATS:
        raise ValueError(f"triples are written as one of {', '.join(GRAPH_FORMATS)}, not {format!r}")
    converted = [ox.Triple(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in triples]  # type: ignore[arg-type]
    if format == "jsonld":
        from .exports.jsonld import serialize

        return serialize(converted)
    if format == "turtle" and prefixes is None:
        from .namespaces import PREFIXES

        prefixes = PREFIXES
    chosen = dict(prefixes) if prefixes and format in ("turtle", "rdfxml") else None
    return _written(ox.serialize(converted, format=_OX_GRAPH_FORMATS[format], prefixes=chosen))


def _result(answer: Answer | Iterable[ox.Triple | ox.Quad], form: QueryForm, limit: int) -> Result:
    from .validation import rdflib_term

    if isinstance(answer, ox.QueryBoolean):
        return Result("ASK", boolean=bool(answer))
    if not isinstance(answer, ox.QuerySolutions):
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


def _limit(max_rows: int | None, default: int) -> int:
    limit = default if max_rows is None else max_rows
    if limit < 1:
        raise ValueError(f"max_rows must be at least 1, not {limit}")
    return limit


def _run(run: Callable[[], Answer], form: QueryForm | None, max_rows: int | None) -> Result:
    """Call *run* and read its answer into a :class:`Result` of at most *max_rows* rows."""
    limit = _limit(max_rows, _limits()[0])
    try:
        answer = run()
        if form is None:
            form = "ASK" if isinstance(answer, ox.QueryBoolean) else "SELECT"
        return _result(answer, form, limit)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}", kind="syntax") from exc
    except (OSError, RuntimeError) as exc:  # evaluation is lazy: a failing query surfaces while its rows are read
        raise QueryError(f"query evaluation failed: {exc}", kind="evaluation") from exc


#: What the engine's workers answer in, per kind of result: rows as SPARQL JSON, graphs as N-Triples.
_ENGINE_FORMATS: dict[str, str | None] = {"solutions": "json", "boolean": "json", "graph": "ntriples"}


def _on_engine(engine: SparqlEngine, job: Job, form: QueryForm | None) -> Result:
    """Run *job* in the worker processes of *engine* (hard time limit, answer cache) and read its answer."""
    from .sparql.engine import TRUNCATED_HEADER

    try:
        answer = engine.answer(job)
    except ProtocolError as exc:
        kind: QueryErrorKind = "evaluation"
        if exc.status == 503:
            kind = "timeout" if "timeout" in exc.details else "busy"
        elif "line" in exc.details or exc.message.startswith("SPARQL syntax error"):
            kind = "syntax"
        raise QueryError(exc.message, kind=kind, status=exc.status) from exc
    truncated = answer.headers.get(TRUNCATED_HEADER) == "true"
    read: Answer | Iterable[ox.Quad]
    if answer.content_type.startswith("application/n-triples"):
        read = ox.parse(answer.body, ox.RdfFormat.N_TRIPLES)
    else:
        read = ox.parse_query_results(answer.body, ox.QueryResultsFormat.JSON)
    result = _result(read, form or "CONSTRUCT", job.max_rows)
    if isinstance(read, ox.QueryBoolean):
        return result
    return Result(result.form, result.variables, result.rows, None, result.triples, truncated or result.truncated)


# --- queries -----------------------------------------------------------------------------------


def queries() -> dict[str, NamedQuery]:
    """The named queries shipped in ``queries/``, by name: summary, parameters, SPARQL text."""
    from .named_queries import load_catalogue

    return load_catalogue()


def query(
    name: str,
    /,
    *,
    max_rows: int | None = None,
    parameters: Mapping[str, str] | None = None,
    knowledge_graph: KnowledgeGraph | None = None,
    engine: SparqlEngine | None = None,
    progress: Progress | None = None,
    **params: str,
) -> Result:
    """Run the named query *name* with *params* (``query("controls-for-function", function="DE")``).

    Parameters are checked as on the command line and the ``/queries`` routes:
    an unknown query raises :class:`UnknownQuery`, a missing or malformed
    parameter :class:`ParameterError`, a code naming nothing
    :class:`UnknownEntity` (all :class:`NamedQueryError`). At most *max_rows*
    rows are returned (default: the ``max_rows`` setting, 10 000).
    *parameters* gives them as a mapping too (for names that are no Python
    identifiers); *params* win over it.

    The faces of cyberframe pass the rest: *knowledge_graph*, the graph to
    query (default: the shipped one, opened once per process); *engine*, a
    :class:`cyberframe.sparql.engine.SparqlEngine` whose worker processes run
    the query under its time limit, row cap and answer cache, as
    ``/queries/{name}`` does (a query past the limit raises :class:`QueryError`
    of kind ``"timeout"``); *progress*, told about a first build of the graph.
    """
    kg = _graph(knowledge_graph if knowledge_graph is not None or engine is None else engine.dataset.kg, progress)
    catalogue = _catalogue(kg)
    named = catalogue.get(name)
    bindings = catalogue.bind(named, {**(parameters or {}), **params})
    form = _form(named.sparql)
    if engine is not None:
        from .sparql.worker import Job

        limit = _limit(max_rows, engine.limits.max_rows)
        return _on_engine(engine, Job.prepared(named.sparql, bindings, formats=_ENGINE_FORMATS, max_rows=limit), form)
    return _run(lambda: kg.query(named.sparql, substitutions=bindings), form, max_rows)


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
    knowledge_graph: KnowledgeGraph | None = None,
    engine: SparqlEngine | None = None,
    progress: Progress | None = None,
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

    *knowledge_graph*, *engine* and *progress* are as for :func:`query`: with
    an *engine* the query runs in its worker processes, under its time limit,
    length limit and row cap, as ``/sparql`` runs it (*data* cannot be added
    there: the engine serves its own dataset).
    """
    from .sparql.admission import admit

    if engine is not None and data is not None:
        raise ValueError("data= cannot be added to an engine's dataset; leave out engine= to query your data")
    max_length = _limits()[1] if engine is None else engine.limits.max_query_length
    try:
        screened = admit(text, max_length=max_length)
    except ProtocolError as exc:
        raise QueryError(exc.message, status=exc.status) from exc
    form = _form(text) if screened.form else None
    union = not screened.has_dataset  # FROM / FROM NAMED make their own default graph
    if engine is not None:
        from .sparql.worker import Job

        limit = _limit(max_rows, engine.limits.max_rows)
        job = Job(query=text, base_iri=None, formats=_ENGINE_FORMATS, max_rows=limit, union_default_graph=union)
        return _on_engine(engine, job, form)
    kg = _graph(knowledge_graph, progress)
    target = kg.store
    if data is not None:
        from .validation import _documents

        target = ox.Store()
        target.bulk_extend(kg.store)
        for number, document in enumerate(_documents(data, format=format, max_bytes=max_bytes)):
            graph = ox.NamedNode(f"urn:cyberframe:data:{number}")
            target.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in document.triples())
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

    def serialize(self, format: str) -> bytes:
        """The description as a document in *format* (``turtle``, ``ntriples``, ``rdfxml``, ``jsonld``,
        ``jsonld-expanded``), triples sorted, cyberframe's prefixes declared: what ``/id/...`` serves."""
        from .namespaces import PREFIXES
        from .validation import ox_term

        def key(triple: Triple) -> tuple[str, str, str]:
            return (str(ox_term(triple[0])), str(ox_term(triple[1])), str(ox_term(triple[2])))

        return serialize_triples(sorted(self.graph, key=key), format, prefixes=PREFIXES)


def describe(notation_or_iri: str, /, *, knowledge_graph: KnowledgeGraph | None = None) -> Description:
    """Describe one entity, named by IRI or by code (``DE.CM-1``, ``DE``, ``8.16``, ``clause 6.1.3``).

    Raises :class:`UnknownEntity` when it names nothing in the graph.
    *knowledge_graph* is as for :func:`query`.
    """
    from rdflib.namespace import RDF, SKOS

    kg = _graph(knowledge_graph)
    catalogue = _catalogue(kg)
    (entity,) = catalogue.bind(catalogue.get("entity"), {"entity": notation_or_iri}).values()
    iri = URIRef(entity.value)
    result = query("entity", entity=str(iri), max_rows=1_000_000, knowledge_graph=kg)
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
    knowledge_graph: KnowledgeGraph | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Make the export *format* (a name of ``cyberframe export --list``: ``ttl``, ``jsonld``,
    ``sssom``, ``oscal-catalog`` …) and return its bytes; with *path*, also write them there.

    The options are those of ``cyberframe export``; an unknown format or an
    option the format does not take raises :class:`ExportError`.
    *knowledge_graph* is as for :func:`query`; *progress* receives a line per
    step of a long export.
    """
    from .exports import export as make
    from .files import write_atomically

    body = make(
        (lambda: _graph(None, progress)) if knowledge_graph is None else knowledge_graph,
        format,
        graph=graph,
        inferred=inferred,
        mapping_sets=mapping_sets,
        service_url=service_url,
        progress=progress or quiet,
    )
    if path is not None:
        write_atomically(Path(path), body)
    return body


# --- coverage ----------------------------------------------------------------------------------

SoaSource = str | os.PathLike[str] | bytes | Iterable[Sequence[str]]


def coverage(
    soa: SoaSource,
    /,
    *,
    sets: Sequence[str] = ("ts27103",),
    filename: str | None = None,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    knowledge_graph: KnowledgeGraph | None = None,
    progress: Progress | None = None,
) -> CoverageReport:
    """What the Statement of Applicability *soa* covers of the framework and of NIST CSF 2.0, and the gaps.

    *soa* is a file path (CSV, XLSX, or an RDF organisational profile by its
    extension), its bytes (CSV or XLSX; *filename* names it in messages and
    picks the kind, *format* reads them as RDF: ``turtle``, ``jsonld`` …), or
    table rows, a header row first (``[["control", "status"], ["8.16",
    "implemented"]]``). *sets* are the mapping sets from subcategories to
    controls: ``ts27103`` (the default), ``via-csf20``, or both (their
    differences are flagged). docs/coverage.md explains the analysis.

    Returns a :class:`CoverageReport`; ``report.render("table" | "csv" |
    "json" | "html")`` writes it as ``cyberframe coverage --format`` does and
    ``report.to_dict()`` gives its data. Unreadable, empty or oversized input
    raises :class:`CoverageInputError` (a malformed profile
    :class:`RdfInputError`), an unknown mapping set too.
    """
    from .coverage import CoverageInputError, analyse, knowledge, read_input, read_rows

    if isinstance(soa, bytes | str | os.PathLike):
        if isinstance(soa, bytes):
            data, name = soa, filename or "soa.csv"
        else:
            name = filename or os.fspath(soa)
            with open(soa, "rb") as handle:
                data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise CoverageInputError(f"{name}: more than the limit of {max_bytes} bytes")
        kg = _graph(knowledge_graph, progress)
        read = read_input(data, name, kg, max_bytes=max_bytes, rdf_format=format)
    else:
        rows = [[str(cell) for cell in row] for row in soa]
        kg = _graph(knowledge_graph, progress)
        know = knowledge(kg)
        read = read_rows(rows, know.crosswalk, know.controls)
    return analyse(kg, read, tuple(sets))
