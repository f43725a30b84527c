"""``cyberframe mcp``: the Model Context Protocol server on standard input and output (docs/mcp.md).

An MCP client (an AI assistant's host) starts this command and talks JSON-RPC
over its stdin and stdout; progress and logs go to standard error. The
limits are the service's (docs/settings.md): the flags below, else the
``CYBERFRAME_*`` variables, else the defaults; one query worker unless
``--workers`` or ``CYBERFRAME_SPARQL_WORKERS`` says otherwise.
"""

from __future__ import annotations

import click

from . import progress


@click.command("mcp")
@click.option("--timeout", type=float, default=None, help="Time limit per query in seconds (as serve).")
@click.option("--max-rows", type=int, default=None, help="Rows or triples per answer (as serve).")
@click.option("--workers", type=int, default=None, help="Query worker processes (default 1).")
@click.option(
    "--max-output-bytes",
    type=click.IntRange(min=1024),
    default=None,
    help="Largest tool answer in bytes of JSON; longer ones are cut and marked truncated [default: 100000].",
)
def mcp(timeout: float | None, max_rows: int | None, workers: int | None, max_output_bytes: int | None) -> None:
    """Serve cyberframe to AI assistants over the Model Context Protocol (stdio)."""
    try:
        from ..mcp.server import open_backend, serve_stdio
        from ..mcp.tools import DEFAULT_MAX_OUTPUT_BYTES
    except ImportError as exc:  # the SDK is the `mcp` extra
        raise click.ClickException(f"{exc}; install it with: pip install 'cyberframe[mcp]'") from exc
    from ..settings import Settings, SettingsError

    try:
        settings = Settings.resolve({"timeout": timeout, "max_rows": max_rows, "workers": workers})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    backend = open_backend(settings, max_output_bytes=max_output_bytes or DEFAULT_MAX_OUTPUT_BYTES, progress=progress)
    progress(f"cyberframe MCP server ready on stdio: {len(backend.toolbox.specs())} tools")
    serve_stdio(backend)
