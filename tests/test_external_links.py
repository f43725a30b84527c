"""Outward links (data/external-links.ttl) and class alignments (ontology/alignments.ttl).

Every external IRI must parse as an RFC 3987 IRI and match the strict
pattern of its kind (a DOI URL, an RFC 5141 ISO URN, a W3C or w3id.org page);
every ISO URN is recomputed from the reference facts (number, part, edition);
every CSF element links to the NIST publication that states its identifier;
every alignment cites its reason.
"""

from __future__ import annotations

import re

import pytest
import rfc3987

from conftest import PREFIXES, read_reference

ID = "https://w3id.org/cyberframe/id/"
GRAPH = "https://w3id.org/cyberframe/graph/"
CSF20_DOI = "https://doi.org/10.6028/NIST.CSWP.29"
CSF11_DOI = "https://doi.org/10.6028/NIST.CSWP.04162018"
#: DOIs of NIST publications (https form, DOI Handbook §3.7.3); NIST's DOI prefix is 10.6028.
DOIS = {
    "nist-csf-2-0": CSF20_DOI,
    "nist-csf-1-1": CSF11_DOI,
    "nist-ir-8477": "https://doi.org/10.6028/NIST.IR.8477",
}
#: Standards without any outward link, and why.
NO_LINK = {
    "meti-cybersecurity-management-guidelines-version-3-0": "no persistent identifier established from a source",
}

PATTERNS = {
    "doi": re.compile(r"https://doi\.org/10\.6028/NIST\.[A-Z]+\.[0-9A-Za-z]+"),
    # RFC 5141 §3 (originator, optional type, number, optional ":-part", optional ":ed-N")
    "urn": re.compile(
        r"urn:iso:std:(?:iso|iso-iec|iso-cie|iso-astm|iso-ieee|iec)"
        r"(?::(?:data|guide|isp|iwa|pas|r|tr|ts|tta))?:[0-9]+(?::-[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*)?(?::ed-[1-9][0-9]*)?"
    ),
    "page": re.compile(r"https://(?:www\.w3\.org/TR/[a-z0-9-]+/#[A-Za-z]+|w3id\.org/sssom/[A-Za-z]+)"),
    # NIST's OSCAL catalog of CSF 2.0 (published from usnistgov/oscal-content)
    "oscal": re.compile(r"https://github\.com/usnistgov/oscal-content/tree/main/nist\.gov/CSF/v2\.0"),
}


def kind(iri: str) -> str:
    return next((k for k, p in PATTERNS.items() if p.fullmatch(iri)), "malformed")


@pytest.fixture(scope="module")
def graph_rows(select, kg):
    def run(name: str, sparql: str) -> list[tuple]:
        return select(sparql, default_graph=[kg.graph_iri(name)])

    return run


@pytest.fixture(scope="module")
def ask(kg):
    def run(sparql: str) -> bool:
        return bool(kg.query(PREFIXES + sparql))

    return run


@pytest.fixture(scope="module")
def links(graph_rows):
    return graph_rows(
        "external-links",
        """SELECT ?s ?p ?o WHERE { ?s ?p ?o }""",
    )


def external_iris(rows) -> set[str]:
    return {o for _s, _p, o in rows if not o.startswith(ID)}


def test_every_external_iri_is_well_formed(links, graph_rows):
    alignments = graph_rows("alignments", "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isIRI(?o)) }")
    iris = external_iris(links) | {o for _s, p, o in alignments if p.endswith("seeAlso")}
    assert len(iris) > 20
    for iri in iris:
        assert rfc3987.match(iri, rule="IRI"), iri  # RFC 3987 §2.2: scheme required, fragment allowed
        assert kind(iri) != "malformed", iri
    assert {p for _s, p, _o in links} == {
        "http://www.w3.org/2000/01/rdf-schema#seeAlso",
        "http://purl.org/dc/terms/identifier",
        "http://purl.org/dc/terms/isVersionOf",
    }


