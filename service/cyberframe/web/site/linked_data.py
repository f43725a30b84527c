"""Dereferenceable IRIs: ``/id/...``, ``/ontology`` and ``/shapes`` (docs/http.md, "Linked data: `/id` pages").

Every ``{public_base}id/{kind}/{key}`` IRI is served at ``/id/{kind}/{key}``
with content negotiation on the one URL (Cool URIs for the Semantic Web §4.2
and §6; RFC 9110 §12): HTML for browsers, Turtle, JSON-LD (compacted with the
published context), N-Triples or RDF/XML by ``Accept`` or ``format=``. Each
answer says ``Vary: Accept`` and lists its alternates in ``Link`` headers
(RFC 8288). An unknown IRI is a 404 with a page that suggests what may have
been meant. The ontology and the shapes dereference the same way, with an
anchor per term (``/ontology#references``, ``/shapes#CategoryShape``).

A w3id.org redirect rule ``^cyberframe/(.*)$ -> https://host/$1`` maps every
IRI onto these routes; if a proxy keeps the ``/cyberframe`` prefix,
``/cyberframe/...`` redirects to the same path without it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from markupsafe import Markup
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS
from werkzeug.wrappers import Response as WerkzeugResponse

from ...api import describe
from ...exports import jsonld
from ...exports.docs import shipped_ontology_html
from ...namespaces import CF, CFSH, PREFIXES
from ...rdfio import written
from ...resources import ontology_path, shapes_path
from ...sparql.cache import Answer
from ...sparql.formats import HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, Format
from ..negotiation import choose
from ..responses import error_response, name_download, uncacheable
from .context import curie, href, html_answer, respond, site, wants_html
from .entities import PROPERTY_LABELS, describe_entity
from .graph_index import ID_NS, TS27103

bp = Blueprint("linked_data", __name__)

#: What an IRI can be had as: HTML first, so that ``*/*`` (a plain curl) gets the page.
ENTITY_FORMATS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML)
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
SHAPES_NS = str(CFSH)
RDF_FIRST = str(RDF.first)
RDF_REST = str(RDF.rest)
_ENTITY_DIV = re.compile(r'<div class="property entity" id="([^"]*)">')
_CODE = re.compile(r"<code>([^<]*)</code>")
_ID = re.compile(r'\bid="([^"]*)"')
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def property_label(iri: str) -> str:
    """The label a page shows for a property: the ontology's, the reused vocabulary's, or a CURIE."""
    return PROPERTY_LABELS.get(iri) or site().index.name(iri).label or curie(iri)


def _rdf_body(triples: list[ox.Triple], fmt: Format) -> bytes:
    if fmt.key == "jsonld":
        return jsonld.serialize(triples)
    prefixes = PREFIXES if fmt.key in ("turtle", "rdfxml") else None
    return written(ox.serialize(triples, format=RDF_FORMATS[fmt.key], prefixes=prefixes))


def _alternates(path: str) -> str:
    """``Link`` header values naming the other representations (RFC 8288 §3, rel="alternate")."""
    links = [f'<{path}?format={f.key}>; rel="alternate"; type="{f.media_type}"' for f in ENTITY_FORMATS]
    return ", ".join(links)


def _with_links(response: Response, path: str) -> Response:
    response.headers["Link"] = _alternates(path)
    return response


# --- /id/... ------------------------------------------------------------------------------------


@bp.route("/id/<path:key>", methods=["GET"])
def entity(key: str) -> WerkzeugResponse:
    """One resource: HTML or RDF by content negotiation; a helpful 404 for an IRI that names nothing."""
    current = site()
    iri = current.public_base + "id/" + key
    index = current.index
    if not index.exists(iri):
        return not_found(iri, key)
    fmt = choose(ENTITY_FORMATS)
    if fmt.key == "html":
        return _with_links(respond(lambda: _entity_page(iri), fmt.key), request.path)

    def make() -> Answer:  # the library's description: the entity named query, triples sorted (api.describe)
        return Answer(200, describe(iri, knowledge_graph=index.kg).serialize(fmt.key), fmt.content_type)

    response = name_download(respond(make, fmt.key), key.rsplit("/", 1)[-1], attachment=False)
    return _with_links(response, request.path)


def _entity_page(iri: str) -> Answer:
    index = site().index
    view = describe_entity(index, iri, property_label)
    set_records = []
    if view.kind == "mapping-set":
        set_records = sorted(
            (r for r in index.records.values() if r.mapping_set == iri),
            key=lambda r: (index.sort_key(r.subject), index.sort_key(r.object)),
        )
    return html_answer(
        "entity.html",
        view=view,
        formats=ENTITY_FORMATS[1:],
        functions=index.functions if iri == TS27103 else None,
        set_records=set_records,
    )


@bp.route("/resolve", methods=["GET"])
def resolve() -> WerkzeugResponse:
    """``/resolve?iri=https://w3id.org/cyberframe/id/...``: 303 See Other to the page of that IRI (RFC 9110 §15.4.4)."""
    iri = request.args.get("iri", "").strip()
    base = site().public_base
    if iri.startswith(base + "id/") and len(iri) > len(base) + 3:
        return redirect(url_for(".entity", key=iri[len(base) + 3 :]), 303)
    for document in ("ontology", "shapes"):
        if iri == base + document or iri.startswith(base + document + "#"):
            return redirect(url_for("." + document) + iri[len(base + document) :], 303)
    return redirect(url_for("pages.search", q=iri), 303)


