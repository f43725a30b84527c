"""HTTP answers shared by every route: conditional responses, gzip, and errors (RFC 9110, RFC 9111).

Every representation of the frozen dataset gets a weak ETag derived from the
dataset version and from everything that selects the representation (path,
query, format), and ``Last-Modified`` from the build time. Both are known
before any work is done, so :func:`respond` answers a matching
``If-None-Match`` with 304 without running a query or rendering a page (only a
200 ever carried that ETag). ``If-Modified-Since`` proves nothing about the
request, so it is honoured only once the answer is known to be a 200 (from the
cache or made): an invalid or runaway query keeps its 400 or 503, whatever date
a client sends. Bodies of 1 KiB and more are sent gzip-compressed to clients
that accept it; the compressed bytes are kept with the cached answer.

Errors: every refusal raises :class:`~cyberframe.errors.ProtocolError`; the
handlers that :func:`register_error_handlers` installs render those,
werkzeug's own HTTP errors (404, 405, 413 ...) and anything unexpected (500,
logged with its traceback on the server side only) the same way: a page for
a browser, one short line of text, or JSON for clients that prefer it, never
a traceback.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Any

from flask import Flask, Request, Response, request
from werkzeug.exceptions import HTTPException

from ..errors import ProtocolError
from ..sparql.cache import Answer, FlightsFull
from ..sparql.engine import GZIP_MIN_BYTES, RETRY
from ..sparql.formats import BY_MEDIA_TYPE
from .negotiation import prefers_html
from .state import state

log = logging.getLogger("cyberframe.web")

CACHE_CONTROL = "public, no-cache"
VARY = "Accept, Accept-Encoding"


# --- conditional requests -----------------------------------------------------------------------


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of *etag* with an ``If-None-Match`` list (RFC 9110 §13.1.2)."""
    opaque = etag.removeprefix("W/")
    # "*" is not honoured: whether a representation exists is only known once a query has run,
    # and a malformed query must get its 400, not a 304.
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def holds_etag(req: Request, etag: str) -> bool:
    """True if a GET/HEAD *req* names *etag* in ``If-None-Match`` (RFC 9110 §13.1.2)."""
    if_none_match = req.headers.get("If-None-Match")
    return req.method in ("GET", "HEAD") and if_none_match is not None and _etag_matches(if_none_match, etag)


def unmodified_since(req: Request, last_modified: datetime) -> bool:
    """True if a GET/HEAD *req* without ``If-None-Match`` has a copy from *last_modified* or later (§13.1.3).

    Only for an answer known to be 200: the date is the client's, and says nothing about the query.
    """
    if req.method not in ("GET", "HEAD") or "If-None-Match" in req.headers:
        return False
    since = req.if_modified_since
    return since is not None and last_modified <= since


def respond(
    parts: Sequence[object],
    make: Callable[[], Answer],
    *,
    keep: bool = True,
    wait: float = 30.0,
    etag: str | None = None,
) -> Response:
    """Answer a read of the frozen dataset: 304 if the client holds it, else the answer, with validators.

    *parts* name the representation (what selects it beyond the dataset
    version); they are its ETag's input and its key in the answer cache. With
    *keep*, the answer is taken from the cache or made once however many ask
    at the same time (single flight, waiting up to *wait* seconds); without
    it, *make* is called (it may cache by itself, as the SPARQL engine does).
    Only a 200 answer carries validators; refusals are never revalidated.
    *etag* may be given when the caller has it already (a remembered plan).
    """
    engine = state().engine
    etag = engine.etag(*parts) if etag is None else etag
    last_modified = engine.dataset.last_modified
    if holds_etag(request, etag):
        return _not_modified(etag, last_modified)
    if keep:
        size = sum(len(part) for part in parts if isinstance(part, (str, bytes)))
        try:
            answer = engine.cache.get_or_compute(tuple(parts), make, wait=wait, key_size=size)
        except FlightsFull as exc:
            raise ProtocolError(503, f"{exc}; try again shortly", headers=RETRY) from exc
    else:
        answer = make()
    if answer.status != 200:
        return send(answer)
    if unmodified_since(request, last_modified):
        return _not_modified(etag, last_modified)
    return send(answer, etag, last_modified)


