"""``GET /validate`` (the page) and ``POST /validate`` (SHACL validation of posted RDF).

The posted RDF is read with :func:`cyberframe.rdfio.parse_rdf` - the size
limit checked first, RDF/XML with a DOCTYPE or entities refused, JSON-LD with
a remote ``@context`` refused, nothing fetched - and validated with
:func:`cyberframe.validate` together with cyberframe's own ontology and data
(SHACL §3.4: links to cyberframe IRIs resolve, links to IRIs that do not exist
are reported). The report is negotiated (RFC 9110 §12.5.1): JSON (the default
for scripts), the standard ``sh:ValidationReport`` as Turtle (SHACL §3.6), or
HTML grouped by focus node for browsers. Bad RDF is 400 with the source, line
and column; a body over the limit is 413; an unknown format is 415.

Three ways in: a form (``multipart/form-data`` with a file or pasted text, or
URL-encoded pasted text; field ``syntax`` names the RDF syntax, default:
guessed), or the RDF itself as the body with its media type as
``Content-Type`` (``curl --data-binary @my.ttl -H 'Content-Type: text/turtle'``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, request
from rdflib import URIRef
from rdflib.namespace import SH
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import ProtocolError
from ...rdfio import ALIASES, EXTENSIONS, RdfDocument, RdfInputError, format_name, parse_rdf
from ...sparql.cache import Answer
from ...sparql.engine import TRUNCATED_HEADER
from ...sparql.formats import HTML, JSON_DOCUMENT, TURTLE, Format
from ...validation import ShapesError, ValidationOutcome, ValidationResult, shorten, shorten_path, validate
from ..negotiation import choose
from ..responses import error_response, send, uncacheable
from .context import html_answer, site

bp = Blueprint("validator", __name__)

REPORT_FORMATS: tuple[Format, ...] = (JSON_DOCUMENT, TURTLE, HTML)
MAX_REPORTED = 1000  # results (JSON) or focus nodes (HTML) listed; the counts always cover all
SYNTAX_CHOICES = (
    ("", "Guess from the file name or the text"),
    ("turtle", "Turtle"),
    ("ntriples", "N-Triples"),
    ("nquads", "N-Quads"),
    ("trig", "TriG"),
    ("jsonld", "JSON-LD"),
    ("rdfxml", "RDF/XML"),
)


@dataclass
class FocusGroup:
    """The results about one focus node (what the HTML report is grouped by)."""

    focus: str
    iri: str | None
    label: str | None
    results: list[ValidationResult] = field(default_factory=list)


@dataclass
class Submission:
    """What was posted: the bytes, their syntax and where they came from."""

    data: bytes
    syntax: str | None
    source: str
    text: str | None = None  #: pasted text, shown again in the form
    chosen: str = ""  #: the form's choice of syntax, shown again


def _max_bytes() -> int:
    return site().settings.validate_max_bytes


def _gate() -> threading.BoundedSemaphore:
    """At most ``validate_concurrency`` validations at once; each takes about half a second of one CPU."""
    limit = site().settings.validate_concurrency
    gate: threading.BoundedSemaphore = site().memo("validate-gate", lambda: threading.BoundedSemaphore(limit))
    return gate


def _shipped() -> RdfDocument:
    """cyberframe's asserted ontology and data (never the inferred graph), parsed once per app."""

    def make() -> RdfDocument:
        kg = site().engine.dataset.kg
        quads = tuple(
            ox.Quad(q.subject, q.predicate, q.object)
            for graph in kg.asserted_graphs()
            for q in kg.store.quads_for_pattern(None, None, None, graph)
        )
        return RdfDocument("cyberframe", "nquads", quads)

    return site().memo("validate-shipped", make)


@bp.route("/validate", methods=["GET"])
def form() -> Response:
    """The validation page: paste or upload RDF, choose its syntax."""
    choose((HTML,))
    return send(html_answer("validate.html", **_form_context()))


def _form_context(**extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "choices": SYNTAX_CHOICES,
        "max_bytes": _max_bytes(),
        "text": "",
        "syntax": "",
        "outcome": None,
        "groups": [],
        "problem": None,
        "source": None,
    }
    context.update(extra)
    return context


@bp.route("/validate", methods=["POST"])
def run() -> Response:
    """Validate the posted RDF against the shapes, with cyberframe's data, and send the report."""
    fmt = choose(REPORT_FORMATS)
    submission: Submission | None = None
    try:
        submission = _submission()
        syntax = submission.syntax or _guess(submission)
        document = parse_rdf(
            submission.data, format=syntax, source=submission.source, base_iri=request.base_url, max_bytes=_max_bytes()
        )
    except RequestEntityTooLarge:
        return _refuse(fmt, 413, f"the request body is larger than the limit of {_max_bytes()} bytes", None, None)
    except RdfInputError as exc:
        return _refuse(fmt, exc.status, str(exc), exc, submission)
    gate = _gate()
    if not gate.acquire(blocking=False):  # never hold a server thread waiting: answer busy at once
        raise ProtocolError(503, "the validator is busy; try again shortly", headers={"Retry-After": "2"})
    try:
        outcome = validate([_shipped(), document], include_shipped=False, engine="auto")
    except ShapesError as exc:  # pragma: no cover - our shapes are well-formed (a test)
        raise ProtocolError(500, str(exc)) from exc
    finally:
        gate.release()
    return _report(fmt, outcome, submission, document)


