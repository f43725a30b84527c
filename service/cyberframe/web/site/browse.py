"""Browsing as in Skosmos: search as you type (``/search/suggest``) and the alphabetical index (``/index``).

``GET /search/suggest?q=...`` answers JSON for the search boxes' suggestions
(static/cyberframe.js): the entities whose notation starts with the text,
then those whose label contains it, then those whose definition does, each
with its page. It reads an in-memory table built once per app from the
:class:`~.graph_index.GraphIndex` (no query runs), so an answer takes well
under a millisecond of server time. A browser that opens the address itself
is sent to the search page (one rule: HTML for browsers).

``GET /index?letter=A`` lists every named entity whose label starts with a
letter, with its notation and kind (SKOS §6.5 notations; labels §5).
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ...sparql.cache import Answer
from ..negotiation import prefers_html
from .context import href, html_answer, respond, site
from .graph_index import ID_NS, GraphIndex

bp = Blueprint("browse", __name__)

MAX_SUGGESTIONS = 10
MIN_TEXT = 2
MAX_TEXT = 100
OTHER = "#"  #: the index's group for labels that start with no letter


@dataclass(frozen=True)
class Entry:
    """One entity as the suggestions and the index show it."""

    iri: str
    notation: str
    label: str
    kind: str
    url: str
    definition: str
    folded: tuple[str, str, str]  #: notation, label, definition, case-folded
    framework: bool  #: a function, category or subcategory of ISO/IEC TS 27103 (ranked first among equals)

    def as_json(self) -> dict[str, str]:
        return {"iri": self.iri, "notation": self.notation, "label": self.label, "kind": self.kind, "url": self.url}


def _entries(index: GraphIndex) -> list[Entry]:
    entries = []
    for iri, name in index.names.items():
        if not iri.startswith(ID_NS) or not (name.label or name.notation):
            continue
        url = href(iri)
        if url is None:
            continue
        cls = index.main_class(iri)
        kind = (index.name(cls).label or "") if cls else ""
        definition = index.definitions.get(iri, "")
        notation, label = name.notation or "", name.label or name.notation or ""
        folded = (notation.casefold(), label.casefold(), definition.casefold())
        entries.append(Entry(iri, notation, label, kind, url, definition, folded, iri in index.tree_nodes))
    entries.sort(key=lambda e: index.sort_key(e.iri))
    return entries


def entries() -> list[Entry]:
    """Every named entity with a page, in reading order (built once per app)."""
    current = site()
    found: list[Entry] = current.memo("browse-entries", lambda: _entries(current.index))
    return found


def suggestions(text: str, limit: int = MAX_SUGGESTIONS) -> list[Entry]:
    """Notation matches first (exact, then prefix), then label, then definition matches; the framework's own
    functions, categories and subcategories before other entities that match as well."""
    needle = text.strip().casefold()
    if len(needle) < MIN_TEXT:
        return []
    ranked: list[tuple[int, bool, int, Entry]] = []
    for position, entry in enumerate(entries()):
        notation, label, definition = entry.folded
        if notation == needle:
            rank = 0
        elif notation.startswith(needle):
            rank = 1
        elif label.startswith(needle):
            rank = 2
        elif needle in label or needle in notation:
            rank = 3
        elif needle in definition:
            rank = 4
        else:
            continue
        ranked.append((rank, not entry.framework, position, entry))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked[:limit]]


@bp.route("/search/suggest", methods=["GET"])
def suggest() -> WerkzeugResponse:
    """Suggestions as JSON: ``{"q": ..., "results": [{iri, notation, label, kind, url}]}``."""
    text = request.args.get("q", "")[:MAX_TEXT]
    if prefers_html():
        return redirect(url_for("pages.search", q=text), 303)
    body = json.dumps({"q": text, "results": [e.as_json() for e in suggestions(text)]}, ensure_ascii=False)
    response = Response(body + "\n", content_type="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _letter_of(entry: Entry) -> str:
    first = entry.label[:1].upper()
    return first if first in string.ascii_uppercase else OTHER


@bp.route("/index", methods=["GET"])
def alphabetical() -> Response:
    """The alphabetical index: one letter's entities, with the letters that have any."""
    letter = request.args.get("letter", "A").upper()[:1] or "A"
    return respond(lambda: _index_page(letter))


def _index_page(letter: str) -> Answer:
    groups: dict[str, list[Entry]] = {}
    for entry in entries():
        groups.setdefault(_letter_of(entry), []).append(entry)
    letters = [c for c in string.ascii_uppercase if c in groups] + ([OTHER] if OTHER in groups else [])
    shown = sorted(groups.get(letter, []), key=lambda e: (e.label.casefold(), e.notation))
    status = 200 if letter in letters else 404
    return html_answer("index.html", status=status, letter=letter, letters=letters, entries=shown)
