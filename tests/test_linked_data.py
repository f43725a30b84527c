"""Dereferenceable IRIs over real HTTP (Cool URIs for the Semantic Web; RFC 9110 §12).

Against the session's ``cyberframe serve`` (tests/sparql_support.py): every
RDF syntax by ``Accept`` and by ``format=``, parsed back with pyoxigraph (and
pyld for JSON-LD, offline); HTML for browsers; ``Vary``, ``Link``, ETag and
304; 406 and 404; the ontology and shapes documents with their term anchors.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from cyberframe.resources import ontology_path, shapes_path
from pages_support import BROWSER_ACCEPT, find_all, parse_html

# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = pytest.mark.slow

ID = "https://w3id.org/cyberframe/id/"
CF = "https://w3id.org/cyberframe/ontology#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SYNTAXES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}


def _triples(body: bytes, media_type: str) -> set[ox.Triple]:
    return {q.triple for q in ox.parse(body, format=SYNTAXES[media_type])}


@pytest.mark.parametrize("media_type", list(SYNTAXES))
def test_entity_in_every_rdf_syntax_by_accept(server, media_type):
    response = server.request("GET", "/id/subcategory/DE.CM-1", headers={"Accept": media_type})
    assert response.status == 200
    assert response.header("Content-Type").startswith(media_type)
    assert "Accept" in response.header("Vary")
    subject = ox.NamedNode(ID + "subcategory/DE.CM-1")
    triples = _triples(response.body, media_type)
    assert ox.Triple(subject, RDF_TYPE, ox.NamedNode(CF + "Subcategory")) in triples
    assert (
        ox.Triple(
            subject, ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader"), ox.NamedNode(ID + "category/DE.CM")
        )
        in triples
    )
    # statements in both directions: the mapping records that point at it
    assert any(t.object == subject and t.predicate.value == CF + "mappingSubject" for t in triples)


def test_the_syntaxes_say_the_same(server):
    graphs = []
    for media_type in SYNTAXES:
        response = server.request("GET", "/id/control/iso-iec-27002-2022/8.16", headers={"Accept": media_type})
        graphs.append(_triples(response.body, media_type))
    assert all(g == graphs[0] for g in graphs[1:])


def test_jsonld_is_compacted_with_the_published_context(server):
    from pyld import jsonld

    from cyberframe.exports.jsonld import pyld_options

    response = server.request("GET", "/id/function/DE?format=jsonld")
    assert response.header("Content-Type").startswith("application/ld+json")
    document = json.loads(response.body)
    node = next(n for n in document["@graph"] if n["id"] == "cfid:function/DE")
    assert node["notation"] == "DE" and node["prefLabel"] == "Detect"
    expanded = jsonld.expand(document, pyld_options())
    assert any(n["@id"] == ID + "function/DE" for n in expanded)


@pytest.mark.parametrize(
    ("param", "media_type"),
    [
        ("ttl", "text/turtle"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
        ("json-ld", "application/ld+json"),
    ],
)
def test_format_parameter_wins_over_accept(server, param, media_type):
    response = server.request("GET", f"/id/theme/technological?format={param}", headers={"Accept": BROWSER_ACCEPT})
    assert response.status == 200 and response.header("Content-Type").startswith(media_type)


def test_browsers_get_html_with_alternates(server):
    for accept in (BROWSER_ACCEPT, "*/*", ""):
        headers = {"Accept": accept} if accept else {}
        response = server.request("GET", "/id/subcategory/DE.CM-1", headers=headers)
        assert response.status == 200 and response.header("Content-Type").startswith("text/html")
    link = response.header("Link")
    assert '</id/subcategory/DE.CM-1?format=turtle>; rel="alternate"; type="text/turtle"' in link
    doc = parse_html(response.text)
    alternates = {e.get("type"): e.get("href") for e in find_all(doc, "link", {"rel": "alternate"})}
    assert alternates["application/ld+json"] == "/id/subcategory/DE.CM-1?format=jsonld"


def test_revalidation_and_refusals(server):
    first = server.request("GET", "/id/function/PR", headers={"Accept": "text/turtle"})
    etag = first.header("ETag")
    assert etag and first.header("Last-Modified")
    again = server.request("GET", "/id/function/PR", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status == 304
    assert server.request("GET", "/id/function/PR", headers={"Accept": "image/png"}).status == 406
    missing = server.request("GET", "/id/control/iso-iec-27002-2022/9.99", headers={"Accept": "text/turtle"})
    assert missing.status == 404 and "names nothing" in missing.text
    page = server.request("GET", "/id/control/iso-iec-27002-2022/9.99", headers={"Accept": BROWSER_ACCEPT})
    assert page.status == 404 and page.header("Content-Type").startswith("text/html")


def test_every_framework_and_control_iri_dereferences(server):
    select = server.select(
        "SELECT ?s WHERE { { ?s a <https://w3id.org/cyberframe/ontology#Subcategory> } UNION "
        "{ ?s <https://w3id.org/cyberframe/ontology#inStandard> <https://w3id.org/cyberframe/id/standard/iso-iec-27002-2022> } }"
    )
    assert len(select) == 108 + 93
    for row in select:
        response = server.request(
            "HEAD", row["s"][len("https://w3id.org/cyberframe") :], headers={"Accept": "text/turtle"}
        )
        assert response.status == 200, row["s"]


def test_ontology_dereferences_with_term_anchors(server):
    turtle = server.request("GET", "/ontology", headers={"Accept": "text/turtle"})
    assert turtle.status == 200 and turtle.body == ontology_path().read_bytes()
    nt = server.request("GET", "/ontology?format=nt")
    terms = {t.subject.value for t in _triples(nt.body, "application/n-triples") if t.subject.value.startswith(CF)}
    html = server.request("GET", "/ontology", headers={"Accept": BROWSER_ACCEPT})
    assert html.header("Content-Type").startswith("text/html")
    ids = {e.get("id") for e in find_all(parse_html(html.text), None, {"id": None})}
    missing = {t[len(CF) :] for t in terms} - ids
    assert not missing, f"terms without an anchor on /ontology: {sorted(missing)}"
    assert "references" in ids and "Category" in ids


def test_shapes_dereference_with_anchors(server):
    turtle = server.request("GET", "/shapes", headers={"Accept": "text/turtle"})
    assert turtle.body == shapes_path().read_bytes()
    shapes = {
        q.subject.value
        for q in ox.parse(turtle.body, format=ox.RdfFormat.TURTLE)
        if isinstance(q.subject, ox.NamedNode)
    }
    html = server.request("GET", "/shapes", headers={"Accept": BROWSER_ACCEPT})
    ids = {e.get("id") for e in find_all(parse_html(html.text), None, {"id": None}) if "shape" in e.get("class", "")}
    prefix = "https://w3id.org/cyberframe/shapes#"
    assert {s[len(prefix) :] for s in shapes if s.startswith(prefix)} <= ids
    assert "CategoryShape" in ids
    jsonld_doc = server.request("GET", "/shapes?format=jsonld")
    assert jsonld_doc.status == 200 and json.loads(jsonld_doc.body)


def test_redirects_for_w3id_forms(server):
    resolved = server.request("GET", "/resolve?iri=https://w3id.org/cyberframe/id/category/DE.CM")
    assert resolved.status == 303 and resolved.header("Location").endswith("/id/category/DE.CM")
    term = server.request("GET", "/resolve?iri=https://w3id.org/cyberframe/ontology%23references")
    assert term.status == 303 and term.header("Location").endswith("/ontology#references")
    prefixed = server.request("GET", "/cyberframe/id/function/DE?format=ttl")
    assert prefixed.status == 301 and prefixed.header("Location").endswith("/id/function/DE?format=ttl")
    assert server.request("GET", "/cyberframe/nothing").status == 404
