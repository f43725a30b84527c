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
from ...exports.jsonld import context_bytes
from ...sparql.cache import Answer
from ...sparql.engine import current_endpoint
from ..responses import is_fresh, not_modified, send

bp = Blueprint("status", __name__)


def _json(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload, indent=1) + "\n", status=status, content_type="application/json")


@bp.route("/health", methods=["GET"])
def health() -> Response:
    """Liveness and readiness, with the build hash of the data being served."""
    endpoint = current_endpoint()
    ready = endpoint.executor.ready
    workers = endpoint.executor.status()
    state = "unavailable" if not ready else "recovering" if workers["alive"] < workers["size"] else "ok"
    payload = {
        "status": state if workers["started"] else "ok",
        "live": True,
        "ready": ready,
        "version": __version__,
        "build_hash": endpoint.dataset.kg.build_hash,
        "dataset_version": endpoint.dataset.version,
        "uptime_seconds": round(time.time() - endpoint.started, 3),
        "timeout_seconds": endpoint.limits.timeout,
        "max_rows": endpoint.limits.max_rows,
        "workers": workers,
        "cache": endpoint.cache.status(),
    }
    response = _json(payload, 200 if ready else 503)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/stats", methods=["GET"])
def stats() -> Response:
    """Triples per graph, instances per class, versions and build hash (``cyberframe stats --format json``)."""
    endpoint = current_endpoint()
    etag, last_modified = endpoint.etag("stats"), endpoint.dataset.last_modified
    if is_fresh(request, etag, last_modified):
        return not_modified(etag, last_modified)
    body = (json.dumps(endpoint.stats, indent=1) + "\n").encode()
    return send(Answer(200, body, "application/json"), etag, last_modified)


@bp.route("/context.jsonld", methods=["GET"])
def jsonld_context() -> Response:
    """The JSON-LD context every JSON-LD answer is compacted with (JSON-LD 1.1 §3.1; cyberframe.exports.jsonld)."""
    endpoint = current_endpoint()
    etag, last_modified = endpoint.etag("context.jsonld"), endpoint.dataset.last_modified
    if is_fresh(request, etag, last_modified):
        return not_modified(etag, last_modified)
    return send(Answer(200, context_bytes(), "application/ld+json"), etag, last_modified)