def _submission() -> Submission:
    """Read the form (file upload or pasted text) or the raw body."""
    mimetype = request.mimetype
    if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        syntax = (request.form.get("syntax") or request.args.get("syntax") or "").strip() or None
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.stream.read(_max_bytes() + 1)
            name = upload.filename
            if syntax is None:
                syntax = _syntax_of_name(name)
            return Submission(data, syntax, name, chosen=request.form.get("syntax", ""))
        text = request.form.get("data", "")
        if not text.strip():
            raise RdfInputError(
                "form", "nothing to validate: paste RDF into the text box or choose a file", kind="empty"
            )
        return Submission(text.encode("utf-8"), syntax, "pasted text", text, request.form.get("syntax", ""))
    if not mimetype:
        raise RdfInputError(
            "request", "say what the body is: a Content-Type such as text/turtle, or a form", kind="format"
        )
    syntax = request.args.get("syntax") or mimetype
    if format_alias(syntax) is None:
        known = ", ".join(sorted(k for k in ALIASES if "/" in k))
        raise RdfInputError("request", f"unsupported Content-Type {mimetype!r}; send one of {known}", kind="format")
    data = request.get_data(cache=False)
    return Submission(data, format_alias(syntax), "request body")


def format_alias(name: str) -> str | None:
    try:
        return format_name(name)
    except RdfInputError:
        return None


def _syntax_of_name(name: str) -> str | None:
    for extension, syntax in EXTENSIONS.items():
        if name.lower().endswith(extension):
            return syntax
    return None


def _guess(submission: Submission) -> str:
    """Sniff the syntax of pasted text: XML, JSON, else Turtle (which also reads N-Triples)."""
    head = submission.data.lstrip()[:200]
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF"):
        return "rdfxml"
    if head.startswith((b"{", b"[")):
        return "jsonld"
    return "turtle"


def _refuse(
    fmt: Format, status: int, message: str, error: RdfInputError | None, submission: Submission | None
) -> Response:
    """Bad input: the form again with the message (HTML), else the short error body (see :func:`error_response`)."""
    line = error.line if error else None
    column = error.column if error else None
    if fmt.key != "html":
        return error_response(status, message, line=line, column=column)
    text = submission.text if submission is not None else ""
    excerpt: list[tuple[int, str]] = []
    if text and line:
        lines = text.splitlines()
        excerpt = [(n, lines[n - 1]) for n in range(max(1, line - 1), min(len(lines), line + 1) + 1)]
    problem = {"status": status, "message": message, "line": line, "column": column, "excerpt": excerpt}
    context = _form_context(problem=problem, text=text or "", syntax=submission.chosen if submission else "")
    answer = html_answer("validate.html", status=status, **context)
    return uncacheable(send(answer))


def _groups(outcome: ValidationOutcome) -> list[FocusGroup]:
    groups: dict[str, FocusGroup] = {}
    for result in outcome.results:
        key = str(result.focus)
        if key not in groups:
            iri = key if isinstance(result.focus, URIRef) else None
            groups[key] = FocusGroup(shorten(result.focus), iri, outcome.labels.get(result.focus))
        groups[key].results.append(result)
    order = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
    return sorted(groups.values(), key=lambda g: (min(order.get(r.severity, 3) for r in g.results), g.focus))


def _report(fmt: Format, outcome: ValidationOutcome, submission: Submission, document: RdfDocument) -> Response:
    summary = {
        "conforms": outcome.conforms,
        "violations": len(outcome.violations),
        "warnings": len(outcome.warnings),
        "infos": len(outcome.infos),
        "source": submission.source,
        "syntax": document.format,
        "submitted_triples": len(document),
        "validated_triples": outcome.triples,
        "engine": outcome.engine,
        "inference": outcome.inference,
        "seconds": outcome.seconds,
    }
    results = outcome.to_dicts()
    truncated = len(results) > MAX_REPORTED
    if fmt.key == "json":
        payload = {**summary, "truncated": truncated, "results": results[:MAX_REPORTED]}
        body = (json.dumps(payload, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        answer = Answer(200, body, fmt.content_type)
    elif fmt.key == "turtle":
        answer = Answer(200, outcome.report_turtle().encode("utf-8"), fmt.content_type)
    else:
        context = _form_context(
            outcome=outcome,
            summary=summary,
            groups=_groups(outcome)[:MAX_REPORTED],
            text=submission.text or "",
            syntax=submission.chosen,
            source=submission.source,
        )
        answer = html_answer("validate.html", **context)
    response = uncacheable(send(answer))
    if truncated and fmt.key != "turtle":
        response.headers[TRUNCATED_HEADER] = "true"
    return response


def result_path(result: ValidationResult) -> str | None:
    return None if result.path is None else shorten_path(result.path)


def term_text(node) -> str:
    return shorten(node)


bp.add_app_template_global(result_path, "result_path")
bp.add_app_template_global(term_text, "term_text")
bp.add_app_template_global(lambda n: isinstance(n, URIRef), "is_iri")
