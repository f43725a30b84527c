"""``/health``, ``/stats`` and ``/context.jsonld``: the service about itself.

``/health`` answers from memory only - it never waits for a query worker - so
it keeps answering while every worker is busy with a slow query. It is 200
when the service can answer queries (readiness) and 503 otherwise; any answer
at all means the process is alive (liveness).
"""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, request

from ... import __version__
from ...api import export
from ...sparql.cache import Answer
from ..negotiation import prefers_html
from ..responses import respond, uncacheable
from ..state import state

bp = Blueprint("status", __name__)


def _json(payload: dict[str, object]) -> bytes:
    return (json.dumps(payload, indent=1) + "\n").encode()


@bp.route("/health", methods=["GET"])
def health() -> Response:
    """Liveness and readiness, with the build hash of the data being served."""
    engine = state().engine
    ready = engine.executor.ready
    workers = engine.executor.status()
    status = "unavailable" if not ready else "recovering" if workers["alive"] < workers["size"] else "ok"
    payload = {
        "status": status if workers["started"] else "ok",
        "live": True,
        "ready": ready,
        "version": __version__,
        "build_hash": engine.dataset.kg.build_hash,
        "dataset_version": engine.dataset.version,
        "uptime_seconds": round(time.time() - engine.started, 3),
        "timeout_seconds": engine.limits.timeout,
        "max_rows": engine.limits.max_rows,
        "workers": workers,
        "cache": engine.cache.status(),
    }
    status_code = 200 if ready else 503
    page = state().page("status") if prefers_html() else None
    if page is not None:
        answer = page("health", payload, status_code)
        return uncacheable(Response(answer.body, status=status_code, content_type=answer.content_type))
    return uncacheable(Response(_json(payload), status=status_code, content_type="application/json"))


@bp.route("/stats", methods=["GET"])
def stats() -> Response:
    """Triples per graph, instances per class, versions and build hash (``cyberframe stats --format json``)."""
    current = state()
    engine = current.engine
    page = current.page("status") if prefers_html() else None
    if page is not None:
        return respond(("stats-page", request.script_root), lambda: page("stats", engine.stats))
    return respond(("stats",), lambda: Answer(200, _json(engine.stats), "application/json"), keep=False)


@bp.route("/context.jsonld", methods=["GET"])
def jsonld_context() -> Response:
    """The JSON-LD context every JSON-LD answer is compacted with (JSON-LD 1.1 §3.1; cyberframe.exports.jsonld)."""
    return respond(("context.jsonld",), lambda: Answer(200, export("context"), "application/ld+json"), keep=False)
