"""The SPARQL editor (``GET /sparql`` from a browser) and its results page (``GET /sparql/results?query=...``).

The editor is ``templates/query.html``; :func:`editor_page` is what the
protocol endpoint shows a browser that asks ``/sparql`` for HTML. Its form
sends the query to ``/sparql/results``, which runs it exactly as ``/sparql``
would - the same admission (no updates, no SERVICE), the same worker
processes, time limit and answer cache - asks for SPARQL JSON results
(N-Triples for graphs) and renders them as a table whose IRIs link to their
pages. A query that does not parse comes back with the parser's message and
the position, marked in the text (SPARQL 1.1 Query §19 grammar positions:
line and column).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

import pyoxigraph as ox
from flask import Blueprint, Response, request, url_for

from ...errors import ProtocolError
from ...named_queries import load_catalogue
from ...resources import internal_query
from ...sparql.admission import admit
from ...sparql.cache import Answer
from ...sparql.engine import TRUNCATED_HEADER
from ...sparql.formats import HTML
from ...sparql.worker import Job
from ..negotiation import choose
from .context import html_answer, respond, site

bp = Blueprint("editor", __name__)

#: The editor's own examples (title, SPARQL), shown before the named queries that take no parameters.
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
    return internal_query("editor-starter")


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
    engine = site().engine
    try:
        admitted = admit(query, max_length=engine.limits.max_query_length)
        job = Job(
            query=query,
            base_iri=url_for("sparql.sparql", _external=True),
            formats={"solutions": "json", "boolean": "json", "graph": "ntriples"},
            max_rows=min(PAGE_ROWS, engine.limits.max_rows),
            max_bytes=engine.limits.max_answer_bytes,
            union_default_graph=not admitted.has_dataset,
        )
        answer = engine.answer(job)
    except ProtocolError as exc:
        line, column = exc.details.get("line"), exc.details.get("column")
        return _page(query, None, QueryProblem(exc.status, exc.message, line, column, _excerpt(query, line)))
    return _page(query, _read(answer), None)


def editor_page() -> Answer:
    """The editor with its starter query: what ``GET /sparql`` shows a browser."""
    return _page(starter_query(), None, None)


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
    engine = site().engine
    return html_answer(
        "query.html",
        status=problem.status if problem else 200,
        endpoint=url_for("sparql.sparql", _external=True),
        graphs=sorted(engine.dataset.graphs.items()),
        timeout=engine.limits.timeout,
        max_rows=engine.limits.max_rows,
        query=query,
        result=result,
        problem=problem,
        page_rows=PAGE_ROWS,
    )


bp.add_app_template_global(starter_query, "starter_query")
bp.add_app_template_global(examples, "query_examples")
