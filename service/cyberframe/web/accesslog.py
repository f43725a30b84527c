"""One log line per request, whatever the WSGI server.

A WSGI middleware, so that it sees every request, including those that the
app refuses before a view runs. The line is the Common Log Format plus the
time taken: ``host - - [time] "METHOD target PROTOCOL" status bytes duration``.
Long request targets (GET queries) are cut to keep lines readable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from werkzeug.wsgi import ClosingIterator

log = logging.getLogger("cyberframe.access")

MAX_TARGET = 300


class AccessLog:
    """Wraps a WSGI app and logs each request it answers to the ``cyberframe.access`` logger."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, str] = {}

        def recording_start_response(status: str, headers: list, exc_info=None):
            seen["status"] = status.split(" ", 1)[0]
            for name, value in headers:
                if name.lower() == "content-length":
                    seen["size"] = value
            return start_response(status, headers, exc_info)

        body = self.app(environ, recording_start_response)
        return ClosingIterator(body, lambda: self._log(environ, seen, time.perf_counter() - started))

    @staticmethod
    def _log(environ: dict, seen: dict[str, str], seconds: float) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        target = environ.get("PATH_INFO", "")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        if len(target) > MAX_TARGET:
            target = target[:MAX_TARGET] + "..."
        log.info(
            '%s - - [%s] "%s %s %s" %s %s %.1fms',
            environ.get("REMOTE_ADDR", "-"),
            time.strftime("%d/%b/%Y:%H:%M:%S %z"),
            environ.get("REQUEST_METHOD", "-"),
            target,
            environ.get("SERVER_PROTOCOL", "-"),
            seen.get("status", "-"),
            seen.get("size", "-"),
            seconds * 1000,
        )