@bp.route("/cyberframe/<path:rest>", methods=["GET"])
def unprefixed(rest: str) -> WerkzeugResponse:
    """A proxy that forwards w3id.org's ``/cyberframe/...`` paths unchanged: 301 to the path without the prefix."""
    target = "/" + rest
    if not site().route_exists(target):
        abort(404)
    query = request.query_string.decode("latin-1")
    return redirect(request.script_root + target + ("?" + query if query else ""), 301)


def not_found(iri: str, key: str) -> Response:
    """404 for an IRI that names nothing: HTML with suggestions for browsers, else a short text.

    See docs/http.md, "Errors and status codes".
    """
    index = site().index
    kind, _, rest = key.partition("/")
    suggestions: list[str] = []
    if rest:
        known = index.keys_of_kind(kind)
        folded = {k.casefold(): k for k in known}
        if rest.casefold() in folded:
            suggestions.append(folded[rest.casefold()])
        suggestions += [k for k in difflib.get_close_matches(rest, known, n=6, cutoff=0.6) if k not in suggestions]
    iris = [ID_NS + kind + "/" + s for s in suggestions[:6]]
    kinds = sorted({k.split("/", 1)[0] for k in (i[len(ID_NS) :] for i in index.names if i.startswith(ID_NS))})
    if not wants_html():
        hint = f"; did you mean {', '.join(iris)}?" if iris else ""
        return error_response(404, f"{iri} names nothing in the cyberframe graph{hint}")
    body = render_template(
        "not_found.html", iri=iri, key=key, suggestions=iris, kinds=kinds, kind_known=kind in kinds, query=rest or key
    )
    return uncacheable(Response(body, status=404, content_type=HTML.content_type))


# --- /ontology ----------------------------------------------------------------------------------


@bp.route("/ontology", methods=["GET"])
def ontology() -> Response:
    """The ontology: pyLODE's documentation for browsers (with an anchor per term), the ontology as RDF otherwise."""
    fmt = choose(ENTITY_FORMATS)
    if fmt.key == "html":
        return respond(lambda: html_answer("ontology.html", terms=site().memo("ontology-terms", _ontology_terms)))
    if fmt.key == "turtle":
        response = respond(lambda: Answer(200, ontology_path().read_bytes(), fmt.content_type), fmt.key)
        return name_download(response, "cyberframe-ontology", attachment=False)

    def make() -> Answer:
        kg = site().index.kg
        triples = [q.triple for q in kg.store.quads_for_pattern(None, None, None, kg.graph_iri("ontology"))]
        return Answer(200, _rdf_body(sorted(set(triples), key=str), fmt), fmt.content_type)

    return name_download(respond(make, fmt.key), "cyberframe-ontology", attachment=False)


