"""The HTTP service: one Flask app with two faces over one SPARQL engine (docs/http.md, docs/architecture.md).

:mod:`.api` answers machines (the SPARQL 1.1 Protocol, named queries, dumps,
status); :mod:`.site` answers people (pages). What both use lives here: the
app factory (:mod:`.app`), the app state (:mod:`.state`), content negotiation
(:mod:`.negotiation`) and responses (:mod:`.responses`).
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
