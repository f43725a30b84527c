"""The app factory (after the Flask tutorial): ``create_app(settings=None)``.

Nothing happens at import time. :func:`create_app` loads the knowledge graph
once (from the snapshot when it is fresh), adds any extra graphs, builds the
SPARQL engine (dataset, query workers, answer cache) and the named-query
catalogue, and keeps them in ``app.extensions`` (:class:`~.state.AppState`).
Then it installs the two faces of the service: the protocol API
(:mod:`.api`) and the web site (:mod:`.site`). Settings come from
:class:`cyberframe.settings.Settings` (flags or the caller's values, then
``CYBERFRAME_*`` environment variables, then defaults). Any WSGI server can
host the app, e.g. ``gunicorn 'cyberframe.service:create_app()'``;
``cyberframe serve`` runs it on waitress.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask_cors import CORS

from ..knowledge import KnowledgeGraph
from ..named_queries import QueryCatalogue
from ..settings import Settings
from ..sparql.cache import AnswerCache
from ..sparql.dataset import serve_dataset
from ..sparql.engine import ROW_LIMIT_HEADER, ROWS_HEADER, TRUNCATED_HEADER, Limits, SparqlEngine
from ..sparql.executor import QueryExecutor
from ..sparql.worker import WorkerSettings
from . import security
from .accesslog import AccessLog
from .responses import register_error_handlers
from .state import EXTENSION, AppState

MIB = 1 << 20


def build_engine(
    settings: Settings,
    knowledge_graph: KnowledgeGraph,
    extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = (),
) -> SparqlEngine:
    """The SPARQL engine for *knowledge_graph* plus *extra_graphs*, limited as *settings* say."""
    dataset = serve_dataset(knowledge_graph, extra_graphs)
    executor = QueryExecutor(
        dataset.nquads(),
        workers=settings.worker_count,
        max_waiting=settings.waiting_limit,
        settings=WorkerSettings(
            isolate_network=settings.isolate_network,
            memory_limit=settings.worker_memory_mb * MIB or None,
        ),
    )
    cache = AnswerCache(settings.cache_mb * MIB, settings.cache_entry_mb * MIB, max_waiters=settings.waiting_limit)
    limits = Limits(settings.timeout, settings.max_rows, settings.max_query_length, settings.max_answer_bytes)
    return SparqlEngine(dataset, executor, cache, limits)


def create_app(
    settings: Settings | Mapping[str, Any] | None = None,
    *,
    knowledge_graph: KnowledgeGraph | None = None,
    extra_graphs: Mapping[str, str | Path] | Iterable[tuple[str, str | Path]] = (),
) -> Flask:
    """Build the Flask app serving the SPARQL 1.1 endpoint, the named queries and the web pages.

    *settings* is a :class:`Settings`, or a mapping of setting names to values
    that take precedence over the environment (a test's configuration), or
    None for the environment and defaults alone. *knowledge_graph* defaults to
    :func:`cyberframe.knowledge.open_knowledge_graph`; *extra_graphs* maps
    graph IRIs to RDF files served as further named graphs (raises
    :class:`~cyberframe.sparql.dataset.GraphFileError` for a bad one).
    """
    if not isinstance(settings, Settings):
        settings = Settings.resolve(settings)
    app = Flask(__name__, static_folder=None)  # the site serves /static
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    security.install(app, settings)  # first: a malformed source list stops the app before the graph loads
    if knowledge_graph is None:
        from ..knowledge import open_knowledge_graph

        knowledge_graph = open_knowledge_graph()
    engine = build_engine(settings, knowledge_graph, extra_graphs)
    weakref.finalize(app, engine.close)
    app.extensions[EXTENSION] = AppState(settings, engine, QueryCatalogue(knowledge_graph))
    if settings.start_workers:
        engine.executor.start()

    from . import api, guard, site

    register_error_handlers(app)
    guard.install(app, settings)
    api.register(app)
    site.register(app)
    # A read-only, credential-free service: any origin may read it (Fetch standard, CORS protocol).
    CORS(
        app,
        origins="*",
        send_wildcard=True,
        methods=["GET", "HEAD", "POST", "OPTIONS"],
        expose_headers=["ETag", "Last-Modified", TRUNCATED_HEADER, ROW_LIMIT_HEADER, ROWS_HEADER],
        max_age=86400,
    )
    if settings.access_log:
        app.wsgi_app = AccessLog(app.wsgi_app)  # type: ignore[method-assign]
    return app