@bp.route("/ontology/pylode", methods=["GET"])
def ontology_document() -> Response:
    """pyLODE's documentation of the ontology (``cyberframe export --format docs``), as served before."""
    choose((HTML,))
    return respond(lambda: site().memo("ontology.html", _ontology_html))


@dataclass
class OntologyTerm:
    """One class or property of the ontology as its page shows it."""

    iri: str
    local: str
    kind: str  #: "Class", "Object property", ...
    label: str
    definitions: list[str]
    facts: list[tuple[str, list[str]]]  #: (property label, IRIs or literals)


#: The kinds of term, in the page's order, by their OWL / RDF class.
TERM_KINDS = (
    (str(OWL.Class), "Classes"),
    (str(OWL.ObjectProperty), "Object properties"),
    (str(OWL.DatatypeProperty), "Datatype properties"),
    (str(OWL.AnnotationProperty), "Annotation properties"),
)
_TERM_FACTS = (
    (str(RDFS.subClassOf), "subclass of"),
    (str(RDFS.subPropertyOf), "subproperty of"),
    (str(RDFS.domain), "domain"),
    (str(RDFS.range), "range"),
    (str(OWL.inverseOf), "inverse of"),
    (str(OWL.equivalentClass), "equivalent class"),
    (str(RDFS.seeAlso), "see also"),
)


def _ontology_terms() -> list[tuple[str, list[OntologyTerm]]]:
    """The ontology's classes and properties, from its own named graph (OWL 2 §5), grouped by kind."""
    kg = site().index.kg
    graph = kg.graph_iri("ontology")
    facts: dict[str, dict[str, list[str]]] = {}
    for quad in kg.store.quads_for_pattern(None, None, None, graph):
        if isinstance(quad.subject, ox.NamedNode):
            value = quad.object.value if isinstance(quad.object, (ox.NamedNode, ox.Literal)) else ""
            facts.setdefault(quad.subject.value, {}).setdefault(quad.predicate.value, []).append(value)
    namespace = str(CF)
    groups = []
    for cls, heading in TERM_KINDS:
        terms = []
        for iri, about in facts.items():
            if not iri.startswith(namespace) or cls not in about.get(str(RDF.type), []):
                continue
            label = (about.get(str(RDFS.label)) or [iri[len(namespace) :]])[0]
            definitions = about.get(str(SKOS.definition), []) + about.get(str(RDFS.comment), [])
            shown = [(name, sorted(set(about[p]))) for p, name in _TERM_FACTS if about.get(p)]
            terms.append(OntologyTerm(iri, iri[len(namespace) :], heading, label, definitions, shown))
        groups.append((heading, sorted(terms, key=lambda t: t.local.casefold())))
    return [(heading, terms) for heading, terms in groups if terms]


def _ontology_html() -> Answer:
    """pyLODE's page, plus an empty anchor named after each term's local name where pyLODE chose another id.

    pyLODE names class anchors after their labels (``#frameworkactivity``); the
    ontology's IRIs are ``...ontology#Activity``, so ``/ontology#Activity`` must
    land there too.
    """
    html = shipped_ontology_html().decode("utf-8")
    taken = set(_ID.findall(html))
    namespace = str(CF)
    pieces: list[str] = []
    position = 0
    for match in _ENTITY_DIV.finditer(html):
        code = _CODE.search(html, match.end())
        if code is None or not code.group(1).startswith(namespace):
            continue
        local = code.group(1)[len(namespace) :]
        if local in taken or not local:
            continue
        taken.add(local)
        pieces += [html[position : match.end()], str(Markup('<span id="{}"></span>').format(local))]
        position = match.end()
    pieces.append(html[position:])
    html = "".join(pieces)
    html = html.replace("<head>", '<head>\n<meta name="viewport" content="width=device-width, initial-scale=1">', 1)
    banner = render_template("ontology_banner.html")
    html = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner, html, count=1)
    # The Content-Security-Policy allows no inline style: pyLODE's <style> is served as /ontology.css.
    sheet = url_for("linked_data.ontology_css")
    html = _STYLE.sub("", html)
    html = html.replace("</head>", Markup('<link rel="stylesheet" href="{}">\n</head>').format(sheet), 1)
    return Answer(200, html.encode("utf-8"), HTML.content_type)


