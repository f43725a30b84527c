"""Error answers: short text or JSON, the right status, never a traceback (DESIGN.md §6).

Every refusal inside the service raises :class:`ProtocolError` with the status
and a message that names what was wrong and where. The handlers registered by
:func:`register_error_handlers` render those, werkzeug's own HTTP errors (404,
405, 413 ...) and anything unexpected (500, logged with its traceback on the
server side only) the same way.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("cyberframe.web")


class ProtocolError(Exception):
    """A request the service refuses, with its HTTP status (SPARQL 1.1 Protocol §2.1.5)."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **details: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


def error_response(status: int, message: str, headers: dict[str, str] | None = None, **details: Any) -> Response:
    """A short error body in JSON if the client prefers it, else plain text."""
    phrase = HTTPStatus(status).phrase
    wants_json = request.accept_mimetypes.best_match(["text/plain", "application/json"]) == "application/json"
    if wants_json:
        payload = {"status": status, "error": phrase, "message": message}
        payload.update({k: v for k, v in details.items() if v is not None})
        body = json.dumps(payload, ensure_ascii=False) + "\n"
        response = Response(body, status=status, content_type="application/json")
    else:
        response = Response(f"{status} {phrase}: {message}\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


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
        allowed = [h for h in exc.get_headers() if h[0].lower() == "allow"]
        headers = dict(allowed)
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