def test_web_pages_are_see_also_and_identifiers_are_plain_literals(select, ask):
    rows = select(f"""SELECT ?p ?o (DATATYPE(?o) AS ?dt) WHERE {{ GRAPH <{GRAPH}external-links> {{ ?s ?p ?o }} }}""")
    for p, o, dt in rows:
        if p.endswith("identifier"):
            # plain strings: rdflib's JSON-LD reader drops datatypes under the context's "type" alias
            assert dt == "http://www.w3.org/2001/XMLSchema#string" and kind(o) in ("doi", "urn"), o
        elif p.endswith("seeAlso"):
            assert kind(o) in ("doi", "oscal"), o  # a page about the resource, not the resource: never exactMatch/sameAs
        else:
            assert kind(o) == "urn", o
    none = ask(
        f"""ASK {{ GRAPH <{GRAPH}external-links> {{ ?s ?p ?o
             FILTER(?p IN (<http://www.w3.org/2004/02/skos/core#exactMatch>, <http://www.w3.org/2002/07/owl#sameAs>)) }} }}"""
    )
    assert not none


def expected_urns() -> dict[str, tuple[str | None, str]]:
    """notation -> (dated URN with edition or None, undated URN), from tests/reference/other-standards.csv."""
    ordinal = re.compile(r"\((\d+)(?:st|nd|rd|th) ed(?:ition|\.)")
    origin = {"ISO": "iso", "ISO/IEC": "iso-iec"}

    def base(number: str) -> str:
        m = re.fullmatch(r"(ISO/IEC|ISO)(?: (TS|TR))? (\d+)(?:-(\d+))?", number)
        assert m, number
        org, typ, doc, part = m.groups()
        return f"urn:iso:std:{origin[org]}{':' + typ.lower() if typ else ''}:{doc}{':-' + part if part else ''}"

    out: dict[str, tuple[str | None, str]] = {}
    for row in read_reference("other-standards.csv"):
        if not row["standard"].startswith("ISO"):
            continue
        undated = base(row["number"])
        edition = ordinal.search(row["edition_year"])
        notation = row["standard"].removesuffix(" (all parts)")
        if ":" in notation:
            out[notation] = (f"{undated}:ed-{edition.group(1)}" if edition else None, undated)
        else:
            out[notation] = (None, undated)
        for part in filter(None, row["parts"].split("; ")):
            m = re.match(r"Part (\d+):(\d{4})", part)
            assert m, part
            edition = ordinal.search(part)
            urn = f"{undated}:-{m.group(1)}"
            out[f"{row['number']}-{m.group(1)}:{m.group(2)}"] = (
                f"{urn}:ed-{edition.group(1)}" if edition else None,
                urn,
            )
    return out


def test_iso_urns_follow_from_the_reference_facts(select):
    rows = select(f"""
        SELECT ?notation ?id ?version WHERE {{
          ?s a <https://w3id.org/cyberframe/ontology#Standard> ; skos:notation ?notation .
          FILTER(STRSTARTS(?notation, "ISO"))
          OPTIONAL {{ GRAPH <{GRAPH}external-links> {{ ?s dcterms:identifier ?id }} }}
          OPTIONAL {{ GRAPH <{GRAPH}external-links> {{ ?s dcterms:isVersionOf ?version }} }} }}""")
    want = expected_urns()
    got = {notation: (ident, version) for notation, ident, version in rows}
    assert len(got) == len(rows) == 33
    for notation, (ident, version) in got.items():
        if notation in want:
            dated, undated = want[notation]
            if (
                ":" in notation
            ):  # a dated edition: a version of the undated work, and its own URN when the edition is known
                assert (ident, version) == (dated, undated), notation
            else:  # an undated reference is the work itself
                assert (ident, version) == (undated, None), notation
        else:  # not in the reference (27001:2013, 27002:2013, TS 27103:2026): no edition is known
            assert ident is None and version == "urn:iso:std:" + (
                "iso-iec:ts:27103" if "27103" in notation else "iso-iec:" + notation.split()[1].split(":")[0]
            ), notation
    assert got["ISO/IEC 27002:2022"] == ("urn:iso:std:iso-iec:27002:ed-3", "urn:iso:std:iso-iec:27002")
    assert got["ISO/IEC 27033-1:2015"] == ("urn:iso:std:iso-iec:27033:-1:ed-2", "urn:iso:std:iso-iec:27033:-1")