def _not_modified(etag: str, last_modified: datetime) -> Response:
    response = Response(status=304)
    _validators(response, etag, last_modified)
    return response


def _validators(response: Response, etag: str | None, last_modified: datetime | None) -> None:
    if etag is not None:
        response.headers["ETag"] = etag
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = VARY


def send(answer: Answer, etag: str | None = None, last_modified: datetime | None = None) -> Response:
    """A response for *answer*: its headers, gzip when the client accepts it, validators when given."""
    body = answer.body
    gzipped = len(body) >= GZIP_MIN_BYTES and request.accept_encodings["gzip"] > 0
    response = Response(answer.gzipped() if gzipped else body, status=answer.status, content_type=answer.content_type)
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    for name, value in answer.headers.items():
        response.headers[name] = value
    if request.method in ("GET", "HEAD"):
        _validators(response, etag, last_modified)
    else:
        response.headers["Vary"] = VARY
    return response


def name_download(response: Response, stem: str, *, attachment: bool) -> Response:
    """Give a 200 answer in a data format a file name: *stem* with the format's extension (RFC 6266).

    ``attachment`` for an explicit download (a ``format=`` link), ``inline`` otherwise; HTML and
    unknown types are left alone.
    """
    fmt = BY_MEDIA_TYPE.get(response.mimetype or "")
    if response.status_code != 200 or fmt is None or fmt.key == "html":
        return response
    safe = _UNSAFE_NAME.sub("-", stem).strip("-.") or "download"
    kind = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{kind}; filename="{safe}.{fmt.extension}"'
    return response


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def uncacheable(response: Response) -> Response:
    """Mark *response* as not to be stored (answers to uploads, error pages)."""
    response.headers["Cache-Control"] = "no-store"
    return response


# --- errors -------------------------------------------------------------------------------------


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **details: Any) -> Response:
    """A page for a browser (when the site is installed), else a short body in JSON if the client prefers
    it, else plain text.

    See docs/http.md, "Errors and status codes".
    """
    phrase = HTTPStatus(status).phrase
    page = state().page("error") if prefers_html() else None
    if page is not None:
        try:
            answer = page(status, message, details)
        except Exception:  # the page must never hide the error: fall back to text
            log.exception("rendering the error page for %s %s failed", request.method, request.path)
        else:
            response = Response(answer.body, status=status, content_type=answer.content_type)
            for name, value in (headers or {}).items():
                response.headers[name] = value
            response.headers["Vary"] = VARY
            return uncacheable(response)
    wants_json = request.accept_mimetypes.best_match(["text/plain", "application/json"]) == "application/json"
    if wants_json:
        payload = {"status": status, "error": phrase, "message": message}
        payload.update({k: v for k, v in details.items() if v is not None})
        body = json.dumps(payload, ensure_ascii=False) + "\n"
        response = Response(body, status=status, content_type="application/json")
    else:
        response = Response(f"{status} {phrase}: {message}\n", status=status, content_type="text/plain; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return uncacheable(response)


def _protocol_error(exc: ProtocolError) -> Response:
    return error_response(exc.status, exc.message, exc.headers, **exc.details)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    messages = {
        404: f"no such resource: {request.path}",
        405: f"method {request.method} is not allowed on {request.path}",
        413: "request body too large",
    }
    message = messages.get(status) or (exc.description or HTTPStatus(status).phrase)
    headers = {}
    if status == 405:
        headers = {name: value for name, value in exc.get_headers() if name.lower() == "allow"}
        if headers:
            message += f" (allowed: {next(iter(headers.values()))})"
    return error_response(status, message, headers)


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error while answering %s %s", request.method, request.path)
    return error_response(500, "internal error; the server log has the details")


def register_error_handlers(app: Flask) -> None:
    """Route every error through :func:`error_response`."""
    app.register_error_handler(ProtocolError, _protocol_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
