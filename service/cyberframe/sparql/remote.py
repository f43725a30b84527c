"""Running queries on a remote SPARQL 1.1 store instead of the embedded one (docs/scaling.md).

:class:`RemoteExecutor` has the face of :class:`~.executor.QueryExecutor`
(``run``, ``start``, ``close``, ``status``, ``ready``), so the engine, its
answer cache and every route work unchanged on top of it. A job becomes one
SPARQL 1.1 Protocol request (§2.1.2, ``query`` by POST in a form):

* **Admission** has already happened in the web process; the text is also
  parsed here by pyoxigraph, so a syntax error is the same 400, with the same
  line and column, whichever store serves.
* **The dataset**: a query without ``FROM`` gets every graph of the cyberframe
  dataset as ``default-graph-uri`` and ``named-graph-uri`` (Protocol §2.1.4),
  which is the embedded store's union default graph on any store, whatever
  that store's own default graph is.
* **Parameters** of named queries are bound by a ``VALUES`` block placed first
  in the query's outermost group (Query §10.2.2): the terms are written by
  pyoxigraph in N-Triples syntax, never pasted as text from the request.
* **The time limit** covers waiting for a free slot, the store's work and the
  transfer: past it the connection to the store is closed, which cancels the
  request, and the client gets 504.
* **The answer** is parsed as it streams (pyoxigraph) and written again by
  :mod:`.serialization`, so the row and byte caps cut it at the same place as
  on the embedded store and the rest is never read.

A store that cannot be reached makes the executor *not ready*: queries get
503 at once and ``/health`` says so, while a monitor thread asks the store
``ASK {}`` every few seconds and makes it ready again when it answers.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, ReadTimeoutError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .admission import parse, screen
from .executor import ExecutorBusy
from .serialization import Serialized, write_boolean, write_solutions, write_triples
from .worker import MAX_MESSAGE, Job, Outcome, one_line, query_job, syntax_outcome

#: Seconds between two probes of a store that is down (and of one that is up, to notice it going down).
PROBE_INTERVAL = 2.0
PROBE_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0

RESULT_TYPES: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_TYPES: dict[str, ox.RdfFormat] = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,  # N-Triples before RDF 1.1 registered its own type
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
ACCEPT_RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8"


def _boolean(value: bool) -> ox.QueryBoolean:
    """An ASK result to write (pyoxigraph makes one only by parsing)."""
    result = ox.parse_query_results(f'{{"head": {{}}, "boolean": {str(value).lower()}}}', ox.QueryResultsFormat.JSON)
    assert isinstance(result, ox.QueryBoolean)
    return result


FORM_NODES = ("select_query", "construct_query", "describe_query", "ask_query")
FORM_KINDS = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}


class StoreUnavailable(Exception):
    """The store cannot be reached (refused, reset, unknown host) or said it is unavailable (HTTP 503)."""


class StoreTimeout(Exception):
    """The store did not answer within the query's time limit; the request to it was cancelled."""


class StoreFailed(Exception):
    """The store answered with an error or with something that is not a query result."""


class BindingError(ValueError):
    """A named query's parameters cannot be placed into its text (no outermost group to put VALUES in)."""


def bind_values(query: str, substitutions: Sequence[tuple[str, str, str]]) -> str:
    """*query* with a ``VALUES`` block for *substitutions* first in its outermost group (Query §10.2.2).

    Each term is written by pyoxigraph in N-Triples syntax, which SPARQL reads
    as the same term (Query §19.5, §19.7); the position comes from the parse
    tree, so brackets in strings, IRIs or comments cannot mislead it.
    """
    if not substitutions:
        return query
    parsed = parse(query)
    if parsed is None or parsed[0].root_node.has_error:
        raise BindingError("the query does not parse, so its parameters cannot be bound")
    group = None
    for node in parsed[0].root_node.named_children:
        if node.type in FORM_NODES:
            where = next((child for child in node.named_children if child.type == "where_clause"), None)
            if where is not None:
                group = next((child for child in where.named_children if child.type == "group_graph_pattern"), None)
    if group is None:
        raise BindingError("the query has no WHERE group to bind its parameters in")
    names = " ".join(f"?{name}" for name, _, _ in substitutions)
    terms = " ".join(
        str(ox.NamedNode(value) if kind == "iri" else ox.Literal(value)) for _, kind, value in substitutions
    )
    block = f" VALUES ({names}) {{ ({terms}) }} ".encode()
    source = query.encode("utf-8", "surrogatepass")
    at = group.start_byte + 1  # just after the group's "{"
    return (source[:at] + block + source[at:]).decode("utf-8", "surrogatepass")


