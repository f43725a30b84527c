"""``POST /coverage``: the coverage and gap report of a Statement of Applicability (docs/coverage.md).

The body is a CSV or XLSX SoA, or an RDF organisational profile (Turtle,
JSON-LD), sent raw with its Content-Type or as a form (``file`` upload or
``data`` text). ``sets`` (repeatable, query or form) picks the mapping sets.
The answer is negotiated: JSON (default), CSV, plain text, or HTML for
browsers when the site is installed; ``download=1`` makes it an attachment.
The body limit and the concurrency limit are those of ``POST /validate``.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from ...api import coverage
from ...coverage import DEFAULT_SETS, CoverageInputError
from ...errors import ProtocolError
from ...rdfio import RdfInputError
from ...sparql.cache import Answer
from ...sparql.formats import CSV, HTML, JSON_DOCUMENT, Format
from ..negotiation import choose
from ..responses import send, uncacheable
from ..state import state

bp = Blueprint("coverage_api", __name__)

TEXT = Format("table", "text/plain", charset=True, keywords=("text",))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Content-Type of a raw body -> (file name the reader goes by, RDF format or None).
BODY_TYPES: dict[str, tuple[str, str | None]] = {
    "text/csv": ("body.csv", None),
    "text/plain": ("body.csv", None),
    XLSX: ("body.xlsx", None),
    "text/turtle": ("body.ttl", "turtle"),
    "application/ld+json": ("body.jsonld", "jsonld"),
    "application/json": ("body.jsonld", "jsonld"),
}
GATE = "cyberframe.coverage.gate"


def _gate() -> threading.BoundedSemaphore:
    """At most ``validate_concurrency`` analyses at once (a profile is checked by SHACL)."""
    gate: threading.BoundedSemaphore | None = current_app.extensions.get(GATE)
    if gate is None:
        limit = state().settings.validate_concurrency
        gate = current_app.extensions.setdefault(GATE, threading.BoundedSemaphore(limit))
    return gate


def _submission(limit: int) -> tuple[bytes, str, str | None]:
    """(data, file name, RDF format or None) of the request: a form's file or text, or the raw body."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            return upload.stream.read(limit + 1), upload.filename, None
        text = request.form.get("data", "")
        if not text.strip():
            raise CoverageInputError("nothing to analyse: paste a SoA into the text box or choose a file")
        kind = request.form.get("kind", "csv")
        if kind == "turtle":
            return text.encode("utf-8"), "pasted.ttl", "turtle"
        return text.encode("utf-8"), "pasted.csv", None
    if request.mimetype not in BODY_TYPES:
        raise ProtocolError(415, f"unsupported Content-Type {request.mimetype or '(none)'!r}; send one of "
                            f"{', '.join(BODY_TYPES)} or a form")
    name, rdf = BODY_TYPES[request.mimetype]
    return request.get_data(cache=False), name, rdf


@bp.route("/coverage", methods=["POST"])
def run() -> Response:
    """The coverage report of the posted SoA, in the negotiated format."""
    current = state()
    page = current.page("coverage")
    fmt = choose((JSON_DOCUMENT, CSV, TEXT, HTML) if page else (JSON_DOCUMENT, CSV, TEXT))
    limit = current.settings.validate_max_bytes
    sets = request.form.getlist("sets") or request.args.getlist("sets") or list(DEFAULT_SETS)
    gate = _gate()
    if not gate.acquire(blocking=False):
        raise ProtocolError(503, "the coverage service is busy; try again shortly", headers={"Retry-After": "2"})
    try:
        try:
            data, name, rdf = _submission(limit)
            if len(data) > limit:
                raise ProtocolError(413, f"the request body is larger than the limit of {limit} bytes")
            kg = current.engine.dataset.kg
            report = coverage(data, filename=name, format=rdf, sets=sets, max_bytes=limit, knowledge_graph=kg)
        except RequestEntityTooLarge as exc:
            raise ProtocolError(413, f"the request body is larger than the limit of {limit} bytes") from exc
        except RdfInputError as exc:
            if page is not None and fmt is HTML:
                return uncacheable(send(page(None, str(exc), exc.status)))
            raise ProtocolError(exc.status, str(exc)) from exc
        except CoverageInputError as exc:
            if page is not None and fmt is HTML:
                return uncacheable(send(page(None, str(exc), 400)))
            raise ProtocolError(400, str(exc)) from exc
    finally:
        gate.release()
    download = bool(request.args.get("download") or request.form.get("download"))
    if page is not None and fmt is HTML and not download:
        answer = page(report, None, 200)
    else:  # a download is the standalone report, never the site's page
        answer = Answer(200, report.render(fmt.key).encode("utf-8"), fmt.content_type)
    response = uncacheable(send(answer))
    if download:
        extension = {"json": "json", "csv": "csv", "table": "txt", "html": "html"}[fmt.key]
        response.headers["Content-Disposition"] = f'attachment; filename="coverage.{extension}"'
    return response
