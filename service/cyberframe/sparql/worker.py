"""The query worker: a child process that opens the shared store read-only and runs one query at a time.

pyoxigraph evaluates a query in Rust and cannot be interrupted from Python, so
a query that must be stopped is stopped by killing the process that runs it
(see :mod:`.executor`). A worker receives the path of the dataset's on-disk
store (:mod:`.shared_store`) and opens it read-only: the data is shared with
every other process through the page cache, and a worker is ready in
milliseconds. A small dataset is copied from there into the worker's memory
instead, where queries that decode many terms run several times faster. Then
the worker answers :class:`Job` after :class:`Job`. Before it takes any job it

* leaves the network where the platform allows (a new, empty Linux network
  namespace: even a SERVICE clause that got past admission could reach no
  host), and
* caps its own address space, so a query that would eat the machine's memory
  fails in the worker instead.

It dies with its parent (``PR_SET_PDEATHSIG``) and ignores SIGINT, which is
the parent's to handle.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox

from .serialization import DEFAULT_MAX_BYTES, Serialized, write_boolean, write_solutions, write_triples
from .shared_store import NQUADS_COPY

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_SET_PDEATHSIG = 1
_POSITION = re.compile(r"\berror at (\d+):(\d+)")
_UNKNOWN_FUNCTION = re.compile(r"^The custom function <([^>]*)> is not supported")
MAX_UNKNOWN_FUNCTIONS = 64
JOB_STACK = 256 * 1024 * 1024  # bytes of stack for the thread that runs queries (see on_deep_stack)
MAX_MESSAGE = 300


def substitutions_of(bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal]) -> tuple[tuple[str, str, str], ...]:
    """Bound parameters as :attr:`Job.substitutions`: ``(variable, "iri" | "literal", value)``, by variable."""
    return tuple(
        (var.value, "iri" if isinstance(term, ox.NamedNode) else "literal", term.value)
        for var, term in sorted(bindings.items(), key=lambda item: item[0].value)
    )


@dataclass(frozen=True)
class Job:
    """One query to run, with its dataset and the format to answer in (SPARQL 1.1 Protocol §2.1)."""

    query: str
    base_iri: str | None
    formats: dict[str, str | None]
    """Format key per kind of result (``solutions``, ``boolean``, ``graph``); None: not acceptable."""
    max_rows: int
    union_default_graph: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    substitutions: tuple[tuple[str, str, str], ...] = ()
    """Prepared-query bindings (SEP-0007) as ``(variable, "iri" | "literal", value)``: named queries."""
    max_bytes: int = DEFAULT_MAX_BYTES
    """Bytes of the serialised answer at most; rows past it are cut and flagged (setting ``max_answer_bytes``)."""

    @classmethod
    def prepared(
        cls,
        query: str,
        bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal],
        *,
        formats: dict[str, str | None],
        max_rows: int,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> Job:
        """A named query with its parameters bound as prepared-query substitutions (SEP-0007)."""
        return cls(
            query=query,
            base_iri=None,
            formats=formats,
            max_rows=max_rows,
            substitutions=substitutions_of(bindings),
            max_bytes=max_bytes,
        )

    def key(self) -> tuple[object, ...]:
        """Everything that determines the answer, for the result cache and the ETag."""
        return (
            self.query,
            self.base_iri,
            tuple(sorted(self.formats.items(), key=lambda kv: kv[0])),
            self.max_rows,
            self.union_default_graph,
            self.default_graphs,
            self.named_graphs,
            self.substitutions,
            self.max_bytes,
        )


@dataclass(frozen=True)
class Document:
    """One RDF document of a :class:`ValidationJob`: bytes already read, or a local file the worker reads."""

    source: str
    data: bytes | None = None
    path: str | None = None
    format: str | None = None
    base_iri: str | None = None


@dataclass(frozen=True)
class ValidationJob:
    """SHACL validation run in a worker (SHACL §3.4): parsing and validating under its time and memory limits.

    The worker's dataset is the shipped asserted graph; ``include_shipped``
    adds it to *data*, as :func:`cyberframe.validation.validate` does.
    """

    data: tuple[Document, ...]
    shapes: tuple[Document, ...] = ()
    inference: str = "none"
    engine: str = "auto"
    include_shipped: bool = True
    max_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """What a worker answers: a serialised result, or why there is none."""

    status: str
    """``ok``, ``syntax`` (the query does not parse), ``not-acceptable`` or ``error``; for validation also
    ``input`` (bad RDF: ``extra`` has the kind, line and column), ``shapes`` (unusable shapes) and ``memory``."""
    kind: str = ""
    format: str = ""
    body: bytes = b""
    count: int = 0
    truncated: bool = False
    message: str = ""
    line: int | None = None
    column: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker confines itself."""

    isolate_network: bool = True
    memory_limit: int | None = None
    """Bytes of address space (RLIMIT_AS), None for no limit."""
    in_memory: bool = False
    """Copy the shared store into this worker's memory (small datasets: faster queries) instead of querying it."""
    preload: tuple[str, ...] = ()
    """Modules imported before the worker says it is ready (a validation worker's engines), if installed."""


