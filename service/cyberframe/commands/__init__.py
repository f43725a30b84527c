"""CLI commands kept in their own modules (registered in cyberframe.cli), and what they share."""

from __future__ import annotations

import time

import click


def progress(message: str) -> None:
    """A time-stamped progress line on standard error, for long work (DESIGN.md §5)."""
    click.echo(f"[{time.strftime('%H:%M:%S')}] {message}", err=True)
