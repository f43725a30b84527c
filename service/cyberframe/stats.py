"""Figures about a built knowledge graph: triples per graph, instances per class."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .knowledge import KnowledgeGraph
from .namespaces import CF
from .resources import internal_query

#: The classes whose instance counts ``cyberframe stats`` reports, in display order.
COUNTED_CLASSES = (
    "Framework",
    "Function",
    "Category",
    "Subcategory",
    "Control",
    "Clause",
    "Standard",
    "Theme",
    "ControlType",
    "SecurityProperty",
    "OperationalCapability",
    "SecurityDomain",
    "MappingSet",
    "MappingRecord",
    "Csf20Function",
    "Csf20Category",
    "Csf20Subcategory",
    "Activity",
    "Characteristic",
    "Principle",
    "InterestedParty",
)


@dataclass(frozen=True)
class Stats:
    """The figures ``cyberframe stats`` and ``GET /stats`` report."""

    version: str
    ontology_version: str
    build_hash: str
    built_at: str
    graphs: dict[str, int]
    instances: dict[str, int]
    provisions: dict[str, int]
    themes: dict[str, int]
    new_provisions: dict[str, int]

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "ontology_version": self.ontology_version,
            "build_hash": self.build_hash,
            "built_at": self.built_at,
            "triples": self.triples,
            "graphs": self.graphs,
            "instances": self.instances,
            "provisions_by_standard": self.provisions,
            "controls_by_theme": self.themes,
            "new_provisions_by_standard": self.new_provisions,
        }


def _counts(kg: KnowledgeGraph, sparql: str) -> dict[str, int]:
    rows = kg.select(sparql, default_graph=kg.asserted_graphs())
    return {row[0].value: int(row[1].value) for row in rows}


def collect_stats(kg: KnowledgeGraph) -> Stats:
    """Count asserted instances of each reported class, provisions, and triples per named graph."""
    counts = _counts(kg, internal_query("stats-instances"))
    instances = {name: counts.get(str(CF[name]), 0) for name in COUNTED_CLASSES}
    m = kg.manifest
    return Stats(
        version=m.version,
        ontology_version=m.ontology_version,
        build_hash=m.build_hash,
        built_at=m.built_at,
        graphs=dict(m.graphs),
        instances=instances,
        provisions=_counts(kg, internal_query("stats-provisions")),
        themes=_counts(kg, internal_query("stats-themes")),
        new_provisions=_counts(kg, internal_query("stats-new-provisions")),
    )
