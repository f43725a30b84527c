"""``/queries``: the named queries as a REST API.

``GET /queries`` lists the queries (JSON, or HTML for browsers);
``GET /queries/{name}?param=…`` runs one with the same content negotiation as
``/sparql``. Parameters are validated in the app (400 for a malformed or
unknown one, naming the allowed ones; 404 for a code that names nothing) and
handed to the query worker as prepared-query bindings, so a query runs under
the same time limit, row cap, cache and ETag rules as any SPARQL request.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request, url_for

from ...errors import ProtocolError
from ...named_queries import NamedQuery, ParameterError, QueryCatalogue, UnknownEntity, UnknownQuery
from ...sparql.cache import Answer
from ...sparql.formats import HTML, JSON_DOCUMENT
from ...sparql.worker import Job
from ..negotiation import choose, negotiate_kinds, prefers_html
from ..responses import name_download, respond
from ..state import state

bp = Blueprint("queries", __name__)


def describe_query(query: NamedQuery, catalogue: QueryCatalogue) -> dict[str, Any]:
    """A query's header as JSON: what a client needs to call it."""
    params = []
    for p in query.params:
        entry: dict[str, Any] = {
            "name": p.name,
            "type": p.type,
            "description": p.description,
            "expects": p.kind.form,
            "required": p.required,
        }
        if p.default is not None:
            entry["default"] = p.default
        if p.kind.enumerate_in_errors:
            entry["allowed"] = sorted(catalogue.allowed_values(p.type).values())
        params.append(entry)
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "form": query.form,
        "params": params,
        "example": query.example,
        "url": url_for("queries.run", name=query.name, _external=True),
        "example_url": url_for("queries.run", name=query.name, _external=True, **query.example),
    }


@bp.route("/queries")
def listing() -> Response:
    """The catalogue of named queries with their parameters (JSON; HTML for browsers when the site is there)."""
    current = state()
    page = current.page("catalogue")
    fmt = choose((JSON_DOCUMENT, HTML) if page else (JSON_DOCUMENT,))

    def make() -> Answer:
        described = [describe_query(q, current.catalogue) for q in current.catalogue.queries.values()]
        if page is not None and fmt is HTML:
            return page(described)
        body = json.dumps({"queries": described}, sort_keys=True, separators=(",", ":")) + "\n"
        return Answer(200, body.encode(), fmt.content_type)

    return respond(("queries", request.url_root, fmt.key), make, keep=False)


@bp.route("/queries/<name>")
def run(name: str) -> Response:
    """Run the named query *name* with the request's parameters (all but ``format``); a page for a browser."""
    current = state()
    engine, catalogue = current.engine, current.catalogue
    page = current.page("named_query") if prefers_html() else None
    bindings = None
    problem: ProtocolError | None = None
    try:
        query = catalogue.get(name)
    except UnknownQuery as exc:
        raise ProtocolError(404, f"{exc}: {url_for('queries.listing', _external=True)}") from exc
    given = {k: v for k, v in request.args.items(multi=False) if k != "format"}
    try:
        repeated = [k for k in request.args if k != "format" and len(request.args.getlist(k)) > 1]
        if repeated:
            raise ParameterError(f"parameter {', '.join(repeated)} given more than once")
        bindings = catalogue.bind(query, given)
    except UnknownEntity as exc:
        problem = ProtocolError(404, str(exc))
    except ParameterError as exc:
        problem = ProtocolError(400, str(exc))
    if page is not None:
        if not given and problem is not None and problem.status == 400:
            problem = None  # a browser arriving without parameters gets the empty form, not an error
        parts = ("named-query-page", request.script_root, name, request.query_string)
        return respond(parts, lambda: page(query, given, bindings, problem))
    if problem is not None or bindings is None:
        raise problem or ProtocolError(400, "no parameters")
    formats = negotiate_kinds(request.accept_mimetypes, request.args.getlist("format"), query.form)
    limits = engine.limits
    job = Job.prepared(
        query.sparql, bindings, formats=formats, max_rows=limits.max_rows, max_bytes=limits.max_answer_bytes
    )
    key = job.key()
    response = respond(key, lambda: engine.answer(job, key), keep=False)
    return name_download(response, name, attachment=bool(request.args.getlist("format")))
