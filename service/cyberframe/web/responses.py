"""HTTP hygiene shared by the routes: validators, conditional requests, gzip (RFC 9110, RFC 9111).

Every representation of the frozen dataset gets a weak ETag derived from the
dataset version and from everything that selects the representation (query,
dataset parameters, format), and ``Last-Modified`` from the build time. Both
are known before a query runs, so a revalidation (``If-None-Match``,
``If-Modified-Since``) is answered 304 without running it. Bodies of 1 KiB
and more are sent gzip-compressed to clients that accept it; the compressed
bytes are kept with the cached answer.
"""

from __future__ import annotations

from datetime import datetime

from flask import Request, Response, request

from ..sparql.cache import Answer
from ..sparql.engine import GZIP_MIN_BYTES

CACHE_CONTROL = "public, no-cache"
VARY = "Accept, Accept-Encoding"


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison of *etag* with an ``If-None-Match`` list (RFC 9110 §13.1.2)."""
    opaque = etag.removeprefix("W/")
    # "*" is not honoured: whether a representation exists is only known once a query has run,
    # and a malformed query must get its 400, not a 304.
    return any(candidate.strip().removeprefix("W/") == opaque for candidate in header.split(","))


def is_fresh(req: Request, etag: str, last_modified: datetime) -> bool:
    """True if a GET/HEAD *req* already holds this representation (RFC 9110 §13.2.2)."""
    if req.method not in ("GET", "HEAD"):
        return False
    if_none_match = req.headers.get("If-None-Match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, etag)
    since = req.if_modified_since
    return since is not None and last_modified <= since


def not_modified(etag: str, last_modified: datetime) -> Response:
    """304 with the validators and caching headers the 200 would carry (RFC 9110 §15.4.5)."""
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


def accepts_gzip() -> bool:
    return request.accept_encodings["gzip"] > 0


def send(answer: Answer, etag: str | None = None, last_modified: datetime | None = None) -> Response:
    """A response for *answer*: validators, its own headers, gzip when the client accepts it."""
    body = answer.body
    gzipped = len(body) >= GZIP_MIN_BYTES and accepts_gzip()
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
