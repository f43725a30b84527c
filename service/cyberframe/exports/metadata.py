"""What every export says about the dataset it came from: title, licence, creator, versions, dates."""

from __future__ import annotations

from dataclasses import dataclass

from ..knowledge import KnowledgeGraph
from ..resources import internal_query

DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DEFAULT_CREATOR = "The cyberframe contributors"


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about one build of the knowledge graph, for export headers."""

    version: str  #: package (data) version
    ontology_version: str
    license: str
    creator: str
    build_hash: str
    built_at: str  #: ISO 8601 date-time with offset

    @property
    def built_on(self) -> str:
        """The build date, ``YYYY-MM-DD``."""
        return self.built_at[:10]


def dataset_info(kg: KnowledgeGraph) -> DatasetInfo:
    """Read the ontology header of *kg* and its manifest."""
    rows = list(kg.select(internal_query("export-ontology-header"), default_graph=[kg.graph_iri("ontology")]))
    row = rows[0] if rows else None

    def get(name: str) -> str | None:
        return None if row is None or row[name] is None else row[name].value

    return DatasetInfo(
        version=kg.manifest.version,
        ontology_version=kg.manifest.ontology_version,
        license=get("license") or DEFAULT_LICENSE,
        creator=get("creator") or DEFAULT_CREATOR,
        build_hash=kg.build_hash,
        built_at=kg.manifest.built_at,
    )
