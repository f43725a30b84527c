"""What the export modules share: the error a caller can act on, and the progress callback."""

from __future__ import annotations

from collections.abc import Callable

#: Receives one line of progress for people (the CLI prints it on standard error).
Progress = Callable[[str], None]


class ExportError(ValueError):
    """An export cannot be made as asked: unknown format, graph or mapping set, or an option the format
    does not take. The message names what was wrong and the valid choices (CLI exit 2, HTTP 400/404)."""


def quiet(_: str) -> None:
    """The default :data:`Progress`: say nothing."""
