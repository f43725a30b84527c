"""Progress reports for long work (the build, exports, validation): one line for people at a time."""

from __future__ import annotations

from collections.abc import Callable

#: Receives one line of progress for people (the CLI prints it on standard error).
Progress = Callable[[str], None]


def quiet(_: str) -> None:
    """The default :data:`Progress`: say nothing."""
