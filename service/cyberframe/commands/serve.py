"""``cyberframe serve``: the service on a production WSGI server, on every core (docs/serving.md).

The app comes from :func:`cyberframe.service.create_app`, built once in this
process. On POSIX it is served by gunicorn: the app is preloaded and forked
into ``--http-workers`` processes (default one per CPU), each with ``--threads``
threads (gthread) and its own query workers, answer cache and ``/health``
figures; all processes share the one read-only store (:mod:`cyberframe.sparql.shared_store`).
Elsewhere (no fork) it is served by waitress in this one process. Every flag
but ``--graph`` is a row of the settings table (:mod:`cyberframe.settings`):
a flag wins over its environment variable, which wins over the default.

SIGTERM drains: the listening socket is closed, requests in progress finish
(within the query time limit and a margin), idle keep-alive connections are
closed, the query worker processes are stopped, and the server exits 0.
SIGINT (Ctrl-C) stops at once, equally cleanly.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..settings import Settings, SettingsError, explain, rows

if TYPE_CHECKING:
    from flask import Flask

    from ..sparql.engine import SparqlEngine

log = logging.getLogger("cyberframe.serve")
#: Seconds a drain waits beyond the query time limit for requests in progress.
DRAIN_MARGIN = 5.0
#: Seconds an idle keep-alive connection is kept open.
KEEPALIVE = 5


def graph_pair(value: str) -> tuple[str, Path]:
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
    extra = [graph_pair(value) for value in graphs]
    _configure_logging(quiet=not settings.access_log)

    from ..errors import CyberframeError
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
    except CyberframeError as exc:  # an unreadable --store-auth-file
        raise click.UsageError(exc.message) from exc
    engine = app.extensions[EXTENSION].engine
    if settings.store:
        _check_store(engine, settings)
    log.info(
        "%d triples in %d graphs (build %s, store %s)",
        engine.dataset.default_graph_triples,
        len(engine.dataset.graphs),
        kg.build_hash[:12],
        engine.dataset.store_path,
    )
    # Everything loaded so far lives as long as the server: keep it out of the collector's way (p99 latency).
    gc.collect()
    gc.freeze()
    if _gunicorn_available():
        _run_gunicorn(app, settings, started)
    else:
        _run_waitress(app, settings, started)


def _check_store(engine: SparqlEngine, settings: Settings) -> None:
    """Exit 2 unless the remote store answers (retrying for ``store_wait`` seconds) and holds the dataset:
    the triples of every graph of the served dataset, counted in the store, equal the build's."""
    from ..sparql.remote import RemoteExecutor

    executor = engine.executor
    assert isinstance(executor, RemoteExecutor)
    deadline = time.monotonic() + settings.store_wait
    attempt = 0
    while not executor.probe():
        attempt += 1
        error = executor.status()["store"]["last_error"]
        if time.monotonic() >= deadline:
            engine.close()
            click.echo(f"Error: the store at {executor.label} cannot be reached: {error}", err=True)
            if not settings.store_wait:
                click.echo("(--store-wait SECONDS keeps retrying while the store starts)", err=True)
            sys.exit(2)
        delay = min(2.0 ** min(attempt, 4) / 4, max(0.0, deadline - time.monotonic()))
        log.info("the store at %s is not reachable yet (%s); retrying in %.1f s", executor.label, error, delay)
        time.sleep(delay)
    from ..triplestore import StoreClient, StoreConfig, StoreError, read_auth_file, verify_loaded

    user, password = read_auth_file(Path(settings.store_auth_file)) if settings.store_auth_file else (None, None)
    try:
        with StoreClient(StoreConfig(executor.query_url, None, user, password), timeout=60.0) as client:
            problems = verify_loaded(client, engine.dataset.graphs)
    except StoreError as exc:
        engine.close()
        click.echo(f"Error: cannot count the triples of the dataset in the store: {exc.message}", err=True)
        sys.exit(2)
    if problems:
        engine.close()
        click.echo(f"Error: the store at {executor.label} does not hold this build of the dataset "
                   f"(build {engine.dataset.kg.build_hash[:12]}):", err=True)
        for problem in problems[:10]:
            click.echo(f"  {problem}", err=True)
        graphs = " ".join(f"--graph {g.iri}={g.path}" for g in engine.dataset.extra)
        click.echo(f"Load it with: cyberframe load --store {executor.label}{' ' + graphs if graphs else ''}", err=True)
        sys.exit(2)
    log.info("the store at %s answers and holds the dataset (%d graphs, triples counted per graph)",
             executor.label, len(engine.dataset.graphs))


