"""Figures about a built knowledge graph: triples per graph, instances per class."""

from __future__ import annotations

from dataclasses import dataclass

from .knowledge import KnowledgeGraph
from .namespaces import CF

#: The classes whose instance counts ``cyberframe stats`` reports, in display order.
COUNTED_CLASSES = (
    "Framework", "Function", "Category", "Subcategory", "Control", "Clause", "Standard",
    "Theme", "ControlType", "SecurityProperty", "OperationalCapability", "SecurityDomain",
    "MappingSet", "MappingRecord", "Csf20Function", "Csf20Category", "Csf20Subcategory",
    "Activity", "Characteristic", "Principle", "InterestedParty",
)

_INSTANCES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"


@dataclass(frozen=True)
class Stats:
    """The figures ``cyberframe stats`` and ``GET /stats`` report."""

    version: str
    ontology_version: str
    build_hash: str
    built_at: str
    graphs: dict[str, int]
    instances: dict[str, int]

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "ontology_version": self.ontology_version,
            "build_hash": self.build_hash,
            "built_at": self.built_at,
            "triples": self.triples,
            "graphs": self.graphs,
            "instances": self.instances,
        }


def collect_stats(kg: KnowledgeGraph) -> Stats:
    """Count asserted instances of each reported class, and triples per named graph."""
    counts = {
        str(row["class"].value): int(row["n"].value)
        for row in kg.query(_INSTANCES, default_graph=kg.asserted_graphs())
    }
    instances = {name: counts.get(str(CF[name]), 0) for name in COUNTED_CLASSES}
    m = kg.manifest
    return Stats(m.version, m.ontology_version, m.build_hash, m.built_at, dict(m.graphs), instances)
