"""The live objects of one app, kept in ``app.extensions`` (the Flask tutorial's pattern), and their accessor.

The app factory builds one :class:`AppState`; every request thread shares it.
Nothing here is a module global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from ..named_queries import QueryCatalogue
from ..settings import Settings
from ..sparql.cache import Answer
from ..sparql.engine import SparqlEngine

EXTENSION = "cyberframe"


@dataclass
class AppState:
    """What the routes of one app share: its settings, the SPARQL engine and the named queries."""

    settings: Settings
    engine: SparqlEngine
    catalogue: QueryCatalogue
    pages: dict[str, Callable[..., Answer]] = field(default_factory=dict)
    """HTML the web site renders for protocol routes when a browser asks, by name: ``editor`` (``GET /sparql``
    without a query), ``results`` (``GET /sparql?query=``), ``catalogue`` (``GET /queries``), ``named_query``
    (``GET /queries/NAME``), ``status`` (``/health``, ``/stats``) and ``error``. Empty when the site is not
    installed: the protocol routes then offer no HTML."""

    def page(self, name: str) -> Callable[..., Answer] | None:
        return self.pages.get(name)


def state() -> AppState:
    """The :class:`AppState` of the app handling the current request."""
    state: AppState = current_app.extensions[EXTENSION]
    return state
