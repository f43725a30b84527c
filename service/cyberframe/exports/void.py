"""A VoID description of the dataset (W3C Interest Group Note "Describing Linked Datasets with the VoID
Vocabulary", 2011).

The dataset :data:`DATASET` has one ``void:subset`` per named graph (the graph
IRI itself, typed ``void:Dataset``), statistics (§4.5: ``void:triples``,
``void:entities``, ``void:classes``, ``void:properties``,
``void:distinctSubjects``, ``void:distinctObjects``), class and property
partitions (§4.6), the URI space of its resources (§4.3), the vocabularies it
uses, its root and example resources, and the RDF syntaxes it is dumped in
(``void:feature``). With a ``service_url`` it also names the SPARQL endpoint,
the dump and the lookup endpoint of that deployment. Serve it at
``/.well-known/void`` (VoID §7.2) and link it from the SPARQL service
description.
"""

from __future__ import annotations

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from ..knowledge import INFERRED, KnowledgeGraph
from ..namespaces import BASE, CF, GRAPH, ID, PREFIXES, bind_prefixes
from ..progress import Progress, quiet
from ..resources import internal_query, sources
from .metadata import dataset_info

VOID_DOCUMENT = URIRef(BASE + "void")
DATASET = URIRef(BASE + "void#cyberframe")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

_FEATURES = ("Turtle", "N-Triples", "N-Quads", "TriG", "JSON-LD", "RDF_XML")

_DESCRIPTION = (
    "The cybersecurity framework of ISO/IEC TS 27103:2026 (functions, categories, subcategories), the controls "
    "of ISO/IEC 27002:2022 with their attributes, the clauses of ISO/IEC 27001:2022, the standards the framework "
    "draws on, NIST CSF 2.0 and mapping records with NIST IR 8477 semantics and provenance, plus their OWL 2 RL "
    "entailments. One named graph per source file."
)

#: Resources that show what the dataset holds (VoID §4.2, void:exampleResource).
EXAMPLES = (
    ID["subcategory/DE.CM-1"],
    ID["control/iso-iec-27002-2022/8.16"],
    ID["clause/iso-iec-27001-2022/6.1.3"],
    ID["mapping/ts27103-iso27002-2022/DE.AE-1--8.20"],
)


def _local(iri: str) -> str:
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace):
            return f"{prefix}.{iri[len(namespace) :]}"
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def void_graph(kg: KnowledgeGraph, service_url: str | None = None) -> Graph:
    """The VoID description of *kg* as an rdflib Graph."""
    info = dataset_info(kg)
    g = bind_prefixes(Graph())
    g.bind("formats", FORMATS)
    d = DATASET
    g.add((VOID_DOCUMENT, RDF.type, VOID.DatasetDescription))
    g.add((VOID_DOCUMENT, DCTERMS.title, Literal("VoID description of the cyberframe dataset", lang="en")))
    g.add((VOID_DOCUMENT, FOAF.primaryTopic, d))
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, DCTERMS.title, Literal("cyberframe: the ISO/IEC TS 27103:2026 cybersecurity framework", lang="en")))
    g.add((d, DCTERMS.description, Literal(_DESCRIPTION, lang="en")))
    g.add((d, DCTERMS.license, URIRef(info.license)))
    g.add((d, DCTERMS.creator, Literal(info.creator)))
    g.add((d, DCTERMS.modified, Literal(info.built_at, datatype=XSD.dateTime)))
    g.add((d, DCTERMS.source, ID["standard/iso-iec-ts-27103-2026"]))
    g.add((d, OWL.versionInfo, Literal(info.version)))
    g.add((d, VOID.uriSpace, Literal(str(ID))))
    g.add((d, VOID.rootResource, ID["framework/ts27103"]))
    for example in EXAMPLES:
        g.add((d, VOID.exampleResource, example))
    for vocabulary in (CF._NS, SKOS, DCTERMS, PROV, OWL, RDFS):
        g.add((d, VOID.vocabulary, URIRef(str(vocabulary))))
    for feature in _FEATURES:
        g.add((d, VOID.feature, FORMATS[feature]))
    if service_url:
        root = service_url.rstrip("/")
        g.add((d, VOID.sparqlEndpoint, URIRef(root + "/sparql")))
        g.add((d, VOID.dataDump, URIRef(root + "/dump")))
        g.add((d, VOID.uriLookupEndpoint, URIRef(root + "/id/")))

    g.add((d, VOID.triples, Literal(kg.manifest.triples)))
    totals = next(iter(kg.select(internal_query("void-totals"))))
    g.add((d, VOID.distinctSubjects, Literal(int(totals["subjects"].value))))
    g.add((d, VOID.properties, Literal(int(totals["properties"].value))))
    g.add((d, VOID.distinctObjects, Literal(int(totals["objects"].value))))
    g.add((d, VOID.entities, Literal(int(next(iter(kg.select(internal_query("void-entities"))))["n"].value))))
    classes = sorted((row["class"].value, int(row["n"].value)) for row in kg.select(internal_query("void-classes")))
    g.add((d, VOID.classes, Literal(len(classes))))
    for cls, n in classes:
        part = URIRef(f"{BASE}void#class-{_local(cls)}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], URIRef(cls)))
        g.add((part, VOID.entities, Literal(n)))
    properties = kg.select(internal_query("void-properties"))
    for prop, n in sorted((row["p"].value, int(row["n"].value)) for row in properties):
        part = URIRef(f"{BASE}void#property-{_local(prop)}")
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, URIRef(prop)))
        g.add((part, VOID.triples, Literal(n)))

    subjects = {row["g"].value: int(row["subjects"].value) for row in kg.select(internal_query("void-graphs"))}
    files = {source.name: source.relative for source in sources()}
    for name, triples in sorted(kg.manifest.graphs.items()):
        subset = GRAPH[name]
        g.add((d, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, VOID.triples, Literal(triples)))
        g.add((subset, VOID.distinctSubjects, Literal(subjects.get(str(subset), 0))))
        if name == INFERRED:
            g.add((subset, DCTERMS.description, Literal("OWL 2 RL entailments (owlrl), only what is new.", lang="en")))
            for source in sorted(n for n in kg.manifest.graphs if n != INFERRED):
                g.add((subset, PROV.wasDerivedFrom, GRAPH[source]))
        else:
            origin = files.get(name, f"the source file of graph {name}")
            g.add((subset, DCTERMS.description, Literal(f"Loaded from {origin}.", lang="en")))
    return g


def export_void(kg: KnowledgeGraph, service_url: str | None = None, progress: Progress = quiet) -> bytes:
    """The VoID description as Turtle (UTF-8)."""
    progress("describing the dataset in VoID")
    return void_graph(kg, service_url).serialize(format="turtle", encoding="utf-8")
