"""The pages a browser gets from the protocol routes: a named query with its form and results, the
service's health and statistics, and errors (docs/http.md, "Web pages").

One rule for the whole service: a request whose best match is HTML
(:func:`cyberframe.web.negotiation.prefers_html`) gets a page, on every route;
everyone else gets the machine format. The API routes hand these renderers
their state through ``AppState.pages`` and never import this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import pyoxigraph as ox
from flask import request, url_for

from ...errors import ProtocolError
from ...named_queries import NamedQuery
from ...sparql.cache import Answer
from ...sparql.formats import KIND_OF_FORM
from ...sparql.worker import Job
from .context import html_answer, site
from .editor import PAGE_FORMATS, PAGE_ROWS, Result, downloads, read_answer

#: What each error status tells a person to do next.
NEXT_STEPS = {
    400: "Check the address or the form and try again.",
    404: "The address may be mistyped, or the thing it names may have moved.",
    405: "This address answers other methods.",
    406: "This address offers other formats; the list is in the message.",
    413: "Send less: a shorter query or a smaller file.",
    415: "Send one of the media types the message names.",
    503: "The service is busy or a query took too long; try again shortly or ask for less.",
}


def named_query_page(
    query: NamedQuery | None,
    given: Mapping[str, str],
    bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal] | None,
    problem: ProtocolError | None,
) -> Answer:
    """``GET /queries/NAME`` for a browser: the parameter form, the results as a table and the downloads."""
    current = site()
    assert query is not None
    result: Result | None = None
    offered = []
    if bindings is not None and problem is None:
        engine = current.engine
        job = Job.prepared(query.sparql, bindings, formats=PAGE_FORMATS, max_rows=engine.limits.max_rows)
        try:
            result = read_answer(engine.answer(job))
            result.paginate(1, None)
        except ProtocolError as exc:
            problem = exc
    if result is not None:
        kind = KIND_OF_FORM.get(query.form, "solutions")
        values: dict[str, Any] = dict(given)
        offered = downloads(kind, query.name, lambda key: url_for("queries.run", name=query.name, format=key, **values))
    params = []
    for p in query.params:
        allowed = sorted(current.catalogue.allowed_values(p.type).values()) if p.kind.enumerate_in_errors else []
        params.append({"param": p, "allowed": allowed, "value": given.get(p.name, p.default or "")})
    example: dict[str, Any] = dict(query.example)
    return html_answer(
        "named_query.html",
        status=problem.status if problem else 200,
        query=query,
        params=params,
        given=given,
        result=result,
        problem=problem,
        downloads=offered,
        page_rows=PAGE_ROWS,
        example_url=url_for("queries.run", name=query.name, **example),
    )


def status_page(kind: str, payload: Mapping[str, Any], status: int = 200) -> Answer:
    """``/health`` or ``/stats`` for a browser: the same figures as the JSON, as tables."""
    return html_answer("status.html", status=status, kind=kind, payload=payload)


def error_page(status: int, message: str, details: Mapping[str, Any]) -> Answer:
    """An error for a browser: what happened, what to do, and the ways back into the site."""
    return html_answer(
        "error.html",
        status=status,
        code=status,
        phrase=HTTPStatus(status).phrase,
        message=message,
        details={k: v for k, v in details.items() if v is not None},
        next_step=NEXT_STEPS.get(status, ""),
        path=request.path,
    )