def _dataset_options(job: Job) -> dict[str, Any]:
    if job.default_graphs is not None or job.named_graphs is not None:
        # Protocol §2.1.4: the protocol dataset replaces FROM / FROM NAMED; what is not given is empty.
        return {
            "default_graph": [ox.NamedNode(iri) for iri in job.default_graphs or ()],
            "named_graphs": [ox.NamedNode(iri) for iri in job.named_graphs or ()],
        }
    if job.union_default_graph:
        return {"use_default_graph_as_union": True}
    return {}


def syntax_outcome(exc: SyntaxError, query: str) -> Outcome:
    """The parser's message with its line and column, and the offending line with a caret under the column."""
    message = " ".join(str(exc).split())  # one line: the parser lists what it expected across several
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3].rstrip() + "..."
    match = _POSITION.search(message)
    if not match:
        return Outcome("syntax", message=message)
    line, column = int(match.group(1)), int(match.group(2))
    message = _POSITION.sub(f"line {line}, column {column}", message, count=1)
    lines = query.splitlines()
    if 0 < line <= len(lines):
        text = lines[line - 1]
        message += f"\n  {text}\n  {' ' * max(column - 1, 0)}^"
    return Outcome("syntax", message=message, line=line, column=column)


def _substitutions(job: Job) -> dict[str, Any]:
    if not job.substitutions:
        return {}
    terms = {
        name: ox.NamedNode(value) if kind == "iri" else ox.Literal(value) for name, kind, value in job.substitutions
    }
    return {"substitutions": {ox.Variable(name): term for name, term in terms.items()}}


def _unknown(*_args: object) -> None:
    """Any function the engine does not provide: an evaluation error (SPARQL 1.1 Query §17.6), i.e. unbound."""
    return None


def query_job(store: ox.Store, job: Job) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """``store.query`` for *job*, with every function the engine does not know evaluated as an error.

    pyoxigraph refuses to plan a query that calls an IRI function it does not
    provide (a RuntimeError naming the function); SPARQL 1.1 Query §17.6 makes
    such a call an evaluation error instead, so each one named is registered as
    a function without a value and the query is planned again.
    """
    unknown: dict[ox.NamedNode, Any] = {}
    while True:
        try:
            return store.query(
                job.query,
                base_iri=job.base_iri,
                custom_functions=unknown or None,
                **_dataset_options(job),
                **_substitutions(job),
            )
        except RuntimeError as exc:
            match = _UNKNOWN_FUNCTION.match(str(exc))
            if match is None or len(unknown) >= MAX_UNKNOWN_FUNCTIONS:
                raise
            name = ox.NamedNode(match.group(1))
            if name in unknown:
                raise
            unknown[name] = _unknown


