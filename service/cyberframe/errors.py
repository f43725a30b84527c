"""The errors a caller can act on, shared by every face of cyberframe (library, CLI, HTTP).

Each one says what was wrong and where (docs/http.md, "Errors and status codes"). The CLI turns
them into exit code 2; the HTTP service into the status they carry.
"""

from __future__ import annotations

from typing import Any


class ProtocolError(Exception):
    """A request the service refuses, with its HTTP status (SPARQL 1.1 Protocol §2.1.5, RFC 9110 §15).

    *headers* are sent with the error answer (``Retry-After``); *details* are
    extra JSON members of the error body (``line``, ``column``, ``timeout``).
    """

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


class ExportError(ValueError):
    """An export cannot be made as asked: unknown format, graph or mapping set, or an option the format
    does not take. The message names what was wrong and the valid choices (CLI exit 2, HTTP 400/404)."""


class CyberframeError(Exception):
    """An error a caller can act on, raised by the core library: its message says what went wrong and what to do
    (the CLI prints it and exits 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
