"""``POST /validate`` over real HTTP (SHACL §3.6 reports; docs/validation.md).

The acme profile of docs/validation.md fails exactly as the CLI says (the same four
results); the report comes as JSON, as a Turtle ``sh:ValidationReport`` and
as HTML grouped by focus node; bad input is refused with the right status and
a message that says where.
"""

from __future__ import annotations

import json
import uuid

import pyoxigraph as ox
import pytest

from pages_support import BROWSER_ACCEPT, find, find_all, parse_html

# Over real HTTP: every test talks to the session's `cyberframe serve`.
pytestmark = pytest.mark.slow

ACME = b"""PREFIX cf: <https://w3id.org/cyberframe/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX ctl: <https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/>
PREFIX sub: <https://w3id.org/cyberframe/id/subcategory/>
PREFIX ex: <https://example.org/acme/>

sub:ID.AM-7 a cf:Subcategory ;
    skos:prefLabel "Cloud service inventory"@en ;
    skos:notation "ID.AM-7" ;
    skos:broader <https://w3id.org/cyberframe/id/function/ID> ;
    skos:inScheme <https://w3id.org/cyberframe/id/framework/ts27103> ;
    cf:referencs ctl:5.23 .

ex:soa ex:implements ctl:5.23 , ctl:5.38 .
"""
SH = "http://www.w3.org/ns/shacl#"
CFSH = "https://w3id.org/cyberframe/shapes#"
ID = "https://w3id.org/cyberframe/id/"
EXPECTED = {
    (
        ID + "control/iso-iec-27002-2022/5.38",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        CFSH + "IdentifierShape-type",
    ),
    (ID + "subcategory/ID.AM-7", "http://www.w3.org/2004/02/skos/core#definition", CFSH + "EnglishDefinitionShape"),
    (ID + "subcategory/ID.AM-7", "http://www.w3.org/2004/02/skos/core#broader", CFSH + "SubcategoryShape-broader"),
    (
        "https://w3id.org/cyberframe/ontology#referencs",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        CFSH + "NamespaceShape-declared",
    ),
}


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data) in files.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_json_report_of_the_readme_example(server):
    response = server.request("POST", "/validate", ACME, {"Content-Type": "text/turtle"})
    assert response.status == 200 and response.header("Content-Type").startswith("application/json")
    report = response.json()
    assert report["conforms"] is False and report["violations"] == 4 and report["submitted_triples"] == 8
    assert {(r["focus"], r["path"], r["shape"]) for r in report["results"]} == EXPECTED


def test_turtle_report_is_a_shacl_validation_report(server):
    response = server.request("POST", "/validate", ACME, {"Content-Type": "text/turtle", "Accept": "text/turtle"})
    assert response.header("Content-Type").startswith("text/turtle")
    triples = {q.triple for q in ox.parse(response.body, format=ox.RdfFormat.TURTLE)}
    reports = [t.subject for t in triples if t.object == ox.NamedNode(SH + "ValidationReport")]
    assert len(reports) == 1
    conforms = next(t.object for t in triples if t.subject == reports[0] and t.predicate.value == SH + "conforms")
    assert conforms.value == "false"
    assert sum(1 for t in triples if t.predicate.value == SH + "result") == 4


def test_html_report_grouped_by_focus_node_from_an_upload(server):
    body, content_type = _multipart({"syntax": ""}, {"file": ("acme-profile.ttl", ACME)})
    response = server.request("POST", "/validate", body, {"Content-Type": content_type, "Accept": BROWSER_ACCEPT})
    assert response.status == 200 and response.header("Content-Type").startswith("text/html")
    doc = parse_html(response.text)
    groups = find_all(doc, "article", {"class": "focus-group"})
    assert len(groups) == 3
    sub = next(g for g in groups if "cfid:subcategory/ID.AM-7" in g.text)
    assert len(find_all(sub, "li", {"class": "result sev-violation"})) == 2
    assert "Does not conform" in find(doc, "p", {"role": "status"}).text


def test_conforming_data_and_other_syntaxes(server):
    nt = b'<https://example.org/a> <https://example.org/p> "x" .\n'
    response = server.request("POST", "/validate?format=json", nt, {"Content-Type": "application/n-triples"})
    assert response.status == 200 and response.json()["conforms"] is True
    jsonld = json.dumps({"@id": "https://example.org/a", "https://example.org/p": "x"}).encode()
    response = server.request("POST", "/validate", jsonld, {"Content-Type": "application/ld+json"})
    assert response.json()["conforms"] is True and response.json()["syntax"] == "jsonld"


def test_bad_rdf_is_400_with_the_line(server):
    bad = b"PREFIX ex: <https://example.org/>\nex:a ex:b ex:c .\nex:d ex:e .\n"
    response = server.request("POST", "/validate", bad, {"Content-Type": "text/turtle", "Accept": "application/json"})
    assert response.status == 400
    error = response.json()
    assert error["line"] == 3 and "request body" in error["message"]
    form = f"data={bad.decode()}".replace("\n", "%0A").replace(" ", "+").encode()
    page = server.request(
        "POST", "/validate", form, {"Content-Type": "application/x-www-form-urlencoded", "Accept": BROWSER_ACCEPT}
    )
    assert page.status == 400 and "pasted text:3:" in page.text
    assert "^" in find(parse_html(page.text), "pre", {"class": "excerpt"}).text