def execute(store: ox.Store, job: Job) -> Outcome:
    """Run *job* on *store* and serialise its result (SPARQL 1.1 Query §16, Protocol §2.1.6).

    Whatever the engine raises while planning (not only syntax errors) is an
    answer, never the end of the worker.
    """
    try:
        result = query_job(store, job)
    except SyntaxError as exc:
        return syntax_outcome(exc, job.query)
    except (RuntimeError, ValueError, TypeError) as exc:
        return Outcome("error", message=f"query evaluation failed: {one_line(exc)}", extra={"client": True})
    except OSError as exc:
        return Outcome("error", message=f"query evaluation failed: {one_line(exc)}")
    if isinstance(result, ox.QueryBoolean):
        kind = "boolean"
    elif isinstance(result, ox.QuerySolutions):
        kind = "solutions"
    else:
        kind = "graph"
    key = job.formats.get(kind)
    if key is None:
        return Outcome("not-acceptable", kind=kind)
    try:
        written: Serialized
        if isinstance(result, ox.QueryBoolean):
            written = write_boolean(result, key)
        elif isinstance(result, ox.QuerySolutions):
            written = write_solutions(result, key, job.max_rows, job.max_bytes)
        else:
            written = write_triples(result, key, job.max_rows, job.max_bytes)
    except (ValueError, TypeError, SyntaxError, RuntimeError) as exc:
        return Outcome("error", kind=kind, message=f"query evaluation failed: {exc}", extra={"client": True})
    except OSError as exc:
        return Outcome("error", kind=kind, message=f"query evaluation failed: {exc}")
    return Outcome("ok", kind=kind, format=key, body=written.body, count=written.count, truncated=written.truncated)


def one_line(exc: BaseException) -> str:
    """An error's message on one line, cut at :data:`MAX_MESSAGE` characters."""
    message = " ".join(str(exc).split())
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3].rstrip() + "..."


def answer(store: ox.Store, job: Job) -> Outcome:
    """:func:`execute`, with anything else it raises (a Rust panic included) turned into an error outcome."""
    try:
        return execute(store, job)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        return Outcome("error", message=f"query evaluation failed: {type(exc).__name__}: {one_line(exc)}")


def validate_job(store: ox.Store, job: ValidationJob) -> Outcome:
    """Run a :class:`ValidationJob`; the report goes back as N-Triples, every term exact."""
    from ..rdfio import RdfDocument, RdfInputError, parse_rdf, read_rdf_file
    from ..validation import ShapesError, ntriples, validate

    def read(document: Document) -> RdfDocument:
        if document.data is None:
            return read_rdf_file(document.path or "-", format=document.format, max_bytes=job.max_bytes)
        syntax = document.format or "turtle"
        return parse_rdf(
            document.data, format=syntax, source=document.source, base_iri=document.base_iri, max_bytes=job.max_bytes
        )

    try:
        data = [read(d) for d in job.data]
        shapes = [read(d) for d in job.shapes] or None
        shipped = []
        if job.include_shipped:
            quads = tuple(ox.Quad(q.subject, q.predicate, q.object) for q in store)
            shipped = [RdfDocument("cyberframe", "nquads", quads)]
        outcome = validate(
            [*shipped, *data],
            shapes=shapes,
            inference=job.inference,  # type: ignore[arg-type]
            engine=job.engine,  # type: ignore[arg-type]
            include_shipped=False,
            max_bytes=job.max_bytes,
        )
    except RdfInputError as exc:
        extra = {"kind": exc.kind, "source": exc.source, "reason": exc.reason, "http": exc.status}
        return Outcome("input", message=str(exc), line=exc.line, column=exc.column, extra=extra)
    except ShapesError as exc:
        return Outcome("shapes", message=str(exc))
    except MemoryError:
        return Outcome("memory", message="the validation ran out of its memory limit")
    except ValueError as exc:
        return Outcome("error", message=str(exc), extra={"client": True})
    report = ntriples(ox.Triple(*(_ox(t) for t in triple)) for triple in outcome.report_graph)
    extra = {
        "triples": outcome.triples,
        "submitted": [len(d) for d in data],
        "formats": [d.format for d in data],
        "engine": outcome.engine,
        "inference": outcome.inference,
        "seconds": outcome.seconds,
        "labels": {str(node): label for node, label in outcome.labels.items()},
    }
    return Outcome("ok", kind="report", format="ntriples", body=report.encode("utf-8"), extra=extra)


