"""``/sparql``: the SPARQL 1.1 Protocol query operation (Protocol §2.1), read-only.

The order of checks is the order of cost: the request itself (method, media
type, encoding: :mod:`.protocol`), then admission (length, updates and
SERVICE refused before anything runs: :mod:`cyberframe.sparql.admission`),
then content negotiation (406 before running), then revalidation (304 before
running), and only then the engine's cache or a worker. A GET that was seen
before skips the first three: its plan is remembered by its raw form.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from ...errors import ProtocolError
from ...rdfio import written
from ...sparql.admission import admit
from ...sparql.cache import Answer
from ...sparql.description import describe
from ...sparql.formats import GRAPH, HTML
from ...sparql.serialization import graph_bytes
from ...sparql.worker import Job
from ..memo import BoundedMemo
from ..negotiation import negotiate, negotiate_kinds, prefers_html
from ..responses import name_download, respond
from ..state import state
from .protocol import QueryOperation, read_operation

bp = Blueprint("sparql", __name__)

MEMO_MAX_KEY = 8192  # bytes of a GET's raw form; longer requests are planned afresh every time
MEMO_SIZE = 4096  # plans kept at most
MEMO_BYTES = 4 << 20  # and the bytes they may take together (keys, query texts, IRIs)
PLAN_OVERHEAD = 512  # bytes of one plan beyond its strings (objects, tuples, the ETag)


@dataclass(frozen=True)
class Plan:
    """What a query request resolved to: the job, its cache key and its entity tag."""

    job: Job
    key: tuple[object, ...]
    etag: str

    def size(self) -> int:
        """Bytes this plan holds, roughly: its query twice (job and key), its IRIs, its tag."""
        job = self.job
        iris = (job.base_iri or "", *(job.default_graphs or ()), *(job.named_graphs or ()))
        return 2 * len(job.query) + 2 * sum(len(iri) for iri in iris) + len(self.etag) + PLAN_OVERHEAD


class PlanMemo:
    """Plans of recent GET requests by their raw form, so a repeated GET skips parsing and negotiation.

    Bounded in entries and in bytes (:class:`~cyberframe.web.memo.BoundedMemo`): whatever GETs clients send,
    the memo holds at most :data:`MEMO_BYTES`.
    """

    def __init__(self, size: int = MEMO_SIZE, max_bytes: int = MEMO_BYTES) -> None:
        self._plans: BoundedMemo[Plan] = BoundedMemo(size, max_bytes)

    def __len__(self) -> int:
        return len(self._plans)

    @property
    def bytes(self) -> int:
        return self._plans.bytes

    def get(self, key: Hashable) -> Plan | None:
        return self._plans.get(key)

    def put(self, key: tuple[object, ...], plan: Plan) -> None:
        key_size = sum(len(part) for part in key if isinstance(part, (str, bytes)))
        self._plans.put(key, plan, key_size + plan.size())


PLANS = "cyberframe.plans"


def _plans() -> PlanMemo:
    """The plan memo of the current app (installed by :func:`cyberframe.web.api.register`)."""
    memo: PlanMemo = current_app.extensions[PLANS]
    return memo


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """SPARQL 1.1 Protocol §2.1: query via GET, URL-encoded POST or direct POST."""
    if request.method == "GET" and request.args.get("query") is not None and prefers_html():
        results_page = state().page("results")
        if results_page is not None:
            return _results_page(results_page)
    memo_key = _memo_key() if request.method != "POST" else None
    plan = _plans().get(memo_key) if memo_key is not None else None
    if plan is None:
        operation = read_operation(request)
        if operation.query is None:
            if request.method == "POST":
                raise ProtocolError(400, "the POST carries no query (Protocol §2.1.2: a query= parameter)")
            return _describe(operation.format)
        plan = _plan(operation)
        if memo_key is not None:
            _plans().put(memo_key, plan)
    engine = state().engine
    response = respond(plan.key, lambda: engine.answer(plan.job, plan.key), keep=False, etag=plan.etag)
    return name_download(response, "query-results", attachment=bool(request.args.getlist("format")))


def _results_page(page: Callable[..., Answer]) -> Response:
    """``GET /sparql?query=`` from a browser: the results page (the editor, the query, a table, downloads)."""
    operation = read_operation(request)
    assert operation.query is not None
    default, named = operation.default_graphs or (), operation.named_graphs or ()
    parts = ("results-page", request.script_root, request.query_string)
    return respond(parts, lambda: page(operation.query, default, named))


def _memo_key() -> tuple[object, ...] | None:
    """What determines the plan of a GET: the raw query string, Accept, and the parts of the request URL."""
    environ = request.environ
    key = (
        request.query_string,
        environ.get("HTTP_ACCEPT", ""),
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
    )
    size = sum(len(part) for part in key if isinstance(part, (str, bytes)))
    return key if size <= MEMO_MAX_KEY else None


def _plan(operation: QueryOperation) -> Plan:
    """Admit, negotiate and describe the job for *operation*; raises ProtocolError for refusals."""
    engine = state().engine
    assert operation.query is not None
    admitted = admit(operation.query, max_length=engine.limits.max_query_length)
    formats = negotiate_kinds(request.accept_mimetypes, operation.format, admitted.form)  # 406 if none fits
    job = Job(
        query=operation.query,
        base_iri=request.base_url,
        formats=formats,
        max_rows=engine.limits.max_rows,
        max_bytes=engine.limits.max_answer_bytes,
        union_default_graph=not admitted.has_dataset,  # FROM / FROM NAMED make their own default graph
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
    )
    key = job.key()
    return Plan(job, key, engine.etag(*key))


def _describe(format_param: tuple[str, ...]) -> Response:
    """No query: the service description (Service Description §2), or the query editor for a browser."""
    current = state()
    editor = current.page("editor")
    fmt = negotiate(request.accept_mimetypes, (*GRAPH, HTML) if editor else GRAPH, format_param)
    if editor is not None and fmt is HTML:
        return respond(("editor", request.base_url), editor, keep=False)

    def make() -> Answer:
        triples = describe(current.engine.dataset, request.base_url)
        ntriples = written(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        return Answer(200, graph_bytes(ntriples, fmt.key), fmt.content_type)

    return respond(("description", request.base_url, fmt.key), make, wait=5.0)
