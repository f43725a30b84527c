"""The source files themselves: normalised Turtle, a closed ontology namespace, documented terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from conftest import ROOT
from cyberframe.namespaces import CF, ONTOLOGY_IRI, bind_prefixes
from cyberframe.resources import sources

TURTLE = sorted(p.relative_to(ROOT).as_posix() for p in [*ROOT.glob("ontology/*.ttl"), *ROOT.glob("data/*.ttl")])


@pytest.mark.parametrize("relative", TURTLE)
def test_turtle_is_normalised(relative: str):
    """Each file equals rdflib's longturtle re-serialisation, so diffs show only real changes."""
    text = (ROOT / relative).read_text(encoding="utf-8")
    graph = bind_prefixes(Graph()).parse(data=text, format="turtle")
    assert graph.serialize(format="longturtle") == text, f"run: cyberframe fmt {relative}"


def test_sources_are_the_shipped_files():
    names = {s.relative for s in sources()}
    assert names == {t for t in TURTLE if not t.endswith("shapes.ttl")}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology/cyberframe.ttl")


def declared_terms(ontology: Graph) -> set[str]:
    ns = str(CF._NS)
    return {str(s) for s in ontology.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(ns)}


def test_namespace_module_lists_exactly_the_declared_terms(ontology):
    python_terms = {str(CF._NS) + name for name in CF.__annotations__}
    assert python_terms == declared_terms(ontology)
    with pytest.raises(AttributeError):
        CF.refrences  # noqa: B018 - a misspelt term must fail


def test_every_term_has_an_english_label_and_definition(ontology):
    missing = []
    for term in declared_terms(ontology):
        labels = [o for o in ontology.objects(URIRef(term), RDFS.label) if o.language == "en"]
        definitions = [o for o in ontology.objects(URIRef(term), SKOS.definition) if o.language == "en"]
        if len(labels) != 1 or len(definitions) != 1:
            missing.append(term)
    assert missing == []


def test_ontology_header(ontology):
    version = ontology.value(ONTOLOGY_IRI, OWL.versionInfo)
    assert list(ontology.objects(ONTOLOGY_IRI, OWL.versionIRI)) == [URIRef(f"{ONTOLOGY_IRI}/{version}")]
    for prop in ("title", "description", "license"):
        assert ontology.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/" + prop)) is not None
    assert str(ontology.value(ONTOLOGY_IRI, URIRef("http://purl.org/vocab/vann/preferredNamespaceUri"))) == str(CF._NS)


def test_every_term_used_in_the_data_is_declared(ontology):
    """A typo such as cf:referenecs in a data file would otherwise mint a silent new term."""
    declared = declared_terms(ontology)
    used = set()
    for path in ROOT.glob("data/*.ttl"):
        for triple in Graph().parse(path):
            used |= {str(t) for t in triple if isinstance(t, URIRef) and str(t).startswith(str(CF._NS))}
    assert used - declared == set()


def test_shipped_content_is_found_from_the_package():
    from cyberframe import resources

    assert Path(resources.ontology_path()).is_file()
    assert resources.queries_dir().is_dir()