def _ox(term: Any) -> Any:
    from ..validation import ox_term

    return ox_term(term)


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def isolate_network() -> bool:
    """Move this process into a new, empty network namespace; True if that worked.

    As root a network namespace alone is enough; otherwise a user namespace
    comes with it, where unprivileged user namespaces are enabled.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    return any(libc.unshare(flags) == 0 for flags in (_CLONE_NEWNET, _CLONE_NEWUSER | _CLONE_NEWNET))


def _limit_memory(limit: int | None) -> None:
    if not limit:
        return
    import resource

    with contextlib.suppress(ValueError, OSError):
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def open_store(path: str, *, in_memory: bool) -> ox.Store:
    """The shared store at *path*, opened read-only, or copied from it (or its N-Quads twin) into memory."""
    if not in_memory:
        return ox.Store.read_only(path)
    store = ox.Store()
    twin = os.path.join(path, NQUADS_COPY)
    if os.path.exists(twin):
        store.bulk_load(path=twin, format=ox.RdfFormat.N_QUADS)
    else:
        store.bulk_extend(ox.Store.read_only(path).quads_for_pattern(None, None, None, None))
    return store


def serve_jobs(conn: Connection, settings: WorkerSettings) -> None:
    """The worker's main loop: open the store, confine the process, then answer jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    try:
        store = open_store(os.fsdecode(conn.recv_bytes()), in_memory=settings.in_memory)
        for module in settings.preload:
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
        isolated = isolate_network() if settings.isolate_network else False
        _limit_memory(settings.memory_limit)
        conn.send(("ready", {"pid": os.getpid(), "network_isolated": isolated}))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the parent has gone or is stopping us
    on_deep_stack(lambda: _answer_jobs(conn, store), settings.memory_limit)


def _answer_jobs(conn: Connection, store: ox.Store) -> None:
    try:
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(validate_job(store, job) if isinstance(job, ValidationJob) else answer(store, job))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the parent has gone or is stopping us


def on_deep_stack(run: Callable[[], None], memory_limit: int | None) -> None:
    """Call *run* in a thread with a :data:`JOB_STACK` stack (an eighth of *memory_limit* at most).

    The engine parses, plans and evaluates recursively: a long chain of
    OPTIONAL, UNION, BIND, ``||`` or path steps (not nested brackets, which
    admission bounds) nests its algebra thousands deep, and 8 MiB of main-thread
    stack gave out below 500 OPTIONALs, killing the process. 256 MiB holds what
    fits in the default query length limit. If no such thread can be made,
    *run* runs here.
    """
    size = JOB_STACK if not memory_limit else min(JOB_STACK, memory_limit // 8)
    try:
        previous = threading.stack_size(size)
        try:
            thread = threading.Thread(target=run, name="cyberframe-jobs")
            thread.start()
        finally:
            threading.stack_size(previous)
    except (ValueError, RuntimeError, MemoryError):
        run()
        return
    thread.join()


def main(argv: list[str] | None = None) -> None:
    """The worker process's entry point: ``FD SETTINGS`` - serve jobs on the inherited socket FD."""
    args = sys.argv[1:] if argv is None else argv
    options = json.loads(args[1])
    options["preload"] = tuple(options.get("preload", ()))
    serve_jobs(Connection(int(args[0])), WorkerSettings(**options))
