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
    renders for protocol routes (the editor at ``GET /sparql``, the catalogue at ``GET /queries``)."""
    from ..state import EXTENSION as STATE
    from . import coverage, editor, heatmap, linked_data, pages, validator
    from .context import EXTENSION, Site, template_globals

    app.extensions[EXTENSION] = Site(app)
    app.context_processor(template_globals)
    for module in (pages, linked_data, heatmap, editor, validator, coverage):
        app.register_blueprint(module.bp)
    pages_for_api = app.extensions[STATE].pages
    pages_for_api["editor"] = editor.editor_page
    pages_for_api["catalogue"] = pages.catalogue_page
    pages_for_api["coverage"] = coverage.coverage_page
