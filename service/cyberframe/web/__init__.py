"""The HTTP service: a Flask app serving the SPARQL 1.1 Protocol over the knowledge graph (docs/http.md).

``create_app`` is loaded on first use (PEP 562), so that a query worker
process (:mod:`cyberframe.web.worker`) does not import Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
