"""The query page's results: ``GET /sparql/results?query=...`` (issue 6 item 4).

The editor is ``templates/query.html`` (what ``GET /sparql`` shows a browser);
its form sends the query here, which runs it exactly as ``/sparql`` would -
the same lexical screen (no updates, no SERVICE), the same worker processes,
time limit and answer cache - asks for SPARQL JSON results (N-Triples for
graphs) and renders them as a table whose IRIs link to their pages. A query
that does not parse comes back with the parser's message and the position,
marked in the text (SPARQL 1.1 Query §19 grammar positions: line and column).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from flask import Blueprint, Response, request, url_for

from ...named_queries import load_catalogue
from ...sparql.admission import screen
from ...sparql.cache import Answer
from ...sparql.engine import TRUNCATED_HEADER, current_endpoint
from ...sparql.worker import Job
from ..api.endpoint import EXAMPLES
from ..errors import ProtocolError
from ..negotiation import HTML
from .context import choose, html_answer, respond
from .graph_index import page_query

bp = Blueprint("query_page", __name__)

PAGE_ROWS = 1000  # rows a results page shows; the downloads have them all (up to the endpoint's limit)


@dataclass
class Cell:
    """One value of a result: an IRI, a blank node or a literal with its language or datatype."""

    kind: str  #: "uri", "bnode", "literal" or "" (unbound)
    value: str = ""
    language: str | None = None
    datatype: str | None = None


@dataclass
class Result:
    """A query's answer as the page shows it."""

    kind: str  #: "solutions", "boolean" or "graph"
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False


@dataclass
class QueryProblem:
    """Why a query was refused or failed, with the position and the lines around it."""

    status: int
    message: str
    line: int | None = None
    column: int | None = None
    excerpt: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Example:
    title: str
    sparql: str
    name: str | None = None  #: the named query it comes from


@cache
def starter_query() -> str:
    """The text the editor starts with: cyberframe's prefixes and a first query."""
    return page_query("starter")


def examples() -> list[Example]:
    """The endpoint's examples, then every named query of ``queries/`` that runs without parameters."""
    out = [Example(title, text) for title, text in EXAMPLES]
    for query in load_catalogue().values():
        if not query.params:
            out.append(Example(query.summary, query.sparql, query.name))
    return out


def _excerpt(query: str, line: int | None) -> list[tuple[int, str]]:
    if line is None:
        return []
    lines = query.splitlines()
    first = max(1, line - 2)
    return [(n, lines[n - 1]) for n in range(first, min(len(lines), line + 1) + 1)]


@bp.route("/sparql/results", methods=["GET"])
def results() -> Response:
    """Run the query of the editor and show the results (or the error, with its position)."""
    choose((HTML,))
    query = request.args.get("query", "")
    if not query.strip():
        return respond(lambda: _page(starter_query(), None, None))
    return respond(lambda: _run(query))


def _run(query: str) -> Answer:
    endpoint = current_endpoint()
    if len(query) > endpoint.limits.max_query_length:
        problem = QueryProblem(413, f"the query is longer than {endpoint.limits.max_query_length} characters")
        return _page(query, None, problem)
    screened = screen(query)
    if screened.update is not None:
        problem = QueryProblem(400, f"this endpoint is read-only: the text is a {screened.update} operation")
        return _page(query, None, problem)
    if screened.service:
        problem = QueryProblem(400, "SERVICE (federated query) is refused: this endpoint never calls other endpoints")
        return _page(query, None, problem)
    job = Job(
        query=query,
        base_iri=url_for("sparql.sparql", _external=True),
        formats={"solutions": "json", "boolean": "json", "graph": "ntriples"},
        max_rows=min(PAGE_ROWS, endpoint.limits.max_rows),
        union_default_graph=not screened.has_dataset,
    )
    try:
        answer = endpoint.answer(job)
    except ProtocolError as exc:
        line, column = exc.details.get("line"), exc.details.get("column")
        problem = QueryProblem(exc.status, exc.message, line, column, _excerpt(query, line))
        return _page(query, None, problem)
    return _page(query, _read(answer), None)


def _read(answer: Answer) -> Result:
    truncated = answer.headers.get(TRUNCATED_HEADER) == "true"
    if answer.content_type.startswith("application/n-triples"):
        rows = [
            [_cell(t.subject), _cell(t.predicate), _cell(t.object)]
            for t in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)
        ]
        return Result("graph", ["subject", "predicate", "object"], rows, truncated=truncated)
    payload = json.loads(answer.body)
    if "boolean" in payload:
        return Result("boolean", boolean=bool(payload["boolean"]))
    columns = payload["head"]["vars"]
    rows = []
    for binding in payload["results"]["bindings"]:
        row = []
        for name in columns:
            term = binding.get(name)
            if term is None:
                row.append(Cell(""))
            else:
                row.append(Cell(term["type"], term["value"], term.get("xml:lang"), term.get("datatype")))
        rows.append(row)
    return Result("solutions", columns, rows, truncated=truncated)


def _cell(term) -> Cell:
    if isinstance(term, ox.NamedNode):
        return Cell("uri", term.value)
    if isinstance(term, ox.BlankNode):
        return Cell("bnode", term.value)
    if isinstance(term, ox.Literal):
        datatype = None if term.language else term.datatype.value
        return Cell("literal", term.value, term.language, datatype)
    return Cell("literal", str(term))


def _page(query: str, result: Result | None, problem: QueryProblem | None) -> Answer:
    endpoint = current_endpoint()
    return html_answer(
        "query.html",
        status=problem.status if problem else 200,
        endpoint=url_for("sparql.sparql", _external=True),
        examples=EXAMPLES,
        graphs=sorted(endpoint.dataset.graphs.items()),
        timeout=endpoint.limits.timeout,
        max_rows=endpoint.limits.max_rows,
        query=query,
        result=result,
        problem=problem,
        page_rows=PAGE_ROWS,
    )


bp.add_app_template_global(starter_query, "starter_query")
bp.add_app_template_global(examples, "query_examples")
