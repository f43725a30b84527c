"""The web face of the service: pages for people, over the same engine and catalogue as the API.

Every page is rendered on the server from Jinja templates (``templates/``,
autoescaped) and works without JavaScript. The package holds the home page,
search and controls (:mod:`.pages`), the dereferenceable ``/id/...`` pages,
``/ontology`` and ``/shapes`` (:mod:`.linked_data`, :mod:`.entities`), the
heatmaps (:mod:`.heatmap`), the SPARQL editor and its results page
(:mod:`.editor`) and the validation page (:mod:`.validator`), all reading one
:class:`~.graph_index.GraphIndex` built once per app (docs/http.md, "Web pages").
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Install the web site on *app*: its live objects, blueprints, template helpers and the HTML it
    renders for protocol routes when a browser asks (the editor and results at ``GET /sparql``, the
    catalogue and each named query under ``/queries``, ``/health``, ``/stats`` and every error)."""
    from ..state import EXTENSION as STATE
    from . import assets, browse, editor, heatmap, linked_data, pages, service_pages, validator
    from .context import EXTENSION, Site, template_globals

    app.extensions[EXTENSION] = Site(app)
    app.context_processor(template_globals)
    app.add_template_global(assets.asset_url, "asset_url")
    # The plain names under the endpoint templates knew before fingerprinting (url_for("pages.static", ...)).
    app.add_url_rule("/static/<path:filename>", endpoint="pages.static", view_func=assets.static)
    for module in (pages, assets, browse, linked_data, heatmap, editor, validator):
        app.register_blueprint(module.bp)
    pages_for_api = app.extensions[STATE].pages
    pages_for_api["editor"] = editor.editor_page
    pages_for_api["catalogue"] = pages.catalogue_page
    pages_for_api["results"] = editor.results_page
    pages_for_api["named_query"] = service_pages.named_query_page
    pages_for_api["status"] = service_pages.status_page
    pages_for_api["error"] = service_pages.error_page