def test_every_standard_and_every_csf_element_links_out(select, ask):
    standards = select(f"""
        SELECT ?s (COUNT(?o) AS ?n) WHERE {{
          ?s a <https://w3id.org/cyberframe/ontology#Standard> .
          OPTIONAL {{ GRAPH <{GRAPH}external-links> {{ ?s ?p ?o }} }} }} GROUP BY ?s""")
    missing = {s.removeprefix(ID + "standard/") for s, n in standards if n == 0}
    assert missing == set(NO_LINK) and len(standards) == 37
    for key, doi in DOIS.items():
        assert ask(f"""ASK {{ GRAPH <{GRAPH}external-links> {{
            <{ID}standard/{key}> dcterms:identifier ?d ; rdfs:seeAlso <{doi}> FILTER(STR(?d) = "{doi}") }} }}""")
    for classes, doi, count in (
        ("Csf20Function Csf20Category Csf20Subcategory", CSF20_DOI, 6 + 22 + 106),
        ("Function Category Subcategory", CSF11_DOI, 5 + 23 + 108),
    ):
        values = " ".join(f"<https://w3id.org/cyberframe/ontology#{c}>" for c in classes.split())
        rows = select(f"""SELECT ?s ?link WHERE {{ VALUES ?c {{ {values} }} ?s a ?c .
            OPTIONAL {{ GRAPH <{GRAPH}external-links> {{ ?s rdfs:seeAlso ?link }} }} }}""")
        assert len(rows) == count and {link for _s, link in rows} == {doi}


def test_every_alignment_cites_its_reason(graph_rows, kg):
    assert "alignments" in kg.manifest.graphs  # one named graph of its own (the loader's rule)
    axioms = graph_rows(
        "alignments",
        """
        SELECT ?s ?p ?o WHERE { ?s ?p ?o
          FILTER(?p IN (rdfs:subClassOf, owl:equivalentClass, rdfs:subPropertyOf, owl:equivalentProperty)) }""",
    )
    assert len(axioms) >= 2
    for s, p, o in axioms:
        cited = graph_rows(
            "alignments",
            f"""
            SELECT ?reason ?where WHERE {{ ?ax a owl:Axiom ; owl:annotatedSource <{s}> ; owl:annotatedProperty <{p}> ;
                owl:annotatedTarget <{o}> ; rdfs:comment ?reason ; rdfs:seeAlso ?where }}""",
        )
        assert len(cited) == 1 and len(cited[0][0]) > 80, (s, o)
        assert kind(cited[0][1]) == "page", cited
    unbacked = graph_rows(
        "alignments",
        """
        SELECT ?ax WHERE { ?ax a owl:Axiom ; owl:annotatedSource ?s ; owl:annotatedProperty ?p ; owl:annotatedTarget ?o
          FILTER NOT EXISTS { ?s ?p ?o } }""",
    )
    assert unbacked == []


@pytest.mark.parametrize(
    "bad",
    [
        "urn:iso:std:iso-iec:27002:ed-0",
        "urn:iso:std:iso-iec:27033-1:ed-2",
        "urn:iso:std:iec-iso:27002",
        "https://doi.org/10.6028/NIST CSWP.29",
        "http://doi.org/10.6028/NIST.CSWP.29",
        "https://www.iso.org/standard/75652.html",
    ],
)
def test_the_patterns_refuse_malformed_links(bad):
    assert kind(bad) == "malformed"