def _ontology_css() -> Answer:
    """pyLODE's inline stylesheet, then the banner's rules (static/ontology-banner.css)."""
    html = shipped_ontology_html().decode("utf-8")
    css = "\n".join(m.group(1) for m in _STYLE.finditer(html))
    banner = (Path(__file__).parent / "static" / "ontology-banner.css").read_text(encoding="utf-8")
    return Answer(200, (css + "\n" + banner).encode("utf-8"), "text/css; charset=utf-8")


@bp.route("/ontology.css", methods=["GET"])
def ontology_css() -> Response:
    """The ontology page's stylesheet (pyLODE's, moved out of the page for the Content-Security-Policy)."""
    return respond(lambda: site().memo("ontology.css", _ontology_css))


# --- /shapes ------------------------------------------------------------------------------------


@dataclass
class ShapeNode:
    """A shape or a blank node inside one (a path, a SPARQL constraint), as nested (property, values)."""

    term: str
    anchor: str | None
    statements: list[tuple[str, list[ShapeValue]]] = field(default_factory=list)
    #: the named shapes only this one uses (its property shapes, SPARQL constraints), shown inside it
    parts: list[ShapeNode] = field(default_factory=list)

    def values(self, prop: str) -> list[str]:
        """The texts of the values of *prop* (a CURIE such as ``sh:targetClass``)."""
        return [v.text for p, vs in self.statements if p == prop for v in vs]

    @property
    def summary(self) -> str:
        """One line for the folded shape: its kind, what it targets or the path it constrains, its parts."""
        kinds = [t.removeprefix("sh:") for t in self.values("rdf:type")]
        bits = [" ".join(kinds)] if kinds else []
        for prop, word in _SUMMARY_FACTS:
            if self.values(prop):
                bits.append(f"{word} {', '.join(self.values(prop))}")
        if self.parts:
            bits.append(f"{len(self.parts)} part{'s' if len(self.parts) > 1 else ''}")
        return " · ".join(bits)


#: What a collapsed shape's summary line says (SHACL §2.1 targets, §2.3.1 sh:path), in this order.
_SUMMARY_FACTS = (
    ("sh:targetClass", "targets"),
    ("sh:targetNode", "targets"),
    ("sh:targetSubjectsOf", "subjects of"),
    ("sh:targetObjectsOf", "objects of"),
    ("sh:path", "path"),
)
#: The properties by which a shape uses another that is its own part (SHACL §2.1.3 sh:property, §5 sh:sparql).
_PART_OF = (str(SH.property), str(SH.sparql))


@dataclass
class ShapeValue:
    text: str
    iri: str | None = None
    node: ShapeNode | None = None
    items: list[ShapeValue] | None = None
    long: bool = False


@bp.route("/shapes", methods=["GET"])
def shapes() -> Response:
    """The SHACL shapes: a page with an anchor per shape for browsers, the shapes graph as RDF otherwise."""
    fmt = choose(ENTITY_FORMATS)
    if fmt.key == "html":
        return respond(lambda: html_answer("shapes.html", shapes=_shape_nodes()), fmt.key)
    if fmt.key == "turtle":
        response = respond(lambda: Answer(200, shapes_path().read_bytes(), fmt.content_type), fmt.key)
        return name_download(response, "cyberframe-shapes", attachment=False)

    def make() -> Answer:
        triples = [q.triple for q in ox.parse(shapes_path().read_bytes(), format=ox.RdfFormat.TURTLE)]
        return Answer(200, _rdf_body(sorted(set(triples), key=str), fmt), fmt.content_type)

    return name_download(respond(make, fmt.key), "cyberframe-shapes", attachment=False)