def without_dataset_clauses(query: str) -> str:
    """*query* without its ``FROM`` and ``FROM NAMED`` clauses (Query §13.2), found in the parse tree.

    The SPARQL 1.1 Protocol (§2.1.4) has the request's ``default-graph-uri`` and ``named-graph-uri``
    replace the query's dataset; Virtuoso uses both, so the clauses are taken out before it sees them.
    """
    parsed = parse(query)
    if parsed is None or parsed[0].root_node.has_error:
        return query
    source = query.encode("utf-8", "surrogatepass")
    cuts = [
        (clause.start_byte, clause.end_byte)
        for node in parsed[0].root_node.named_children
        for clause in node.named_children
        if clause.type == "dataset_clause"
    ]
    for start, end in reversed(cuts):
        source = source[:start] + b" " + source[end:]
    return source.decode("utf-8", "surrogatepass")


def dataset_of(query: str, base_iri: str | None = None) -> dict[str, list[str]]:
    """The graphs of *query*'s ``FROM`` and ``FROM NAMED`` clauses (Query §13.2) as protocol parameters.

    Each clause's IRI or prefixed name is resolved by pyoxigraph against the query's own prologue
    (``BASE``, ``PREFIX``) and *base_iri*, as the query itself would resolve it. Raises ValueError for a
    text that does not parse.
    """
    parsed = parse(query)
    if parsed is None or parsed[0].root_node.has_error:
        raise ValueError("the query does not parse")
    source = query.encode("utf-8", "surrogatepass")
    terms: list[tuple[str, bytes]] = []
    prologue = b""
    for node in parsed[0].root_node.named_children:
        if node.type not in FORM_NODES:
            continue
        prologue = source[: node.start_byte]
        for clause in node.named_children:
            if clause.type != "dataset_clause":
                continue
            graph = clause.named_children[-1]
            kind = "named-graph-uri" if graph.type == "named_graph_clause" else "default-graph-uri"
            term = graph.named_children[-1]
            terms.append((kind, source[term.start_byte : term.end_byte]))
    if not terms:
        return {}
    projection = b" ".join(b"(" + term + b" AS ?t%d)" % i for i, (_, term) in enumerate(terms))
    resolver = prologue + b" SELECT " + projection + b" WHERE {}"
    try:
        solutions = ox.Store().query(resolver.decode("utf-8", "surrogatepass"), base_iri=base_iri)
    except SyntaxError as exc:
        raise ValueError(str(exc)) from exc
    assert isinstance(solutions, ox.QuerySolutions)
    row = next(iter(solutions))
    dataset: dict[str, list[str]] = {"default-graph-uri": [], "named-graph-uri": []}
    for i, (kind, _) in enumerate(terms):
        resolved = row[f"t{i}"]
        if not isinstance(resolved, ox.NamedNode):
            raise ValueError("a dataset clause names no IRI")
        dataset[kind].append(resolved.value)
    return dataset


