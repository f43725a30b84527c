"""``cyberframe serve``: the SPARQL 1.1 endpoint on a production WSGI server (issue 4, DESIGN.md §4-§5).

The app comes from :func:`cyberframe.service.create_app`; it is served by
waitress in one process (threads), with one log line per request. Measured
with ``bench/sparql_http.py``, that meets the issue's targets against the
Oxigraph server while keeping one answer cache, one pool of query workers and
one ``/health`` for the whole service; gunicorn with two processes answers
more requests per second at high concurrency and runs the same app
(``gunicorn -k gthread -w 2 --threads 8 'cyberframe.service:create_app()'``).
SIGINT and SIGTERM stop the server cleanly: the listening socket is closed,
requests in progress are given a moment to finish, and the query worker
processes are stopped.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import time
from pathlib import Path

import click

log = logging.getLogger("cyberframe.serve")


def _graph_pair(value: str) -> tuple[str, Path]:
    """``IRI=FILE`` -> (IRI, FILE); the split is at the last ``=`` (IRIs may hold ``=``, file names rarely do)."""
    iri, sep, file = value.rpartition("=")
    if not sep or not iri or not file:
        raise click.BadParameter(f"expected IRI=FILE, got {value!r}", param_hint="'--graph'")
    path = Path(file)
    if not path.is_file():
        raise click.BadParameter(f"{file}: no such file", param_hint="'--graph'")
    return iri, path


def _configure_logging(quiet: bool) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    access = logging.getLogger("cyberframe.access")
    access.propagate = False
    if not access.handlers:
        plain = logging.StreamHandler(sys.stderr)
        plain.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(plain)
    access.setLevel(logging.WARNING if quiet else logging.INFO)


def _stop(signum: int, _frame) -> None:
    """Turn SIGTERM into the same orderly exit as Ctrl-C (waitress stops its loop on SystemExit)."""
    log.info("received %s, stopping", signal.Signals(signum).name)
    raise SystemExit(0)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="TCP port; 0 picks a free one."
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="Query worker processes  [default: one per CPU]"
)
@click.option("--threads", type=click.IntRange(2, 512), default=16, show_default=True, help="HTTP server threads.")
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, help="Time limit per query, seconds."
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Solutions or triples per answer; more are cut and flagged (X-Cyberframe-Truncated).",
)
@click.option(
    "--cache-mb", type=click.IntRange(min=0), default=64, show_default=True, help="Answer cache in MiB; 0: none."
)
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    metavar="IRI=FILE",
    help="Also serve an RDF file (Turtle, N-Triples, N3, RDF/XML, JSON-LD; by extension) as named graph IRI.",
)
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
def serve(
    host: str,
    port: int,
    workers: int | None,
    threads: int,
    timeout: float,
    max_rows: int,
    cache_mb: int,
    graphs: tuple[str, ...],
    quiet: bool,
) -> None:
    """Serve the knowledge graph over the SPARQL 1.1 Protocol at http://HOST:PORT/sparql."""
    extra = [_graph_pair(value) for value in graphs]
    _configure_logging(quiet)
    from waitress import create_server

    from ..knowledge import open_knowledge_graph
    from ..service import create_app
    from ..sparql.dataset import GraphFileError
    from ..sparql.engine import EXTENSION

    started = time.perf_counter()
    kg = open_knowledge_graph(progress=lambda message: log.info("%s", message))
    config = {
        "SPARQL_TIMEOUT": timeout,
        "SPARQL_MAX_ROWS": max_rows,
        "SPARQL_CACHE_BYTES": cache_mb << 20,
        "SPARQL_WORKERS": workers,
        "SPARQL_MAX_WAITING": max(threads - 4, 1),  # keep threads free for /health and cached answers
    }
    try:
        app = create_app(config, knowledge_graph=kg, extra_graphs=extra)
    except GraphFileError as exc:
        raise click.BadParameter(str(exc), param_hint="'--graph'") from exc
    endpoint = app.extensions[EXTENSION]
    endpoint.executor.start()
    status = endpoint.executor.status()
    log.info(
        "%d triples in %d graphs (build %s); %d query workers ready (network isolated: %s)",
        endpoint.dataset.default_graph_triples,
        len(endpoint.dataset.graphs),
        kg.build_hash[:12],
        status["alive"],
        "yes" if status["network_isolated"] else "no",
    )
    body_limit = int(app.config["MAX_CONTENT_LENGTH"])
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="cyberframe",
            # waitress cuts off bodies far over the limit; the app answers 413 to the rest, once they are read
            max_request_body_size=16 * body_limit,
            max_request_header_size=4 * int(app.config["SPARQL_MAX_QUERY_LENGTH"]) + 65536,
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        endpoint.executor.close()
        click.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(2)  # bad input (DESIGN.md §5): the address is in use or not ours
    signal.signal(signal.SIGTERM, _stop)
    # Everything loaded so far lives as long as the server: keep it out of the collector's way (p99 latency).
    gc.collect()
    gc.freeze()
    bound = getattr(server, "effective_port", port)
    log.info(
        "listening on http://%s:%s/sparql (timeout %g s, max rows %d), started in %.2f s",
        host,
        bound,
        timeout,
        max_rows,
        time.perf_counter() - started,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        endpoint.executor.close()
        log.info("stopped")