def _gunicorn_available() -> bool:
    if os.name != "posix":
        return False
    try:
        import gunicorn.app.base  # noqa: F401
    except ImportError:
        return False
    return True


def _listening(settings: Settings, port: int, started: float, processes: str) -> None:
    log.info(
        "listening on http://%s:%s/sparql (timeout %g s, max rows %d; %s), started in %.2f s",
        settings.host,
        port,
        settings.timeout,
        settings.max_rows,
        processes,
        time.perf_counter() - started,
    )


def _run_gunicorn(app: Flask, settings: Settings, started: float) -> None:
    """Serve *app* with gunicorn: preloaded, forked into ``http_workers`` gthread processes."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter
    from gunicorn.workers.base import Worker

    from ..web.state import EXTENSION

    engine = app.extensions[EXTENSION].engine
    try:  # bound here, not by gunicorn: an address in use is a usage error at once, not five retries
        listener = socket.create_server(
            (settings.host, settings.port),
            family=socket.AF_INET6 if ":" in settings.host else socket.AF_INET,
            backlog=2048,
        )
    except OSError as exc:
        engine.close()
        click.echo(f"Error: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}", err=True)
        sys.exit(2)  # exit 2, bad input: the address is in use or not ours
    port = listener.getsockname()[1]

    def when_ready(_server: Arbiter) -> None:
        _listening(settings, port, started, f"{settings.http_worker_count} HTTP processes x {settings.threads} threads")

    def post_worker_init(_worker: Worker) -> None:
        # After gunicorn's signal handlers are in place, so that a SIGTERM during start-up still stops it.
        engine.executor.start()
        _start_validation(app)
        log.info("HTTP process %d: %s", os.getpid(), _pool_text(engine.executor.status()))

    def worker_exit(_server: Arbiter, _worker: Worker) -> None:
        engine.close()

    def on_exit(_server: Arbiter) -> None:
        log.info("stopped")

    options: dict[str, object] = {
        "bind": [f"fd://{listener.fileno()}"],
        "workers": settings.http_worker_count,
        "worker_class": "gthread",
        "threads": settings.threads,
        "preload_app": True,
        # A request in progress may run a query up to the time limit; the drain waits for it.
        "graceful_timeout": math.ceil(settings.timeout + DRAIN_MARGIN),
        "timeout": math.ceil(max(30.0, 3 * settings.timeout)),
        "keepalive": KEEPALIVE,
        # The request line carries GET queries: bounded at 1 MiB by gunicorn; the app answers 413 past the
        # query length limit.
        "limit_request_line": 0,
        "forwarded_allow_ips": "",  # trust no proxy's X-Forwarded-* (as waitress's clear_untrusted_proxy_headers)
        "accesslog": None,  # the app writes one line per request (cyberframe.access)
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "cyberframe",
        "when_ready": when_ready,
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
        "on_exit": on_exit,
    }

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    master = os.getpid()
    try:
        Server().run()  # the forked HTTP processes leave through here too, with SystemExit
    finally:
        if os.getpid() == master:
            with contextlib.suppress(OSError):  # gunicorn may have closed it already
                listener.close()
            engine.close()


def _pool_text(status: dict[str, object]) -> str:
    """What runs the queries, for the start-up log: the worker pool, or the remote store's connections."""
    store = status.get("store")
    if isinstance(store, dict):
        return f"up to {status['size']} concurrent queries on the store at {store['url']}"
    isolated = "yes" if status["network_isolated"] else "no"
    return f"{status['alive']} query workers ready (network isolated: {isolated})"


def _start_validation(app: Flask) -> None:
    """Start this process's validation workers in the background, so the first validation does not wait."""
    if "validator.run" in app.view_functions:
        from ..web.site.validator import start_pool

        with app.app_context():
            start_pool()


def _run_waitress(app: Flask, settings: Settings, started: float) -> None:
    """Serve *app* with waitress, threads in this one process (platforms without fork)."""
    from waitress.server import create_server

    from ..web.state import EXTENSION

    engine = app.extensions[EXTENSION].engine
    engine.executor.start()
    _start_validation(app)
    log.info("%s", _pool_text(engine.executor.status()))
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
    _listening(settings, getattr(server, "effective_port", settings.port), started, f"{settings.threads} threads")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        engine.close()
        log.info("stopped")
