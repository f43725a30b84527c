"""``/sparql``: the SPARQL 1.1 Protocol query operation (Protocol §2.1), read-only.

The order of checks is the order of cost: the request itself (method, media
type, encoding, size: :mod:`.protocol`), then the lexical screen (updates and
SERVICE refused before anything runs: :mod:`.screening`), then content
negotiation (406 before running), then revalidation (304 before running),
and only then the cache or a worker.
"""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox
from flask import Blueprint, Response, render_template, request

from ...sparql.admission import Screening, screen
from ...sparql.cache import Answer
from ...sparql.description import describe
from ...sparql.engine import MEMO_MAX_QUERY, Plan, current_endpoint
from ...sparql.serialization import graph_bytes
from ...sparql.worker import Job
from ..errors import ProtocolError
from ..negotiation import DESCRIPTION, negotiate, negotiate_kinds
from ..responses import is_fresh, not_modified, send
from .protocol import READ_ONLY, QueryOperation, read_operation

bp = Blueprint("sparql", __name__)

EXAMPLES = (
    (
        "The five functions",
        "PREFIX cf: <https://w3id.org/cyberframe/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n\n"
        "SELECT ?function ?notation ?label WHERE {\n  ?function a cf:Function ; skos:notation ?notation ;\n"
        "            skos:prefLabel ?label .\n} ORDER BY ?notation",
    ),
    (
        "Controls that Detect's subcategories reference",
        "PREFIX cf: <https://w3id.org/cyberframe/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n\n"
        "SELECT DISTINCT ?control ?notation WHERE {\n  ?sub a cf:Subcategory ; skos:broader/skos:broader ?function ;\n"
        "       cf:references ?control .\n  ?function skos:notation \"DE\" .\n"
        "  ?control a cf:Control ; skos:notation ?notation .\n} ORDER BY ?notation",
    ),
    (
        "Triples per named graph",
        "SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } }\nGROUP BY ?graph ORDER BY ?graph",
    ),
)


@lru_cache(maxsize=4096)
def _screen_short(query: str) -> Screening:
    return screen(query)


def _screen(query: str) -> Screening:
    """The lexical screen, remembered for short queries (the cache then holds at most 4096 x 8 KiB)."""
    return _screen_short(query) if len(query) <= MEMO_MAX_QUERY else screen(query)


@bp.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    """SPARQL 1.1 Protocol §2.1: query via GET, URL-encoded POST or direct POST."""
    endpoint = current_endpoint()
    memo_key = _memo_key() if request.method != "POST" else None
    plan = endpoint.plans.get(memo_key) if memo_key is not None else None
    if plan is None:
        operation = read_operation(request, max_query_length=endpoint.limits.max_query_length)
        if operation.query is None:
            if request.method == "POST":
                raise ProtocolError(400, "the POST carries no query (Protocol §2.1.2: a query= parameter)")
            return _describe(operation.format)
        plan = _plan(operation)
        if memo_key is not None and len(operation.query) <= MEMO_MAX_QUERY:
            endpoint.plans.put(memo_key, plan)
    last_modified = endpoint.dataset.last_modified
    if is_fresh(request, plan.etag, last_modified):
        return not_modified(plan.etag, last_modified)
    return send(endpoint.answer(plan.job, plan.key), plan.etag, last_modified)


def _memo_key() -> tuple:
    """What determines the plan of a GET: the raw query string, Accept, and the parts of the request URL."""
    environ = request.environ
    return (
        request.query_string,
        environ.get("HTTP_ACCEPT", ""),
        environ.get("wsgi.url_scheme"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME"),
        environ.get("SERVER_PORT"),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
    )


def _plan(operation: QueryOperation) -> Plan:
    """Screen, negotiate and describe the job for *operation*; raises ProtocolError for refusals."""
    endpoint = current_endpoint()
    assert operation.query is not None
    screened = _screen(operation.query)
    if screened.update is not None:
        raise ProtocolError(400, f"{READ_ONLY} (the text is a {screened.update} operation)")
    if screened.service:
        raise ProtocolError(
            400, "SERVICE (federated query) is refused: this endpoint never sends requests to other endpoints"
        )
    formats = negotiate_kinds(request.accept_mimetypes, operation.format, screened.form)  # 406 if none fits
    job = Job(
        query=operation.query,
        base_iri=request.base_url,
        formats=formats,
        max_rows=endpoint.limits.max_rows,
        union_default_graph=not screened.has_dataset,  # FROM / FROM NAMED make their own default graph
        default_graphs=operation.default_graphs,
        named_graphs=operation.named_graphs,
    )
    key = job.key()
    return Plan(job, key, endpoint.etag(key))


def _describe(format_param: tuple[str, ...]) -> Response:
    """No query: the service description (Service Description §2), or the query page for a browser."""
    endpoint = current_endpoint()
    fmt = negotiate(request.accept_mimetypes, DESCRIPTION, format_param)
    etag = endpoint.etag("description", request.base_url, fmt.key)
    last_modified = endpoint.dataset.last_modified
    if is_fresh(request, etag, last_modified):
        return not_modified(etag, last_modified)
    if fmt.key == "html":
        return send(_query_page(fmt.content_type), etag, last_modified)
    key = ("description", request.base_url, fmt.key)
    answer = endpoint.cache.get_or_compute(key, lambda: _description(fmt.key, fmt.content_type), wait=5.0)
    return send(answer, etag, last_modified)


def _query_page(content_type: str) -> Answer:
    endpoint = current_endpoint()
    page = render_template(
        "query.html",
        endpoint=request.base_url,
        examples=EXAMPLES,
        graphs=sorted(endpoint.dataset.graphs.items()),
        timeout=endpoint.limits.timeout,
        max_rows=endpoint.limits.max_rows,
    )
    return Answer(200, page.encode("utf-8"), content_type)


def _description(key: str, content_type: str) -> Answer:
    triples = describe(current_endpoint().dataset, request.base_url)
    ntriples = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return Answer(200, graph_bytes(ntriples, key), content_type)
