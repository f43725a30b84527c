"""The web pages people read: home, search, controls by attribute, pictures, downloads.

Every page is rendered on the server from Jinja templates (autoescaped) that
extend ``base.html`` and work without JavaScript; ``static/cyberframe.js`` only
adds sortable tables and the query editor's highlighting. The markup follows
WCAG 2.1: landmarks (``header``, ``nav``, ``main``, ``footer``), a skip link,
a label for every control, headings in order, text contrast of at least
4.5:1 and focus outlines.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, request, url_for
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as WerkzeugResponse

from ...api import export
from ...errors import ExportError
from ...exports import FORMATS
from ...mappings import set_name
from ...named_queries import NamedQueryError, ParameterError, UnknownEntity
from ...namespaces import CF
from ...ordering import notation_key
from ...sparql.cache import Answer
from ...sparql.formats import HTML
from ..negotiation import choose
from .context import html_answer, respond, site
from .entities import ROUTES_TO_CONTROLS
from .graph_index import CONTROLS_2022, FACETS, ID_NS, TS27103

#: The IRI prefix of the framework's subcategories.
SUBCATEGORIES = ID_NS + "subcategory/"

bp = Blueprint("pages", __name__, template_folder="templates")  # static files: .assets

#: Exports offered for download at /exports/FILE (RDF dumps are /dump's).
DOWNLOADS = ("jsonld-tree", "sssom", "strm", "oscal-catalog", "oscal-catalog-iso27002", "oscal-mapping", "void")
#: The class of each attribute facet's values; ``concept`` values are the framework's functions.
FACET_CLASSES = {
    "theme": str(CF.Theme),
    "type": str(CF.ControlType),
    "property": str(CF.SecurityProperty),
    "capability": str(CF.OperationalCapability),
    "domain": str(CF.SecurityDomain),
}
#: The column of controls-by-attributes that lists each facet's values of a control.
FACET_COLUMNS = {
    "theme": "controlTheme",
    "type": "types",
    "property": "properties",
    "concept": "concepts",
    "capability": "capabilities",
    "domain": "domains",
}


# --- home -----------------------------------------------------------------------------------------


@bp.route("/", methods=["GET"])
def home() -> Response:
    """The framework as a tree, the search box, the heatmap and the ways in (query, validate, download)."""
    choose((HTML,))
    return respond(_home)


def _home() -> Answer:
    index = site().index
    framework = TS27103
    counts = {
        "functions": len(index.functions),
        "categories": sum(f.count(1) for f in index.functions),
        "subcategories": sum(f.count(2) for f in index.functions),
        "controls": sum(1 for i in index.names if i.startswith(CONTROLS_2022)),
        "records": len(index.records),
    }
    downloads = [FORMATS[name] for name in DOWNLOADS]
    return html_answer(
        "home.html",
        functions=index.functions,
        framework=framework,
        definition=index.definitions.get(framework),
        counts=counts,
        downloads=downloads,
    )


# --- search ---------------------------------------------------------------------------------------


@dataclass
class Hit:
    entity: str
    type: str
    notation: str | None
    label: str
    field: str
    definition: str | None


@bp.route("/search", methods=["GET"])
def search() -> WerkzeugResponse:
    """``/search?q=...``: the ``search`` named query over labels, definitions and notations."""
    choose((HTML,))
    text = request.args.get("q", "").strip()
    base = site().public_base
    if text.startswith(base) and " " not in text:
        return redirect(url_for("linked_data.resolve", iri=text), 303)
    return respond(lambda: _search(text))


def _search(text: str) -> Answer:
    index = site().index
    if not text:
        return html_answer("search.html", q="", hits=[], error=None, kinds=[])
    try:
        rows = site().catalogue.select("search", {"text": text})
    except NamedQueryError as exc:
        return html_answer("search.html", status=400, q=text, hits=[], error=str(exc), kinds=[])
    hits: list[Hit] = []
    seen: set[str] = set()
    for row in rows:
        iri = row["entity"].value
        if iri in seen:
            continue
        seen.add(iri)
        notation = row["notation"].value if row["notation"] is not None else None
        hits.append(
            Hit(iri, row["type"].value, notation, row["label"].value, row["field"].value, index.definitions.get(iri))
        )
    rank = {"notation": 0, "label": 1, "definition": 2}
    folded = text.casefold()
    hits.sort(key=lambda h: ((h.notation or "").casefold() != folded, rank.get(h.field, 3), index.sort_key(h.entity)))
    kinds = Counter(index.name(h.type).label or h.type for h in hits)
    return html_answer("search.html", q=text, hits=hits, error=None, kinds=sorted(kinds.items()))


def highlight(text: str | None, needle: str) -> Markup:
    """*text* with each case-insensitive occurrence of *needle* in ``<mark>`` (escaped, for templates)."""
    if not text:
        return Markup("")
    if not needle:
        return escape(text)
    folded, target = text.casefold(), needle.casefold()
    if len(folded) != len(text):  # case folding changed the length: no safe positions
        return escape(text)
    pieces: list[Markup] = []
    start = 0
    while (found := folded.find(target, start)) >= 0:
        pieces += [escape(text[start:found]), Markup("<mark>{}</mark>").format(text[found : found + len(needle)])]
        start = found + len(needle)
    pieces.append(escape(text[start:]))
    return Markup("").join(pieces)


# --- controls by attribute --------------------------------------------------------------------------


@dataclass
class FacetValue:
    iri: str
    value: str  #: what controls-by-attributes takes
    label: str
    count: int
    selected: bool


@bp.route("/controls", methods=["GET"])
def controls() -> Response:
    """ISO/IEC 27002:2022 controls filtered by attribute values: the ``controls-by-attributes`` named query."""
    choose((HTML,))
    given = {p: v for p, v in request.args.items() if p != "format"}
    return respond(lambda: _controls(given))


def _controls(given: dict[str, str]) -> Answer:
    current = site()
    index = current.index
    params = {p: v for p, v in given.items() if v}
    try:
        rows = list(current.catalogue.select("controls-by-attributes", params))
    except (ParameterError, UnknownEntity) as exc:
        return html_answer("controls.html", status=400, error=str(exc), rows=[], facets=[], params=params)
    results = [{name: (row[name].value if row[name] is not None else "") for name in _CONTROL_COLUMNS} for row in rows]
    for result in results:  # GROUP_CONCAT has no order (SPARQL 1.1 §18.5.1.7): the same order on every row
        for column in FACET_COLUMNS.values():
            result[column] = " ".join(sorted(result[column].split(), key=str.casefold))
    selected = {p: v for p, v in params.items()}
    facets = []
    for param, _prop, heading in FACETS:
        column = FACET_COLUMNS[param]
        values = []
        for iri in _facet_iris(param):
            name = index.name(iri)
            value = (name.label if param == "concept" else name.notation) or ""
            count = sum(1 for r in results if value in r[column].split(" "))
            chosen = selected.get(param, "").casefold() == value.casefold()
            values.append(FacetValue(iri, value, name.label or value, count, chosen))
        facets.append((param, heading, values))
    return html_answer("controls.html", status=200, error=None, rows=results, facets=facets, params=selected)


_CONTROL_COLUMNS = ("control", "title", "controlTheme", "types", "properties", "concepts", "capabilities", "domains")


def _facet_iris(param: str) -> list[str]:
    index = site().index
    if param == "concept":
        return [f.iri for f in index.functions]
    cls = FACET_CLASSES[param]
    return sorted((iri for iri, types in index.types.items() if cls in types), key=index.sort_key)


def control_iri(notation: str) -> str:
    return CONTROLS_2022 + notation


def toggle(params: dict[str, str], param: str, value: str) -> str:
    """The /controls URL with *param* set to *value*, or unset if it already is."""
    changed = dict(params)
    if changed.get(param, "").casefold() == value.casefold():
        changed.pop(param)
    else:
        changed[param] = value
    values: dict[str, Any] = dict(sorted(changed.items()))
    return url_for("pages.controls", **values)


# --- the named queries ---------------------------------------------------------------------------


def catalogue_page(described: list[dict[str, Any]]) -> Answer:
    """``GET /queries`` for a browser: the named queries with their parameters and example calls."""
    return html_answer("queries.html", queries=described)


# --- mapping agreement ---------------------------------------------------------------------------------


#: The columns of ``mapping-agreement`` that list targets, ``; ``-separated.
_AGREEMENT_LISTS = ("ts27103", "viaCsf20", "nistCrossReference", "onlyTs27103", "onlyViaCsf20", "nistViewsDiffer")


@bp.route("/agreement", methods=["GET"])
def agreement() -> Response:
    """Per subcategory, where the routes to ISO/IEC 27002:2022 and 27001:2022 agree: ``mapping-agreement``."""
    choose((HTML,))
    return respond(_agreement)


def _target_key(target: str) -> tuple[int, tuple[int, ...]]:
    """Controls before clauses, each in numeric order."""
    clause = target.startswith("clause ")
    number = target.removeprefix("clause ").split("(", 1)[0]
    return (int(clause), tuple(int(p) for p in number.split(".") if p.isdigit()))


def _agreement() -> Answer:
    current = site()
    solutions = current.catalogue.select("mapping-agreement")
    names = [v.value for v in solutions.variables]
    rows: list[dict[str, Any]] = []
    for solution in solutions:
        row: dict[str, Any] = {n: (solution[n].value if solution[n] is not None else None) for n in names}
        for column in _AGREEMENT_LISTS:
            row[column] = sorted(row[column].split("; "), key=_target_key) if row[column] else []
        rows.append(row)
    rows.sort(key=lambda r: notation_key(r["subcategory"]))
    compared = [r for r in rows if r["jaccard"] is not None]
    summary = {
        "subcategories": len(rows),
        "compared": len(compared),
        "mean": round(sum(float(r["jaccard"]) for r in compared) / len(compared), 3) if compared else None,
        "identical": sum(1 for r in compared if not r["onlyTs27103"] and not r["onlyViaCsf20"]),
        "disjoint": sum(1 for r in compared if int(r["overlap"]) == 0),
        "disagreements": sum(len(r["onlyTs27103"]) + len(r["onlyViaCsf20"]) for r in rows),
        "nist": sum(1 for r in rows if r["nistViewsDiffer"]),
    }
    return html_answer(
        "agreement.html",
        rows=rows,
        summary=summary,
        unreached=_unreached_new_controls(),
        subcategories=SUBCATEGORIES,
        controls=CONTROLS_2022,
        clauses=ID_NS + "clause/iso-iec-27001-2022/",
        rule=ID_NS + "derivation-rule/csf20-transition-chain",
    )


def _unreached_new_controls() -> list[str]:
    """Notations of the controls new in 2022 that no record of a route to controls has as its object."""
    index = site().index
    new = index.store.quads_for_pattern(None, ox.NamedNode(str(CF.newInEdition)), ox.Literal(True))
    controls = {q.subject.value for q in new if isinstance(q.subject, ox.NamedNode)}
    found = [
        iri
        for iri in controls
        if not any(set_name(r.mapping_set) in ROUTES_TO_CONTROLS for r in index.records_by_object.get(iri, []))
    ]
    return [index.name(iri).notation or iri for iri in sorted(found, key=index.sort_key)]


# --- pictures and downloads -------------------------------------------------------------------------


@bp.route("/heatmaps", methods=["GET"])
def heatmaps_page() -> Response:
    """Every heatmap with its numbers as a table."""
    choose((HTML,))
    return respond(lambda: html_answer("heatmaps.html"))


@bp.route("/exports/<filename>", methods=["GET"])
def download(filename: str) -> Response:
    """The exports of ``cyberframe export`` under their published file names (made once, then kept)."""
    spec = next((FORMATS[n] for n in DOWNLOADS if FORMATS[n].filename == filename), None)
    if spec is None:
        abort(404)
    current = site()

    def make() -> Answer:
        try:
            body = export(spec.name, knowledge_graph=current.index.kg)
        except ExportError as exc:  # pragma: no cover - the shipped graph exports
            return Answer(500, str(exc).encode(), "text/plain; charset=utf-8")
        charset = "; charset=utf-8" if spec.media_type.startswith("text/") else ""
        return Answer(200, body, spec.media_type + charset, {"Content-Disposition": f'inline; filename="{filename}"'})

    return respond(lambda: current.memo("export:" + spec.name, make))


bp.add_app_template_filter(highlight, "highlight")
bp.add_app_template_global(toggle, "toggle")
bp.add_app_template_global(control_iri, "control_iri")
