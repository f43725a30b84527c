"""The protocol face of the service: the SPARQL 1.1 Protocol endpoint, named queries, dumps and status.

Routes answer machines: SPARQL results, RDF, JSON. They share the web
package's negotiation, conditional responses and error rendering, and never
render a page (docs/http.md lists every route).
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Install the protocol routes on *app*."""
    from . import coverage, dump, endpoint, openapi, queries, status

    app.extensions[endpoint.PLANS] = endpoint.PlanMemo()
    for module in (endpoint, queries, openapi, dump, status, coverage):
        app.register_blueprint(module.bp)