def _shape_nodes() -> list[ShapeNode]:
    """Every shape of ``shapes.ttl`` with all its statements, blank nodes nested (SHACL §2, §4)."""
    quads = list(ox.parse(shapes_path().read_bytes(), format=ox.RdfFormat.TURTLE))
    by_subject: dict[str, list[ox.Quad]] = {}
    for quad in quads:
        by_subject.setdefault(str(quad.subject), []).append(quad)

    def value(term, depth: int) -> ShapeValue:
        if isinstance(term, ox.Literal):
            return ShapeValue(term.value, long="\n" in term.value or len(term.value) > 160)
        if isinstance(term, ox.BlankNode):
            facts = {q.predicate.value: q.object for q in by_subject.get(str(term), [])}
            if RDF_FIRST in facts:
                items: list[ShapeValue] = []
                while isinstance(term, ox.BlankNode) and len(items) < 50:
                    facts = {q.predicate.value: q.object for q in by_subject.get(str(term), [])}
                    if RDF_FIRST not in facts:
                        break
                    items.append(value(facts[RDF_FIRST], depth + 1))
                    term = facts.get(RDF_REST)
                return ShapeValue("list", items=items)
            return ShapeValue("", node=node(term, depth + 1))
        return ShapeValue(curie(term.value), iri=term.value)

    def node(term, depth: int) -> ShapeNode:
        grouped: dict[str, list[ShapeValue]] = {}
        for quad in by_subject.get(str(term), []):
            if depth < 4:
                grouped.setdefault(curie(quad.predicate.value), []).append(value(quad.object, depth))
        ordered = sorted(grouped.items(), key=lambda kv: (kv[0] != "rdf:type", kv[0] != "sh:name", kv[0]))
        anchor = (
            term.value[len(SHAPES_NS) :]
            if isinstance(term, ox.NamedNode) and term.value.startswith(SHAPES_NS)
            else None
        )
        return ShapeNode(curie(term.value) if isinstance(term, ox.NamedNode) else "", anchor, ordered)

    named = sorted({q.subject for q in quads if isinstance(q.subject, ox.NamedNode)}, key=lambda t: t.value)
    nodes = {t.value: node(t, 0) for t in named}
    # A named shape that exactly one other uses as a property shape or SPARQL constraint is shown inside it;
    # shapes several use (EnglishTextShape, ...) stay on their own.
    users: dict[str, set[str]] = {}
    for quad in quads:
        if quad.predicate.value in _PART_OF and isinstance(quad.subject, ox.NamedNode):
            users.setdefault(quad.object.value, set()).add(quad.subject.value)
    owner = {iri: next(iter(u)) for iri, u in users.items() if len(u) == 1 and iri in nodes}
    for iri in list(owner):  # a loop of owners (none today) would hide its shapes: they stay on their own
        seen, current = {iri}, owner.get(iri)
        while current in owner and current not in seen:
            seen.add(current)
            current = owner.get(current)
        if current in seen or current not in nodes:
            del owner[iri]
    for iri, node_ in nodes.items():
        if iri in owner:
            nodes[owner[iri]].parts.append(node_)
    return [n for iri, n in nodes.items() if iri not in owner]


def shape_href(iri: str) -> str:
    """Links between shapes stay on the page; ontology terms go to the ontology page."""
    if iri.startswith(SHAPES_NS):
        return "#" + iri[len(SHAPES_NS) :]
    return href(iri) or iri


bp.add_app_template_global(shape_href, "shape_href")
