"""``cyberframe serve``: the service on a production WSGI server (docs/serving.md).

The app comes from :func:`cyberframe.service.create_app`; it is served by
waitress in one process (threads), with one log line per request. Measured
with ``bench/sparql_http.py``, that keeps one answer cache, one pool of query
workers and one ``/health`` for the whole service; gunicorn with two
processes answers more requests per second at high concurrency and runs the
same app (``gunicorn -k gthread -w 2 --threads 8 'cyberframe.service:create_app()'``).
Every flag but ``--graph`` is a row of the settings table
(:mod:`cyberframe.settings`): a flag wins over its environment variable,
which wins over the default. SIGINT and SIGTERM stop the server cleanly: the
listening socket is closed, requests in progress are given a moment to
finish, and the query worker processes are stopped.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from ..settings import Settings, SettingsError, explain, rows

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


def _setting_options(command: Callable[..., None]) -> Callable[..., None]:
    """One option per row of the settings table that has a flag; not given means None (env, then default)."""
    for row in reversed(rows()):
        if row.flag is None:
            continue
        kind: click.ParamType | type
        if row.kind is bool:
            kind = bool
        elif row.kind is int:
            kind = click.IntRange(
                None if row.minimum is None else int(row.minimum), None if row.maximum is None else int(row.maximum)
            )
        elif row.kind is float:
            kind = click.FloatRange(row.minimum, row.maximum)
        else:
            kind = str
        help_text = f"{row.meaning}  [default: {row.default_text}; env: {row.env}]"
        command = click.option(row.flag, row.name, type=kind, default=None, help=help_text)(command)
    return command


@click.command("serve")
@_setting_options
@click.option(
    "--graph",
    "graphs",
    multiple=True,
    metavar="IRI=FILE",
    help="Also serve an RDF file (Turtle, N-Triples, N3, RDF/XML, JSON-LD; by extension) as named graph IRI.",
)
@click.option(
    "--print-settings",
    is_flag=True,
    help="Print the settings in force and where each comes from (flag, environment, default), then exit.",
)
def serve(graphs: tuple[str, ...], print_settings: bool, **given: object) -> None:
    """Serve the knowledge graph over the SPARQL 1.1 Protocol at http://HOST:PORT/sparql."""
    try:
        explained = list(explain(given))
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    if print_settings:
        for row, value, origin in explained:
            click.echo(f"{row.name:22s} {row.text(value):32s} {origin}")
        return
    settings = Settings(**{row.name: value for row, value, _ in explained})
    extra = [_graph_pair(value) for value in graphs]
    _configure_logging(quiet=not settings.access_log)
    from waitress.server import create_server

    from ..knowledge import open_knowledge_graph
    from ..service import create_app
    from ..sparql.dataset import GraphFileError
    from ..web.state import EXTENSION

    started = time.perf_counter()
    kg = open_knowledge_graph(progress=lambda message: log.info("%s", message))
    try:
        app = create_app(settings, knowledge_graph=kg, extra_graphs=extra)
    except GraphFileError as exc:
        raise click.BadParameter(str(exc), param_hint="'--graph'") from exc
    engine = app.extensions[EXTENSION].engine
    engine.executor.start()
    if "validator.run" in app.view_functions:  # the validation workers start while the server comes up
        from ..web.site.validator import start_pool

        with app.app_context():
            start_pool()
    status = engine.executor.status()
    log.info(
        "%d triples in %d graphs (build %s); %d query workers ready (network isolated: %s)",
        engine.dataset.default_graph_triples,
        len(engine.dataset.graphs),
        kg.build_hash[:12],
        status["alive"],
        "yes" if status["network_isolated"] else "no",
    )
    try:
        server = create_server(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.threads,
            ident="cyberframe",
            # waitress cuts off bodies far over the limit; the app answers 413 to the rest, once they are read
            max_request_body_size=16 * settings.max_body_bytes,
            max_request_header_size=4 * settings.max_query_length + 65536,
            clear_untrusted_proxy_headers=True,
        )
    except OSError as exc:
        engine.close()
        click.echo(f"Error: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", err=True)
        sys.exit(2)  # exit 2, bad input: the address is in use or not ours
    signal.signal(signal.SIGTERM, _stop)
    # Everything loaded so far lives as long as the server: keep it out of the collector's way (p99 latency).
    gc.collect()
    gc.freeze()
    bound = getattr(server, "effective_port", settings.port)
    log.info(
        "listening on http://%s:%s/sparql (timeout %g s, max rows %d), started in %.2f s",
        settings.host,
        bound,
        settings.timeout,
        settings.max_rows,
        time.perf_counter() - started,
    )
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        engine.close()
        log.info("stopped")