class _DeadlineReader(io.RawIOBase):
    """The body of a store's answer, read in chunks; past the deadline a read raises :class:`StoreTimeout`."""

    def __init__(self, response: urllib3.BaseHTTPResponse, deadline: float, timeout: float) -> None:
        self._response = response
        self._deadline = deadline
        self._timeout = timeout
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if time.monotonic() > self._deadline:
            raise StoreTimeout(f"the store did not finish its answer within {self._timeout:g} s")
        try:
            chunk = self._response.read(min(len(buffer), 65536))
        except (ReadTimeoutError, Urllib3Timeout) as exc:
            raise StoreTimeout(f"the store did not finish its answer within {self._timeout:g} s") from exc
        except HTTPError as exc:
            raise StoreUnavailable(f"the connection to the store broke: {exc}") from exc
        n = len(chunk)
        buffer[:n] = chunk
        self.read_bytes += n
        return n


@dataclass
class _Health:
    reachable: bool | None = None
    checked: float = 0.0
    last_error: str = ""
    failures: int = 0
    recoveries: int = 0


@dataclass
class _Counters:
    jobs: int = 0
    timeouts: int = 0
    unavailable: int = 0
    failed: int = 0
    busy_refusals: int = 0
    waiting: int = 0
    busy: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


class RemoteExecutor:
    """Runs :class:`~.worker.Job` objects on a remote SPARQL 1.1 query endpoint, each within a deadline."""

    def __init__(
        self,
        query_url: str,
        graphs: Sequence[str],
        *,
        concurrency: int,
        max_waiting: int,
        credentials: tuple[str, str] | None = None,
        label: str | None = None,
    ) -> None:
        self.query_url = query_url
        self.label = label or query_url
        self._graphs = tuple(graphs)
        self._size = max(1, concurrency)
        self._max_waiting = max(0, max_waiting)
        self._headers: dict[str, str] = {"Content-Type": "application/x-www-form-urlencoded"}
        if credentials is not None:
            token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
            self._headers["Authorization"] = f"Basic {token}"
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(self._size)
        self._pool: urllib3.PoolManager | None = None
        self._pid: int | None = None
        self._closed = False
        self._wake = threading.Event()
        self._health = _Health()
        self._counters = _Counters()
        self._empty = ox.Store()  # parses and plans texts the way the embedded engine does; never holds data

    # -- lifecycle ---------------------------------------------------------

    def start(self, wait: bool = True) -> None:
        """Open the connection pool and the monitor (once per process); with *wait*, probe the store once."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the query executor is closed")
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # a forked child gets a pool of its own: sockets are not shared
            self._pool = urllib3.PoolManager(num_pools=2, maxsize=self._size, block=False, retries=False)
            threading.Thread(target=self._monitor, name="cyberframe-store-monitor", daemon=True).start()
        if wait:
            self.probe()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the monitor and close every connection to the store."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        self._wake.set()
        if pool is not None:
            pool.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ready(self) -> bool:
        """Whether queries can be answered: the store answered the last probe (or none was made yet)."""
        return not self._closed and self._health.reachable is not False

    def reap(self) -> int:
        """Nothing to reap: there are no worker processes (the store does the work)."""
        return 0

    def status(self) -> dict[str, Any]:
        """Figures for ``/health`` in the shape of the worker pool's, plus the store's reachability."""
        with self._lock:
            c, h = self._counters, self._health
            up = h.reachable is not False
            return {
                "started": self._pid == os.getpid(),
                "size": self._size,
                "alive": self._size if up else 0,
                "idle": self._size - c.busy,
                "busy": c.busy,
                "waiting": c.waiting,
                "jobs": c.jobs,
                "killed_on_timeout": c.timeouts,
                "lost": c.unavailable,
                "busy_refusals": c.busy_refusals,
                "starting": 0,
                "processes_started": 0,
                "network_isolated": None,
                "store": {
                    "url": self.label,
                    "reachable": h.reachable,
                    "checked_seconds_ago": round(time.monotonic() - h.checked, 3) if h.checked else None,
                    "last_error": h.last_error or None,
                    "failures": h.failures,
                    "recoveries": h.recoveries,
                    "answers_by_status": dict(sorted(c.by_status.items())),
                },
            }

    # -- the store's health ------------------------------------------------

    def probe(self, timeout: float = PROBE_TIMEOUT) -> bool:
        """Ask the store ``ASK {}``; record and return whether it answered."""
        try:
            response = self._send("ASK {}", {}, ACCEPT_RESULTS, timeout, time.monotonic() + timeout)
            try:
                response.read()
            finally:
                response.release_conn()
            if response.status != 200:
                raise StoreFailed(f"HTTP {response.status}")
        except (StoreUnavailable, StoreTimeout, StoreFailed) as exc:
            self._mark(False, str(exc))
            return False
        self._mark(True, "")
        return True

    def _mark(self, reachable: bool, error: str) -> None:
        with self._lock:
            h = self._health
            if reachable and h.reachable is False:
                h.recoveries += 1
            if not reachable:
                h.failures += 1
                h.last_error = error
            h.reachable = reachable
            h.checked = time.monotonic()

    def _monitor(self) -> None:
        """Probe the store every :data:`PROBE_INTERVAL` seconds, so readiness follows it both ways."""
        while not self._closed:
            self._wake.wait(PROBE_INTERVAL)
            self._wake.clear()
            with contextlib.suppress(Exception):  # the monitor must outlive any surprise
                if not self._closed:
                    self.probe()

    # -- running jobs ------------------------------------------------------

    def run(self, job: Job, timeout: float) -> Outcome:
        """Run *job* on the store, answering within *timeout* seconds or raising.

        Raises :class:`~.executor.ExecutorBusy` (no slot free in time),
        :class:`StoreUnavailable`, :class:`StoreTimeout` or :class:`StoreFailed`.
        """
        deadline = time.monotonic() + timeout
        self.start(wait=False)
        if self._health.reachable is False:
            raise StoreUnavailable(f"the store cannot be reached: {self._health.last_error}")
        try:  # the embedded engine's parser and planner: the same syntax errors on every store
            query_job(self._empty, job)
        except SyntaxError as exc:
            return syntax_outcome(exc, job.query)
        except (RuntimeError, ValueError, TypeError) as exc:
            return Outcome("error", message=f"query evaluation failed: {one_line(exc)}", extra={"client": True})
        screening = screen(job.query)
        kind = FORM_KINDS.get(screening.form or "")
        if kind is not None and job.formats.get(kind) is None:
            return Outcome("not-acceptable", kind=kind)
        try:
            text = bind_values(job.query, job.substitutions)
        except BindingError as exc:
            raise StoreFailed(str(exc)) from exc
        dataset = self._dataset(job, screening.has_dataset)
        if screening.has_dataset and dataset:
            text = without_dataset_clauses(text)
        if job.base_iri:  # relative IRIs resolve against our endpoint, not the store's (Query §4.1.1.1)
            text = f"BASE {ox.NamedNode(job.base_iri)}\n{text}"
        self._acquire(deadline)
        try:
            outcome = self._run(job, text, dataset, kind, deadline, timeout)
        finally:
            with self._lock:
                self._counters.busy -= 1
            self._slots.release()
        with self._lock:
            self._counters.jobs += 1
        return outcome

    def _acquire(self, deadline: float) -> None:
        with self._lock:
            if self._counters.waiting >= self._max_waiting and not self._free():
                self._counters.busy_refusals += 1
                raise ExecutorBusy(f"all {self._size} store connections are busy and {self._counters.waiting} wait")
            self._counters.waiting += 1
        try:
            got = self._slots.acquire(timeout=max(0.0, deadline - time.monotonic()))
        finally:
            with self._lock:
                self._counters.waiting -= 1
        if not got:
            with self._lock:
                self._counters.busy_refusals += 1
            raise ExecutorBusy(f"no store connection became free within the time limit ({self._size} busy)")
        with self._lock:
            self._counters.busy += 1

    def _free(self) -> bool:
        return self._counters.busy < self._size

    def _dataset(self, job: Job, has_dataset: bool) -> dict[str, list[str]]:
        """The protocol's dataset parameters (Protocol §2.1.4) that give the query the embedded store's dataset.

        The request's graphs if it names any; else the query's own ``FROM`` and ``FROM NAMED``, sent as
        the protocol's graphs, which every store honours (Virtuoso would merge the two, and Oxigraph server
        started with ``--union-default-graph`` would ignore the clauses); else every graph of the dataset.
        """
        if job.default_graphs is not None or job.named_graphs is not None:
            return {
                "default-graph-uri": list(job.default_graphs or ()),
                "named-graph-uri": list(job.named_graphs or ()),
            }
        if has_dataset:
            try:
                return dataset_of(job.query, job.base_iri)
            except ValueError:  # not readable here: the store judges the clauses itself
                return {}
        if not job.union_default_graph:
            return {}
        return {"default-graph-uri": list(self._graphs), "named-graph-uri": list(self._graphs)}

    def _send(
        self, text: str, dataset: dict[str, list[str]], accept: str, timeout: float, deadline: float
    ) -> urllib3.BaseHTTPResponse:
        pool = self._pool
        if pool is None:  # a probe before start (the serve command's check in the parent process)
            if self._closed:
                raise StoreUnavailable("the connection pool is closed")
            pool = urllib3.PoolManager(num_pools=1, maxsize=1, retries=False)
        fields: list[tuple[str, str]] = [("query", text)]
        for name, values in dataset.items():
            fields.extend((name, value) for value in values)
        remaining = max(0.001, deadline - time.monotonic())
        try:
            return pool.request(
                "POST",
                self.query_url,
                body=urlencode(fields).encode("ascii"),
                headers={**self._headers, "Accept": accept},
                timeout=urllib3.Timeout(connect=min(remaining, CONNECT_TIMEOUT), read=remaining),
                preload_content=False,
                redirect=False,
            )
        except NewConnectionError as exc:  # before the timeouts: urllib3 derives it from ConnectTimeoutError
            raise StoreUnavailable(_reason(exc)) from exc
        except (ReadTimeoutError, Urllib3Timeout) as exc:
            raise StoreTimeout(f"the store did not answer within {timeout:g} s") from exc
        except HTTPError as exc:
            raise StoreUnavailable(_reason(exc)) from exc

    def _run(
        self, job: Job, text: str, dataset: dict[str, list[str]], kind: str | None, deadline: float, timeout: float
    ) -> Outcome:
        accept = {"solutions": ACCEPT_RESULTS, "boolean": ACCEPT_RESULTS, "graph": ACCEPT_GRAPH}.get(
            kind or "", f"{ACCEPT_RESULTS}, {ACCEPT_GRAPH}"
        )
        try:
            response = self._send(text, dataset, accept, timeout, deadline)
        except StoreUnavailable as exc:
            self._count("unavailable")
            self._mark(False, str(exc))
            raise StoreUnavailable(f"the store cannot be reached: {exc}") from exc
        except StoreTimeout:
            self._count("timeouts")
            raise
        complete = False
        try:
            self._count_status(response.status)
            if response.status != 200:
                message = _message(response)
                if response.status == 503:
                    raise StoreUnavailable(f"the store is unavailable: {message}")
                raise StoreFailed(f"the store answered HTTP {response.status}: {message}")
            outcome = self._read(job, response, deadline, timeout, ask=kind == "boolean")
            complete = not outcome.truncated
            if response.headers.get("X-SPARQL-MaxRows"):  # Virtuoso cut the answer at its ResultSetMaxRows
                outcome = dataclasses.replace(outcome, truncated=True)
            return outcome
        except StoreTimeout:
            self._count("timeouts")
            raise
        except StoreFailed:
            self._count("failed")
            raise
        finally:
            if complete:  # what pyoxigraph left unread (the document's end) goes, then the connection is reused
                try:
                    response.drain_conn()
                    response.release_conn()
                except HTTPError:
                    response.close()
            else:  # closing the connection is what cancels the store's work on the rest
                response.close()

    def _read(
        self, job: Job, response: urllib3.BaseHTTPResponse, deadline: float, timeout: float, *, ask: bool = False
    ) -> Outcome:
        """The store's answer, parsed as it streams and written in the job's format.

        Virtuoso answers ``ASK`` with a one-column SELECT (a row when true, none when false): for an ASK
        query, solutions are read that way.
        """
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        reader = io.BufferedReader(_DeadlineReader(response, deadline, timeout), 65536)
        written: Serialized
        try:
            if media in RESULT_TYPES:
                result = ox.parse_query_results(reader, RESULT_TYPES[media])
                if isinstance(result, ox.QueryBoolean):
                    kind = "boolean"
                    key = job.formats.get(kind)
                    if key is None:
                        return Outcome("not-acceptable", kind=kind)
                    written = write_boolean(result, key)
                elif ask:
                    kind = "boolean"
                    key = job.formats.get(kind)
                    if key is None:
                        return Outcome("not-acceptable", kind=kind)
                    written = write_boolean(_boolean(next(iter(result), None) is not None), key)
                else:
                    kind = "solutions"
                    key = job.formats.get(kind)
                    if key is None:
                        return Outcome("not-acceptable", kind=kind)
                    written = write_solutions(result, key, job.max_rows, job.max_bytes)
            elif media in GRAPH_TYPES:
                kind = "graph"
                key = job.formats.get(kind)
                if key is None:
                    return Outcome("not-acceptable", kind=kind)
                written = write_triples(ox.parse(reader, GRAPH_TYPES[media]), key, job.max_rows, job.max_bytes)
            else:
                raise StoreFailed(f"the store answered with {media or 'no Content-Type'}, not a query result")
        except (SyntaxError, ValueError) as exc:
            raise StoreFailed(f"the store's answer is not valid {media}: {one_line(exc)}") from exc
        except OSError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, (StoreTimeout, StoreUnavailable)):
                raise cause from exc
            raise StoreUnavailable(f"reading the store's answer failed: {one_line(exc)}") from exc
        return Outcome("ok", kind=kind, format=key, body=written.body, count=written.count, truncated=written.truncated)

    def triples(self, query: str, graphs: Sequence[str], timeout: float = 120.0) -> bytes:
        """The N-Triples of a CONSTRUCT *query* over the named *graphs* of the store, read in full.

        For copies the service keeps of the store's data (the validation workers'); raises
        :class:`StoreUnavailable`, :class:`StoreTimeout` or :class:`StoreFailed`.
        """
        deadline = time.monotonic() + timeout
        response = self._send(query, {"named-graph-uri": list(graphs)}, ACCEPT_GRAPH, timeout, deadline)
        try:
            if response.status != 200:
                raise StoreFailed(f"the store answered HTTP {response.status}: {_message(response)}")
            media = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media not in GRAPH_TYPES:
                raise StoreFailed(f"the store answered with {media or 'no Content-Type'}, not RDF")
            reader = io.BufferedReader(_DeadlineReader(response, deadline, timeout), 65536)
            try:
                return ox.serialize(ox.parse(reader, GRAPH_TYPES[media]), format=ox.RdfFormat.N_TRIPLES) or b""
            except (SyntaxError, ValueError) as exc:
                raise StoreFailed(f"the store's answer is not valid {media}: {one_line(exc)}") from exc
        finally:
            response.close()

    def _count(self, name: str) -> None:
        with self._lock:
            setattr(self._counters, name, getattr(self._counters, name) + 1)

    def _count_status(self, status: int) -> None:
        with self._lock:
            key = str(status)
            self._counters.by_status[key] = self._counters.by_status.get(key, 0) + 1


def _reason(exc: BaseException) -> str:
    """The operating system's words for a failed connection (``Connection refused``), else the error's."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return one_line(exc)


def _message(response: urllib3.BaseHTTPResponse) -> str:
    """The first line or so of a store's error answer (its JSON ``message`` when it sends one)."""
    with contextlib.suppress(Exception):
        body = response.read(4096, decode_content=True) or b""
        text = body.decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            text = str(json.loads(text).get("message") or text)
        return " ".join(text.split())[:MAX_MESSAGE] or response.reason or ""
    return response.reason or ""