def test_refusals(server):
    doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    response = server.request("POST", "/validate", doctype, {"Content-Type": "application/rdf+xml"})
    assert response.status == 400 and "document type declaration" in response.text
    remote = json.dumps({"@context": "https://example.org/context.jsonld", "@id": "https://example.org/a"}).encode()
    response = server.request("POST", "/validate", remote, {"Content-Type": "application/ld+json"})
    assert response.status == 400 and "context" in response.text
    assert server.request("POST", "/validate", b"x", {"Content-Type": "image/png"}).status == 415
    big = b"# " + b"x" * (2 << 20) + b"\n"
    assert server.request("POST", "/validate", big, {"Content-Type": "text/turtle"}).status == 413
    empty = server.request("POST", "/validate", b"data=", {"Content-Type": "application/x-www-form-urlencoded"})
    assert empty.status == 400 and "nothing to validate" in empty.text


def test_large_reports_are_capped_with_a_signal(server):
    """1 100 unknown cyberframe IRIs give 1 100 violations: the counts say so, the list stops at 1 000."""
    lines = ["PREFIX ex: <https://example.org/>"]
    lines += [f"ex:soa ex:implements <https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/9.{n}> ." for n in range(1100)]
    response = server.request("POST", "/validate", "\n".join(lines).encode(), {"Content-Type": "text/turtle"}, timeout=60)
    assert response.status == 200
    report = response.json()
    assert report["violations"] == 1100 and report["truncated"] is True
    assert len(report["results"]) == 1000
    assert response.header("X-Cyberframe-Truncated") == "true"


def test_page_keeps_the_text_offers_inference_and_downloads_the_report(server):
    """The pasted text comes back for editing, the inference choice is kept, and the report is offered
    as Turtle, JSON and text (data: links with the same report)."""
    import base64

    body, content_type = _multipart({"data": ACME.decode(), "inference": "rdfs"}, {})
    headers = {"Content-Type": content_type, "Accept": BROWSER_ACCEPT}
    page = server.request("POST", "/validate", body, headers, timeout=90)  # the RDFS closure: a few seconds
    assert page.status == 200, page.text[:500]
    doc = parse_html(page.text)
    assert find(doc, "textarea", {"id": "data"}).text.split() == ACME.decode().split()  # the helper joins lines
    chosen = [o for o in find_all(find(doc, "select", {"id": "inference"}), "option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in chosen] == ["rdfs"]
    links = {a.attrs["download"]: a.attrs["href"] for a in find_all(doc, "a", {"class": "download"})}
    assert set(links) == {"report.ttl", "report.json", "report.txt"}

    def decoded(name: str) -> bytes:
        return base64.b64decode(links[name].split("base64,", 1)[1])

    report = json.loads(decoded("report.json"))
    assert report["inference"] == "rdfs" and report["violations"] == 4
    triples = {q.triple for q in ox.parse(decoded("report.ttl"), format=ox.RdfFormat.TURTLE)}
    assert sum(t.predicate.value == SH + "result" for t in triples) == 4
    assert b"Does not conform: 4 results" in decoded("report.txt") and b"inference rdfs" in decoded("report.txt")
    bad = server.request("POST", "/validate", b"data=x&inference=hermit", {"Content-Type": "application/x-www-form-urlencoded"})
    assert bad.status == 400 and "inference" in bad.text


def test_an_uploaded_file_with_a_syntax_error_shows_its_line(server):
    bad = b"@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e .\n"
    body, content_type = _multipart({}, {"file": ("bad.ttl", bad)})
    page = server.request("POST", "/validate", body, {"Content-Type": content_type, "Accept": BROWSER_ACCEPT})
    assert page.status == 400
    excerpt = find(parse_html(page.text), "pre", {"class": "excerpt"}).text
    assert "ex:d ex:e ." in excerpt and "^" in excerpt


def test_own_shapes_replace_cyberframes(server):
    shapes = (
        b"@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <https://example.org/> .\n"
        b'ex:S a sh:NodeShape ; sh:targetClass ex:Doc ; sh:property [ sh:path ex:status ; sh:in ("draft" "final") ] .\n'
    )
    for status, conforms in (("final", True), ("lost", False)):
        data = f'@prefix ex: <https://example.org/> . ex:d a ex:Doc ; ex:status "{status}" .\n'.encode()
        body, content_type = _multipart({}, {"file": ("d.ttl", data), "shapes": ("s.ttl", shapes)})
        response = server.request("POST", "/validate", body, {"Content-Type": content_type, "Accept": "application/json"})
        assert response.status == 200 and response.json()["conforms"] is conforms, response.text
