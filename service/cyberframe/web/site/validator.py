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

import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, request
from rdflib import URIRef
from rdflib.namespace import SH
from werkzeug.exceptions import RequestEntityTooLarge

from ...errors import ProtocolError
from ...rdfio import ALIASES, EXTENSIONS, RdfInputError, format_name
from ...sparql.cache import Answer
from ...sparql.engine import TRUNCATED_HEADER
from ...sparql.formats import HTML, JSON_DOCUMENT, TURTLE, Format
from ...sparql.remote import RemoteExecutor, StoreFailed, StoreTimeout, StoreUnavailable
from ...sparql.validator import BoundedValidator, Limits, ValidationRefused, shipped_store, store_copy
from ...sparql.worker import Document, ValidationJob
from ...validation import (
    INFERENCE_MODES,
    ShapesError,
    ValidationOutcome,
    ValidationResult,
    shorten,
    shorten_path,
)
from ..negotiation import choose
from ..responses import error_response, send, uncacheable
from .context import html_answer, site

bp = Blueprint("validator", __name__)
log = logging.getLogger("cyberframe.validate")

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
    inference: str = "none"
    shapes: tuple[Document, ...] = ()  #: the user's own shapes (field ``shapes``), else cyberframe's


def _max_bytes() -> int:
    return site().settings.validate_max_bytes


def _validator() -> BoundedValidator:
    """``validate_concurrency`` validation workers holding cyberframe's asserted graph, one pool per app."""

    def make() -> BoundedValidator:
        settings = site().settings
        limits = Limits(settings.validate_timeout, settings.validate_memory_mb)
        engine = site().engine
        if isinstance(engine.executor, RemoteExecutor):  # serve --store: validate against the store's copy
            try:
                path, triples = store_copy(engine.dataset.kg, engine.executor)
            except (StoreUnavailable, StoreTimeout, StoreFailed) as exc:
                raise ValidationRefused(503, f"the store's copy of the dataset cannot be read: {exc}",
                                        retry_after=5) from exc
            log.info("validation data: the store's copy of the asserted graphs (%d triples)", triples)
        else:
            path = shipped_store(engine.dataset.kg)
        return BoundedValidator(
            path,
            workers=settings.validate_concurrency,
            limits=limits,
            isolate_network=settings.isolate_network,
        )

    validator: BoundedValidator = site().memo("validate-pool", make)
    return validator


def start_pool() -> None:
    """Start the validation workers in the background, so the first validation does not wait for them."""
    try:
        _validator().executor.start(wait=False)
    except ValidationRefused as exc:  # the store's copy is not readable now: the first validation tries again
        log.warning("validation workers not started: %s", exc.message)


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
        "inference_modes": INFERENCE_MODES,
        "inference": "none",
        "downloads": None,
    }
    context.update(extra)
    return context


@bp.route("/validate", methods=["POST"])
def run() -> Response:
    """Validate the posted RDF against the shapes, with cyberframe's data, and send the report."""
    fmt = choose(REPORT_FORMATS)
    try:  # admission before the body is read: a busy validator answers at once
        validator = _validator()
        reservation = validator.reserve()
    except ValidationRefused as exc:
        raise ProtocolError(exc.status, exc.message, headers={"Retry-After": str(exc.retry_after or 2)}) from exc
    submission: Submission | None = None
    with reservation:
        try:
            submission = _submission()
            syntax = submission.syntax or _guess(submission)
            document = Document(submission.source, submission.data, format=syntax, base_iri=request.base_url)
            job = ValidationJob(
                data=(document,), shapes=submission.shapes, inference=submission.inference, max_bytes=_max_bytes()
            )
            outcome, figures = validator.run(job, reservation)
        except RequestEntityTooLarge:
            return _refuse(fmt, 413, f"the request body is larger than the limit of {_max_bytes()} bytes", None, None)
        except RdfInputError as exc:
            return _refuse(fmt, exc.status, str(exc), exc, submission)
        except ShapesError as exc:
            return _refuse(fmt, 400, f"the shapes are not usable: {exc}", None, submission)
        except ValidationRefused as exc:
            if exc.retry_after is not None and fmt.key != "html":
                raise ProtocolError(exc.status, exc.message, headers={"Retry-After": str(exc.retry_after)}) from exc
            return _refuse(fmt, exc.status, exc.message, None, submission)
    return _report(fmt, outcome, submission, figures)


