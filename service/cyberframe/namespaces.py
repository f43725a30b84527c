"""The namespaces cyberframe mints and reuses, defined once (docs/data-model.md).

``CF`` is a closed :class:`rdflib.namespace.DefinedNamespace`: a misspelt term
raises ``AttributeError`` instead of minting a new IRI. A test keeps its term
list equal to the terms declared in ``ontology/cyberframe.ttl``.
"""

from __future__ import annotations

from typing import TypeVar

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SH, SKOS, VOID, XSD, DefinedNamespace

BASE = "https://w3id.org/cyberframe/"
ONTOLOGY_IRI = URIRef(BASE + "ontology")
ID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
CFSH = Namespace(BASE + "shapes#")
VANN = Namespace("http://purl.org/vocab/vann/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")


class CF(DefinedNamespace):
    """cyberframe ontology terms (``https://w3id.org/cyberframe/ontology#``)."""

    _fail = True
    _NS = Namespace(BASE + "ontology#")

    # classes
    Activity: URIRef
    AttributeValue: URIRef
    Category: URIRef
    ChangeType: URIRef
    Characteristic: URIRef
    Clause: URIRef
    Control: URIRef
    ControlType: URIRef
    Csf20Category: URIRef
    Csf20Function: URIRef
    Csf20Subcategory: URIRef
    DerivationRule: URIRef
    EvidenceBasis: URIRef
    Framework: URIRef
    Function: URIRef
    InterestedParty: URIRef
    MappingRationale: URIRef
    MappingRecord: URIRef
    MappingRelationship: URIRef
    MappingSet: URIRef
    OperationalCapability: URIRef
    Principle: URIRef
    Provision: URIRef
    RiskBasedApproachAdvantage: URIRef
    SecurityDomain: URIRef
    SecurityProperty: URIRef
    Standard: URIRef
    Subcategory: URIRef
    Theme: URIRef
    # properties
    attributeValue: URIRef
    attributeValueOf: URIRef
    basis: URIRef
    changeType: URIRef
    committee: URIRef
    concernedBy: URIRef
    concerns: URIRef
    controlType: URIRef
    cybersecurityConcept: URIRef
    definedBy: URIRef
    derivation: URIRef
    derivationRule: URIRef
    documentNumber: URIRef
    edition: URIRef
    hasPart: URIRef
    hasProvision: URIRef
    inMappingSet: URIRef
    inStandard: URIRef
    informativeReference: URIRef
    mappingObject: URIRef
    mappingSubject: URIRef
    newInEdition: URIRef
    objectOfMapping: URIRef
    operationalCapability: URIRef
    partOf: URIRef
    predecessor: URIRef
    rationale: URIRef
    referencedBy: URIRef
    references: URIRef
    relationship: URIRef
    securityDomain: URIRef
    securityProperty: URIRef
    subjectOfMapping: URIRef
    successor: URIRef
    theme: URIRef


PREFIXES: dict[str, str] = {
    "cf": str(CF),
    "cfsh": str(CFSH),
    "cfid": str(ID),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "sh": str(SH),
    "void": str(VOID),
    "vann": str(VANN),
    "sd": str(SD),
}


G = TypeVar("G", bound=Graph)

_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def curie(iri: str) -> str | None:
    """``cf:references``, ``cfid:function/DE``: *iri* with the longest matching prefix; None if none fits."""
    for prefix, namespace in _BY_LENGTH:
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return None


def bind_prefixes(graph: G) -> G:
    """Bind cyberframe's prefixes on *graph* (replacing rdflib's defaults) and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def graph_iri(name: str) -> URIRef:
    """``.../graph/{name}``: the named graph that holds one source file."""
    return GRAPH[name]
