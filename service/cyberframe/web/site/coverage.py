"""The coverage page: upload or paste a Statement of Applicability, see its coverage and gaps (docs/coverage.md).

``GET /coverage`` shows the form; the form posts to ``POST /coverage``
(:mod:`cyberframe.web.api.coverage`), which asks :func:`coverage_page` for the
HTML when a browser wants it. The report carries an SVG heatmap (functions x
categories, shaded by the share covered, each cell linked to its gaps) and
download links for the same report as JSON, CSV and a standalone HTML page.
"""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response
from markupsafe import Markup

from ...coverage import FRAMEWORK_SETS, Report
from ...coverage_render import render, report_body
from ...sparql.cache import Answer
from ...sparql.formats import HTML
from ..negotiation import choose
from ..responses import send
from .context import html_answer, site

bp = Blueprint("coverage", __name__)


def _context() -> dict[str, Any]:
    return {"max_bytes": site().settings.validate_max_bytes, "sets": list(FRAMEWORK_SETS.items())}


@bp.route("/coverage", methods=["GET"])
def form() -> Response:
    """The coverage page: a form for the SoA."""
    choose((HTML,))
    return send(html_answer("coverage.html", report=None, problem=None, **_context()))


def _data_uri(media_type: str, text: str) -> str:
    return f"data:{media_type};base64,{base64.b64encode(text.encode('utf-8')).decode('ascii')}"


def coverage_page(report: Report | None, problem: str | None, status: int) -> Answer:
    """The report (or the problem with the input) as a page, for ``POST /coverage`` from a browser."""
    downloads = []
    body = None
    if report is not None:
        body = Markup(report_body(report))  # every value in it is escaped by coverage_render
        downloads = [
            ("coverage.json", "JSON", _data_uri("application/json", render(report, "json"))),
            ("coverage.csv", "CSV", _data_uri("text/csv", render(report, "csv"))),
            ("coverage.html", "HTML", _data_uri("text/html", render(report, "html"))),
        ]
    return html_answer("coverage.html", status, report=report, body=body, problem=problem,
                       downloads=downloads, **_context())