def _submission() -> Submission:
    """Read the form (file upload or pasted text) or the raw body."""
    mimetype = request.mimetype
    if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        syntax = (request.form.get("syntax") or request.args.get("syntax") or "").strip() or None
        inference = (request.form.get("inference") or request.args.get("inference") or "none").strip()
        if inference not in INFERENCE_MODES:
            raise RdfInputError("form", f"inference must be one of {', '.join(INFERENCE_MODES)}, not {inference!r}")
        shapes = _shapes()
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.stream.read(_max_bytes() + 1)
            name = upload.filename
            if syntax is None:
                syntax = _syntax_of_name(name)
            chosen = request.form.get("syntax", "")
            return Submission(data, syntax, name, chosen=chosen, inference=inference, shapes=shapes)
        text = request.form.get("data", "")
        if not text.strip():
            raise RdfInputError(
                "form", "nothing to validate: paste RDF into the text box or choose a file", kind="empty"
            )
        chosen = request.form.get("syntax", "")
        return Submission(text.encode("utf-8"), syntax, "pasted text", text, chosen, inference, shapes)
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


def _shapes() -> tuple[Document, ...]:
    """The form's optional ``shapes`` file: the user's own SHACL shapes instead of cyberframe's."""
    upload = request.files.get("shapes")
    if upload is None or not upload.filename:
        return ()
    data = upload.stream.read(_max_bytes() + 1)
    syntax = _syntax_of_name(upload.filename) or "turtle"
    return (Document(upload.filename, data, format=syntax, base_iri=request.base_url),)


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
    shown = text or (submission.data.decode("utf-8", "replace") if submission is not None else "")
    excerpt: list[tuple[int, str]] = []
    if shown and line and error is not None and error.source == submission.source:  # type: ignore[union-attr]
        lines = shown.splitlines()
        excerpt = [(n, lines[n - 1]) for n in range(max(1, line - 1), min(len(lines), line + 1) + 1)]
    problem = {"status": status, "message": message, "line": line, "column": column, "excerpt": excerpt}
    context = _form_context(
        problem=problem,
        text=text or "",
        syntax=submission.chosen if submission else "",
        inference=submission.inference if submission else "none",
    )
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


def _report(fmt: Format, outcome: ValidationOutcome, submission: Submission, figures: dict[str, Any]) -> Response:
    summary = {
        "conforms": outcome.conforms,
        "violations": len(outcome.violations),
        "warnings": len(outcome.warnings),
        "infos": len(outcome.infos),
        "source": submission.source,
        "syntax": figures["formats"][0],
        "submitted_triples": figures["submitted"][0],
        "validated_triples": outcome.triples,
        "engine": outcome.engine,
        "inference": outcome.inference,
        "seconds": outcome.seconds,
    }
    results = outcome.to_dicts()
    truncated = len(results) > MAX_REPORTED
    payload = {**summary, "truncated": truncated, "results": results[:MAX_REPORTED]}
    json_body = (json.dumps(payload, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    if fmt.key == "json":
        answer = Answer(200, json_body, fmt.content_type)
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
            inference=submission.inference,
            downloads=_downloads(outcome, json_body),
        )
        answer = html_answer("validate.html", **context)
    response = uncacheable(send(answer))
    if truncated and fmt.key != "turtle":
        response.headers[TRUNCATED_HEADER] = "true"
    return response


def report_text(outcome: ValidationOutcome) -> str:
    """The report for reading: one block per result, then the verdict (as ``cyberframe validate`` prints)."""
    lines: list[str] = []
    for r in outcome.results:
        where = r.path_text or "(focus node)"
        value = "" if r.value is None else f"  value {shorten(r.value)}"
        lines += [f"{r.severity_name}  {shorten(r.focus)}  {where}{value}", f"  {r.message}"]
        lines += [f"  [{shorten(r.source_shape)}]", ""]
    verdict = "Conforms." if outcome.conforms else f"Does not conform: {len(outcome.results)} results."
    lines.append(f"{verdict} ({outcome.triples} triples, inference {outcome.inference}, {outcome.engine})")
    return "\n".join(lines) + "\n"


def _downloads(outcome: ValidationOutcome, json_body: bytes) -> list[tuple[str, str, str]]:
    """(label, file name, data: URI) for the report as Turtle, JSON and text: saved from the page, never stored."""
    files = (
        ("Turtle", "report.ttl", "text/turtle", outcome.report_turtle().encode("utf-8")),
        ("JSON", "report.json", "application/json", json_body),
        ("Text", "report.txt", "text/plain", report_text(outcome).encode("utf-8")),
    )
    return [
        (label, name, f"data:{media};charset=utf-8;base64,{base64.b64encode(body).decode('ascii')}")
        for label, name, media, body in files
    ]


def result_path(result: ValidationResult) -> str | None:
    return None if result.path is None else shorten_path(result.path)


def term_text(node) -> str:
    return shorten(node)


bp.add_app_template_global(result_path, "result_path")
bp.add_app_template_global(term_text, "term_text")
bp.add_app_template_global(lambda n: isinstance(n, URIRef), "is_iri")
