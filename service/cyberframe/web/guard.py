"""Checks every request passes before any route runs: its Host, its path's length, its body's encoding.

* **Host** (RFC 9110 §7.2). With ``trusted_hosts`` set, a request naming any
  other host is refused with 400 before the app sees it. With ``public_url``
  set, the app never sees the client's Host at all: the scheme, host and path
  prefix of every request are the public URL's, so every absolute URL a page
  or answer shows (the endpoint, ``base_iri``, the OpenAPI server, VoID) is
  built from the configuration. Without either, the Host header is used, and
  everything that is remembered per request (page cache, query plans) is keyed
  by it, so one client's Host never shows in another client's answer.
* **Path**: no route has a path longer than :data:`MAX_PATH` bytes; a longer
  one is refused with 414 before routing (RFC 9110 §15.5.15).
* **Body encoding**: request bodies are read as they are; a body with a
  ``Content-Encoding`` other than ``identity`` is refused with 415 and
  ``Accept-Encoding: identity`` (RFC 9110 §15.5.16, RFC 7694 §3).

``X-Forwarded-*`` and ``Forwarded`` are never read: a client could forge them,
and ``public_url`` says what they would (docs/serving.md, "Behind a reverse proxy").
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.sansio.utils import host_is_trusted

from ..errors import ProtocolError
from ..settings import Settings

MAX_PATH = 2048  # bytes of a request path; the longest route needs a few hundred
#: Bytes of a request target past which the standard library's URL-parsing cache is emptied (see RequestGuard).
LONG_TARGET = 16 * 1024


def _refuse(start_response: Callable, status: str, message: str) -> list[bytes]:
    """A short plain-text refusal, in the form of :func:`~cyberframe.web.responses.error_response`."""
    body = f"{status}: {message}\n".encode()
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def _clear_url_cache() -> None:
    clear = getattr(urllib.parse, "clear_cache", None)  # CPython's, undocumented; absent elsewhere
    if clear is not None:
        clear()


class RequestGuard:
    """WSGI middleware in front of the app: 414 for a long path, Host checks and the public URL.

    It runs before Flask builds a request, so a refused request costs no copies of its target.
    """

    def __init__(self, app: Callable, trusted: list[str] | None = None, public_url: str | None = None) -> None:
        self.app = app
        self.trusted = trusted
        self.public = urlsplit(public_url) if public_url else None

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > LONG_TARGET:
            # The HTTP server parsed the target with urllib.parse.urlsplit, whose cache keeps the last 128
            # targets: 128 long ones would pin tens of MB. Emptying it costs the next few parses nothing much.
            _clear_url_cache()
        if len(environ.get("PATH_INFO", "")) > MAX_PATH:
            return _refuse(
                start_response,
                "414 URI Too Long",
                f"the request path is longer than {MAX_PATH} bytes; no resource here has one",
            )
        if self.trusted is not None:
            # A Host header that is present but empty names no trusted host (the server's own name is not it).
            host = environ["HTTP_HOST"] if "HTTP_HOST" in environ else environ.get("SERVER_NAME", "")
            if not host or not host_is_trusted(host, self.trusted):
                return _refuse(start_response, "400 Bad Request", "this service does not answer for that Host")
        if self.public is not None:
            public = self.public
            environ["wsgi.url_scheme"] = public.scheme
            environ["HTTP_HOST"] = public.netloc
            environ["SERVER_NAME"] = public.hostname or ""
            environ["SERVER_PORT"] = str(public.port or (443 if public.scheme == "https" else 80))
            prefix = public.path.rstrip("/")
            if prefix:
                environ["SCRIPT_NAME"] = prefix + environ.get("SCRIPT_NAME", "")
        return self.app(environ, start_response)


def screen_request() -> None:
    """``before_request``: 415 for an encoded request body."""
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise ProtocolError(
            415,
            f"Content-Encoding {encoding[:40]!r} is not supported for request bodies; send the body unencoded",
            headers={"Accept-Encoding": "identity"},
        )


def install(app: Flask, settings: Settings) -> None:
    """Put the guards in front of *app*'s routes (call before wrapping ``app.wsgi_app`` in the access log)."""
    app.before_request(screen_request)
    app.wsgi_app = RequestGuard(  # type: ignore[method-assign]
        app.wsgi_app, settings.trusted_host_list, settings.public_url
    )
