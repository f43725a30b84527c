"""One log line per request, whatever the WSGI server.

A WSGI middleware, so that it sees every request, including those that the
app refuses before a view runs. The line is the Common Log Format plus the
time taken: ``host - - [time] "METHOD target PROTOCOL" status bytes duration``.
Long request targets (GET queries) are cut to keep lines readable.

Everything a client chose (the target, decoded or not, the method, the
protocol) is escaped before it is written: control characters, DEL, C1
controls, other non-printable characters and backslashes become ``\\xNN``,
``\\uNNNN`` or ``\\\\``, so a request can neither forge a line (CR, LF) nor
send escape sequences to a terminal (ESC).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from werkzeug.wsgi import ClosingIterator

log = logging.getLogger("cyberframe.access")

MAX_TARGET = 300


def escape(text: str) -> str:
    """*text* with every non-printable character and backslash escaped, so it stays on one harmless line."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char.isprintable():
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


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
        # PEP 3333: PATH_INFO is the decoded path as latin-1 code points; show it as the UTF-8 it was.
        target = environ.get("PATH_INFO", "").encode("latin-1", "replace").decode("utf-8", "replace")
        if environ.get("QUERY_STRING"):
            target += "?" + environ["QUERY_STRING"]
        if len(target) > MAX_TARGET:
            target = target[:MAX_TARGET] + "..."
        log.info(
            '%s - - [%s] "%s %s %s" %s %s %.1fms',
            escape(environ.get("REMOTE_ADDR", "-")),
            time.strftime("%d/%b/%Y:%H:%M:%S %z"),
            escape(environ.get("REQUEST_METHOD", "-")),
            escape(target),
            escape(environ.get("SERVER_PROTOCOL", "-")),
            seen.get("status", "-"),
            seen.get("size", "-"),
            seconds * 1000,
        )
