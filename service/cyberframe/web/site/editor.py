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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, request, url_for

from ...errors import ProtocolError
from ...named_queries import load_catalogue
from ...namespaces import PREFIXES
from ...resources import internal_query
from ...sparql.admission import admit
from ...sparql.cache import Answer
from ...sparql.engine import TRUNCATED_HEADER
from ...sparql.formats import BY_KEY, HTML
from ...sparql.worker import Job
from ..negotiation import choose
from ..security import security_headers
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
        '       cf:references ?control .\n  ?function skos:notation "DE" .\n'
        "  ?control a cf:Control ; skos:notation ?notation .\n} ORDER BY ?notation",
    ),
    (
        "Triples per named graph",
        "SELECT ?graph (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } }\nGROUP BY ?graph ORDER BY ?graph",
    ),
)

#: The fixed CSS that YASGUI's table column resizer inserts as <style> elements (its base rules, and the cursor
#: while a column is dragged): the only inline code of any page, allowed by hash on the editor's pages alone.
#: tests/test_pages_everywhere.py recomputes them from static/vendor/yasgui/yasgui.min.js.
YASGUI_STYLE_HASHES = ("zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk=", "c0O6TmFAkgpNbHxKAa1BrveWHHopjEtC47i0PzMudxg=")
PAGE_ROWS = 1000  # rows a results page shows; the downloads have them all (up to the endpoint's limit)
#: The formats a page asks the engine for: SPARQL JSON results, N-Triples for graphs.
PAGE_FORMATS: dict[str, str | None] = {"solutions": "json", "boolean": "json", "graph": "ntriples"}


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
    truncated: bool = False  #: the engine cut the answer at its row limit
    first: int = 0  #: index of the first row shown
    shown: list[list[Cell]] = field(default_factory=list)  #: the rows of this page
    pages: list[tuple[int, str]] = field(default_factory=list)  #: (page number, URL) of every page
    page: int = 1

    def paginate(self, page: int, url: Callable[[int], str] | None) -> None:
        """Show page *page* (of PAGE_ROWS rows); *url* gives the address of another page (None: first page only)."""
        count = max(1, -(-len(self.rows) // PAGE_ROWS))
        self.page = min(max(page, 1), count) if url else 1
        self.first = (self.page - 1) * PAGE_ROWS
        self.shown = self.rows[self.first : self.first + PAGE_ROWS]
        self.pages = [(n, url(n)) for n in range(1, count + 1)] if url and count > 1 else []


@dataclass
class QueryProblem:
    """Why a query was refused or failed, with the position and the lines around it."""

    status: int
    message: str
    line: int | None = None
    column: int | None = None
    excerpt: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Download:
    """A download link of a results page: the same query in another format, under a file name."""

    label: str
    url: str
    filename: str
    media_type: str


#: What a results page offers to download, per kind of result (key, label).
DOWNLOAD_FORMATS = {
    "solutions": (("csv", "CSV"), ("json", "JSON"), ("tsv", "TSV"), ("xml", "XML")),
    "boolean": (("json", "JSON"), ("xml", "XML")),
    "graph": (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples"), ("rdfxml", "RDF/XML")),
}


def downloads(kind: str, stem: str, url: Callable[[str], str]) -> list[Download]:
    """The downloads of a *kind* of result: ``url(format_key)`` under ``{stem}.{extension}``."""
    return [
        Download(label, url(key), f"{stem}.{BY_KEY[key].extension}", BY_KEY[key].media_type)
        for key, label in DOWNLOAD_FORMATS[kind]
    ]


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


def _run(query: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> Answer:
    engine = site().engine
    try:
        admitted = admit(query, max_length=engine.limits.max_query_length)
        job = Job(
            query=query,
            base_iri=url_for("sparql.sparql", _external=True),
            formats=PAGE_FORMATS,
            max_rows=engine.limits.max_rows,
            max_bytes=engine.limits.max_answer_bytes,
            union_default_graph=not admitted.has_dataset,
            default_graphs=tuple(default_graphs) or None,
            named_graphs=tuple(named_graphs) or None,
        )
        answer = engine.answer(job)
    except ProtocolError as exc:
        line, column = exc.details.get("line"), exc.details.get("column")
        message = readable_message(query, exc.message, line, column)
        return _page(query, None, QueryProblem(exc.status, message, line, column, _excerpt(query, line)))
    result = read_answer(answer)
    _star_order(query, result)
    page_number = request.args.get("page", "1")
    result.paginate(
        int(page_number) if page_number.isdigit() else 1,
        None if default_graphs or named_graphs else lambda n: url_for("editor.results", query=query, page=n),
    )
    return _page(query, result, None, default_graphs, named_graphs)


_SELECT_STAR = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$]([A-Za-z0-9_\u00B7-\uFFFF]+)")


def _star_order(query: str, result: Result) -> None:
    """``SELECT *`` columns in the order the variables first appear in the query (SPARQL 1.1 Query §18.2.1
    leaves the order open; the engine sorts them by name)."""
    star = _SELECT_STAR.search(query)
    if star is None or result.kind != "solutions":
        return
    seen: list[str] = []
    for match in _VARIABLE.finditer(query, star.end()):
        if match.group(1) in result.columns and match.group(1) not in seen:
            seen.append(match.group(1))
    order = seen + [c for c in result.columns if c not in seen]
    positions = [result.columns.index(c) for c in order]
    result.columns = order
    result.rows = [[row[i] for i in positions] for row in result.rows]


_PREFIXED_NAME_END = re.compile(r"([A-Za-z][\w.-]*)?:[\w.%-]*$")


def readable_message(query: str, message: str, line: int | None, column: int | None) -> str:
    """The parser's message, or a plain one where its token list says less: an undeclared prefix
    (SPARQL 1.1 Query §4.1.1.1: a prefixed name needs a PREFIX declaration)."""
    if "Prefix not found" not in message or not line or not column:
        return message
    lines = query.splitlines()
    if line > len(lines):
        return message
    found = _PREFIXED_NAME_END.search(lines[line - 1][: column - 1])
    if found is None:
        return message
    prefix = (found.group(1) or "") + ":"
    return f"undefined prefix {prefix} (line {line}); declare it first: PREFIX {prefix} <...>"


def results_page(query: str, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> Answer:
    """What ``GET /sparql?query=...`` shows a browser: the editor with the query and its results."""
    return _run(query, default_graphs, named_graphs)


def editor_page() -> Answer:
    """The editor with its starter query: what ``GET /sparql`` shows a browser."""
    return _page(starter_query(), None, None)


def read_answer(answer: Answer) -> Result:
    """A page-format answer (SPARQL JSON results or N-Triples) as rows of cells."""
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


def _page(
    query: str,
    result: Result | None,
    problem: QueryProblem | None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
) -> Answer:
    engine = site().engine
    offered = []
    if result is not None:
        dataset: dict[str, Any] = {"default-graph-uri": list(default_graphs), "named-graph-uri": list(named_graphs)}
        offered = downloads(
            result.kind, "query-results", lambda key: url_for("sparql.sparql", query=query, format=key, **dataset)
        )
    answer = html_answer(
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
        downloads=offered,
        yasgui_config=yasgui_config(query),
    )
    answer.headers["Content-Security-Policy"] = security_headers().with_style_hashes(YASGUI_STYLE_HASHES)
    return answer


def yasgui_config(query: str) -> dict[str, Any]:
    """What the YASGUI editor starts from (read by static/cyberframe.js): the endpoint, the query, our prefixes
    and the ontology's classes and properties for autocompletion."""
    current = site()
    return {
        "endpoint": url_for("sparql.sparql", _external=True),
        "query": query,
        "prefixes": dict(PREFIXES),
        **current.memo("editor-terms", lambda: _ontology_terms(current)),
    }


def _ontology_terms(current: Any) -> dict[str, list[str]]:
    """The classes and properties of cyberframe's ontology (and the SKOS terms the data uses)."""
    rows = current.index.kg.select(internal_query("editor-terms"))
    terms: dict[str, list[str]] = {"classes": [], "properties": []}
    for row in rows:
        terms["classes" if row["kind"].value == "class" else "properties"].append(row["term"].value)
    return {key: sorted(set(values)) for key, values in terms.items()}


bp.add_app_template_global(starter_query, "starter_query")
bp.add_app_template_global(examples, "query_examples")
