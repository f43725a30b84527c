"""The SPARQL 1.1 Service Description of the endpoint (Service Description §3, VoID §4).

Answered at ``/sparql`` when a request carries no query (Service Description
§2: "the service description ... at the service endpoint"). ``sd:endpoint`` is
the URL the client used. The description names the supported language and
result formats, the features (a union default graph; no federation), and the
default dataset: its default graph and every named graph, each with its VoID
triple count. Blank nodes get fixed labels so the document is the same bytes
for the same dataset (ETags).
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID, XSD

from .. import __version__
from ..namespaces import SD
from .dataset import ServedDataset

VOID_PATH = "/.well-known/void"
RDF_TYPE = ox.NamedNode(str(RDF.type))
FORMATS = "http://www.w3.org/ns/formats/"
XSD_INTEGER = ox.NamedNode(str(XSD.integer))

#: W3C format IRIs (http://www.w3.org/ns/formats/) of the result formats on offer.
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "JSON-LD",
    "N-Triples",
    "RDF_XML",
)


def _sd(name: str) -> ox.NamedNode:
    return ox.NamedNode(str(SD[name]))


def _count(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def describe(dataset: ServedDataset, endpoint: str) -> list[ox.Triple]:
    """The service description of *dataset* served at *endpoint*, as triples."""
    service = ox.NamedNode(endpoint)
    ds = ox.BlankNode("dataset")
    default = ox.BlankNode("defaultGraph")
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, ox.NamedNode(str(DCTERMS.title)), ox.Literal("cyberframe SPARQL endpoint", language="en")),
        ox.Triple(
            service,
            ox.NamedNode(str(DCTERMS.description)),
            ox.Literal(
                "ISO/IEC TS 27103:2026 cybersecurity framework knowledge graph, read-only. "
                "The default graph is the union of the named graphs; OWL 2 RL entailments are materialised "
                "in the graph named .../graph/inferred. SPARQL Update, LOAD and SERVICE are refused.",
                language="en",
            ),
        ),
        ox.Triple(service, ox.NamedNode(str(DCTERMS.hasVersion)), ox.Literal(__version__)),
        ox.Triple(service, _sd("defaultDataset"), ds),
        ox.Triple(ds, RDF_TYPE, _sd("Dataset")),
        ox.Triple(ds, RDF_TYPE, ox.NamedNode(str(VOID.Dataset))),
        ox.Triple(ds, ox.NamedNode(str(VOID.sparqlEndpoint)), service),
        # VoID §7.2: where the full VoID description of the dataset is published.
        ox.Triple(ds, ox.NamedNode(str(RDFS.seeAlso)), ox.NamedNode(endpoint.rsplit("/", 1)[0] + VOID_PATH)),
        ox.Triple(ds, ox.NamedNode(str(VOID.triples)), _count(dataset.default_graph_triples)),
        ox.Triple(ds, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
        ox.Triple(default, ox.NamedNode(str(VOID.triples)), _count(dataset.default_graph_triples)),
    ]
    triples += [ox.Triple(service, _sd("resultFormat"), ox.NamedNode(FORMATS + name)) for name in RESULT_FORMATS]
    for index, (iri, count) in enumerate(sorted(dataset.graphs.items())):
        named, graph = ox.BlankNode(f"namedGraph{index}"), ox.BlankNode(f"graph{index}")
        triples += [
            ox.Triple(ds, _sd("namedGraph"), named),
            ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
            ox.Triple(named, _sd("name"), ox.NamedNode(iri)),
            ox.Triple(named, _sd("graph"), graph),
            ox.Triple(graph, RDF_TYPE, _sd("Graph")),
            ox.Triple(graph, ox.NamedNode(str(VOID.triples)), _count(count)),
        ]
    return triples
