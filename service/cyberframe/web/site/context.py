"""What every HTML page shares: the live page objects, links from IRIs, content negotiation, caching.

* :class:`Site` (``app.extensions["cyberframe-pages"]``) holds what the pages
  build once: the :class:`~.graph_index.GraphIndex`, rendered pictures and
  exports. Nothing is a module global.
* :func:`href` turns an IRI into the link a page shows: an IRI under the
  public base (setting ``public_base``, docs/settings.md) becomes the local
  path that dereferences it (Cool URIs for the Semantic Web, §4: the IRI and
  the page are one resource), any other IRI stays as it is.
* :func:`respond` answers a GET with a page through
  :func:`cyberframe.web.responses.respond`: its ETag and ``Last-Modified``
  (RFC 9110 §8.8), 304 for a revalidation, the bytes kept in the answer cache:
  the data are frozen, so a page is the same bytes until the next build.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ... import __version__
from ...named_queries import QueryCatalogue
from ...namespaces import curie as to_curie
from ...settings import Settings
from ...sparql.cache import Answer
from ...sparql.engine import SparqlEngine
from ...sparql.formats import HTML
from .. import responses
from ..memo import BoundedMemo
from ..negotiation import prefers_html
from ..state import EXTENSION as STATE
from ..state import AppState
from .graph_index import GraphIndex, Name

EXTENSION = "cyberframe-pages"
#: The memo of :meth:`Site.route_exists`: paths come from clients (``/cyberframe/<path>``), so it is bounded.
ROUTE_MEMO_SIZE = 4096
ROUTE_MEMO_BYTES = 1 << 20
ROUTE_MEMO_PATH = 1024  # bytes of one entry at most; longer paths are matched afresh every time
ROUTE_OVERHEAD = 200  # bytes of one entry beyond its path


class Site:
    """The page-side live objects of one app, built on first use (the Flask tutorial's ``app.extensions``)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.state: AppState = app.extensions[STATE]
        self._lock = threading.RLock()
        self._routes: BoundedMemo[bool] = BoundedMemo(ROUTE_MEMO_SIZE, ROUTE_MEMO_BYTES, ROUTE_MEMO_PATH)
        self._made: dict[str, Any] = {}  #: pictures, exports and documents made once

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def engine(self) -> SparqlEngine:
        return self.state.engine

    @property
    def public_base(self) -> str:
        return self.settings.base

    @property
    def index(self) -> GraphIndex:
        """Names, classes, tree and mapping records of the served knowledge graph (built once)."""
        return self.memo("index", lambda: GraphIndex(self.engine.dataset.kg))

    @property
    def catalogue(self) -> QueryCatalogue:
        """The app's named queries (one catalogue per app, shared with ``/queries``)."""
        return self.state.catalogue

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """Something made once per app (a picture, an export, a document); the first caller makes it."""
        if key not in self._made:
            with self._lock:
                if key not in self._made:
                    self._made[key] = make()
        return self._made[key]

    def route_exists(self, path: str) -> bool:
        """True if some route of this app answers GET *path* (so pages only link to what exists)."""
        known = self._routes.get(path)
        if known is not None:
            return known
        adapter = self.app.url_map.bind("localhost")
        try:
            adapter.match(path, method="GET")
            found = True
        except RequestRedirect:
            found = True
        except HTTPException:
            found = False
        self._routes.put(path, found, len(path) + ROUTE_OVERHEAD)  # a long path is not kept
        return found


def site() -> Site:
    """The :class:`Site` of the app handling the current request."""
    current: Site = current_app.extensions[EXTENSION]
    return current


# --- links --------------------------------------------------------------------------------------


def href(iri: str) -> str | None:
    """The link for *iri*: a local path for the IRIs this service dereferences, else the IRI itself.

    Named graphs (``.../graph/...``) have no page of their own: None.
    """
    base = site().public_base
    if not iri.startswith(base):
        return iri if iri.startswith(("http://", "https://")) else None
    rest = iri[len(base) :]
    if rest.startswith("id/") and len(rest) > 3:
        return url_for("linked_data.entity", key=rest[3:])
    for document in ("ontology", "shapes"):
        if rest == document or rest.startswith(document + "#"):
            fragment = rest[len(document) :]
            return url_for(f"linked_data.{document}") + fragment
    if rest == "context.jsonld":
        return url_for("status.jsonld_context")
    return None


def curie(iri: str) -> str:
    """``cf:references``, ``cfid:function/DE``, ``skos:broader``; the IRI itself if no prefix fits."""
    return to_curie(iri) or iri


def name_of(iri: str) -> Name:
    return site().index.name(iri)


def display(iri: str) -> str:
    """What a link to *iri* reads: notation and label; ``8.1.1 → 5.9`` for a mapping record; else a CURIE."""
    index = site().index
    record = index.records.get(iri)
    if record is not None:
        ends = [index.name(end).notation or curie(end) for end in (record.subject, record.object)]
        return " → ".join(ends)
    return index.name(iri).text or curie(iri)


# --- answering ----------------------------------------------------------------------------------


def wants_html() -> bool:
    """True if the client prefers HTML to plain text and JSON (a browser)."""
    return prefers_html()


def html_answer(template: str, status: int = 200, **context: Any) -> Answer:
    return Answer(status, render_template(template, **context).encode("utf-8"), HTML.content_type)


def respond(make: Callable[[], Answer], *key: object) -> Response:
    """Send the page *make* builds for this request's path and query (*key*: what else selects it)."""
    # The host is part of the key: pages show absolute URLs (the endpoint), built from it unless public_url is set.
    parts = ("page", request.root_url, request.path, request.query_string, *key)
    return responses.respond(parts, make)


def template_globals() -> dict[str, Any]:
    """What every template can use (registered as a context processor)."""
    current = site()
    return {
        "href": href,
        "curie": curie,
        "name_of": name_of,
        "display": display,
        "ordered": lambda iris: current.index.ordered(iris),
        "route_exists": current.route_exists,
        "version": __version__,
        "build_hash": current.engine.dataset.kg.build_hash,
        "public_base": current.public_base,
    }
