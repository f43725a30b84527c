"""The app factory (DESIGN.md §4, after the Flask tutorial): ``create_app(test_config=None)``.

Nothing happens at import time. :func:`create_app` loads the knowledge graph
once (from the snapshot when it is fresh), adds any extra graphs, and keeps
the live objects - dataset, query executor, answer cache - in
``app.extensions["cyberframe"]`` (an :class:`~.endpoint.Endpoint`), shared by
every request. Configuration comes from :data:`DEFAULTS`, then from
``CYBERFRAME_*`` environment variables (``CYBERFRAME_SPARQL_TIMEOUT=5``), then
from *test_config*. Any WSGI server can host the app, e.g.
``gunicorn 'cyberframe.service:create_app()'``; ``cyberframe serve`` runs it
on waitress.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS

from ..knowledge import KnowledgeGraph
from ..sparql.cache import AnswerCache
from ..sparql.dataset import serve_dataset
from ..sparql.engine import EXTENSION, ROW_LIMIT_HEADER, ROWS_HEADER, TRUNCATED_HEADER, Endpoint, Limits
from ..sparql.executor import QueryExecutor
from ..sparql.worker import WorkerSettings
from .accesslog import AccessLog
from .errors import register_error_handlers

DEFAULTS: dict[str, Any] = {
    "SPARQL_TIMEOUT": 10.0,  # seconds per query, waiting for a worker included
    "SPARQL_MAX_ROWS": 10_000,  # solutions (SELECT) or triples (CONSTRUCT/DESCRIBE) per answer
    "SPARQL_MAX_QUERY_LENGTH": 100_000,  # characters of SPARQL text
    "MAX_CONTENT_LENGTH": 1 << 20,  # bytes of request body (Flask answers 413 beyond)
    "SPARQL_WORKERS": None,  # query worker processes; None: one per CPU
    "SPARQL_MAX_WAITING": 16,  # requests that may wait for a busy worker before 503
    "SPARQL_CACHE_BYTES": 64 << 20,  # answer cache; 0 switches it off
    "SPARQL_CACHE_ENTRY_BYTES": 4 << 20,  # larger answers are not kept
    "SPARQL_WORKER_MEMORY": 4 << 30,  # address space per worker, bytes; 0: no limit
    "SPARQL_ISOLATE_NETWORK": True,  # workers leave the network (Linux namespaces) where possible
    "SPARQL_START_WORKERS": False,  # start the workers in create_app rather than on the first query
    "ACCESS_LOG": True,  # one log line per request (logger cyberframe.access)
}


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    knowledge_graph: KnowledgeGraph | None = None,
    extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = (),
) -> Flask:
    """Build the Flask app serving the SPARQL 1.1 endpoint and its sibling routes.

    *knowledge_graph* defaults to :func:`cyberframe.knowledge.open_knowledge_graph`;
    *extra_graphs* maps graph IRIs to RDF files served as further named graphs
    (raises :class:`~.dataset.GraphFileError` for a bad one).
    """
    app = Flask(__name__, static_folder=None)  # the site blueprint serves /static
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("CYBERFRAME")
    if test_config is not None:
        app.config.from_mapping(test_config)
    config = app.config

    if knowledge_graph is None:
        from ..knowledge import open_knowledge_graph

        knowledge_graph = open_knowledge_graph()
    dataset = serve_dataset(knowledge_graph, extra_graphs)
    executor = QueryExecutor(
        dataset.nquads(),
        workers=int(config["SPARQL_WORKERS"] or os.cpu_count() or 1),
        max_waiting=int(config["SPARQL_MAX_WAITING"]),
        settings=WorkerSettings(
            isolate_network=bool(config["SPARQL_ISOLATE_NETWORK"]),
            memory_limit=int(config["SPARQL_WORKER_MEMORY"]) or None,
        ),
    )
    weakref.finalize(app, executor.close)
    cache = AnswerCache(
        int(config["SPARQL_CACHE_BYTES"]),
        int(config["SPARQL_CACHE_ENTRY_BYTES"]),
        max_waiters=int(config["SPARQL_MAX_WAITING"]),
    )
    limits = Limits(
        timeout=float(config["SPARQL_TIMEOUT"]),
        max_rows=int(config["SPARQL_MAX_ROWS"]),
        max_query_length=int(config["SPARQL_MAX_QUERY_LENGTH"]),
    )
    app.extensions[EXTENSION] = Endpoint(dataset, executor, cache, limits)
    from ..named_queries import QueryCatalogue
    from .api.queries import CATALOGUE

    app.extensions[CATALOGUE] = QueryCatalogue(knowledge_graph)
    if config["SPARQL_START_WORKERS"]:
        executor.start()

    from .api import endpoint as sparql
    from .api import status

    register_error_handlers(app)
    app.register_blueprint(sparql.bp)
    from .site.pages import register_pages  # the web UI and linked-data pages (issue 6)

    register_pages(app)
    app.register_blueprint(status.bp)
    from .api import dump, queries

    app.register_blueprint(queries.bp)
    app.register_blueprint(dump.bp)
    # A read-only, credential-free service: any origin may read it (Fetch standard, CORS protocol).
    CORS(
        app,
        origins="*",
        send_wildcard=True,
        methods=["GET", "HEAD", "POST", "OPTIONS"],
        expose_headers=["ETag", "Last-Modified", TRUNCATED_HEADER, ROW_LIMIT_HEADER, ROWS_HEADER],
        max_age=86400,
    )
    if config["ACCESS_LOG"]:
        app.wsgi_app = AccessLog(app.wsgi_app)  # type: ignore[method-assign]
    return app
