"""What the HTML pages read from the knowledge graph, indexed once per app (the data is frozen: docs/architecture.md).

The pages never touch rdflib: they read the in-memory pyoxigraph store with
``quads_for_pattern`` (microseconds per call) and with a few SPARQL queries
kept as ``.rq`` files in ``internal_queries/``. :class:`GraphIndex` holds what
almost every page needs - the name and class of every resource, the framework
tree, every mapping record - built on first use and kept for the life of the
app, so that a page renders in milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ...knowledge import INFERRED, KnowledgeGraph
from ...mappings import MappingRecord, load_records, set_rank
from ...namespaces import CF, ID
from ...ordering import notation_key
from ...resources import internal_query

RDF_TYPE = ox.NamedNode(str(RDF.type))
CF_NS = str(CF)
ID_NS = str(ID)
TS27103 = ID_NS + "framework/ts27103"
#: The IRI prefix of the ISO/IEC 27002:2022 controls.
CONTROLS_2022 = ID_NS + "control/iso-iec-27002-2022/"

_NOTATION = ox.NamedNode(str(SKOS.notation))
#: Where a name comes from, best first.
_LABELS = (str(SKOS.prefLabel), str(RDFS.label), str(DCTERMS.title))
_DEFINITIONS = (str(SKOS.definition), str(DCTERMS.description), str(RDFS.comment))

#: The attribute facets of ISO/IEC 27002:2022 controls: (parameter of controls-by-attributes, property, heading).
FACETS: tuple[tuple[str, str, str], ...] = (
    ("theme", str(CF.theme), "Theme"),
    ("type", str(CF.controlType), "Control type"),
    ("property", str(CF.securityProperty), "Information security property"),
    ("concept", str(CF.cybersecurityConcept), "Cybersecurity concept"),
    ("capability", str(CF.operationalCapability), "Operational capability"),
    ("domain", str(CF.securityDomain), "Security domain"),
)

@dataclass(frozen=True)
class Name:
    """How a resource is shown: its notation (``DE.CM-1``) and its label (``Network monitoring``)."""

    notation: str | None
    label: str | None

    @property
    def text(self) -> str:
        """``DE.CM-1 Network monitoring``; the label alone when it already starts with the notation."""
        if self.notation and self.label and not self.label.startswith(self.notation):
            return f"{self.notation} {self.label}"
        return self.label or self.notation or ""


@dataclass
class TreeNode:
    """A function, category or subcategory of the framework, with its children in framework order."""

    iri: str
    notation: str
    label: str
    definition: str | None = None
    children: list[TreeNode] = field(default_factory=list)
    controls: int = 0  #: ISO/IEC 27002:2022 controls referenced (subcategory) or reached (category, function)
    references: int = 0  #: all cf:references of a subcategory, summed for categories and functions

    @property
    def key(self) -> str:
        return self.iri[len(ID_NS) :]

    def count(self, depth: int) -> int:
        """Descendants *depth* levels down (1: children, 2: grandchildren)."""
        level = [self]
        for _ in range(depth):
            level = [c for n in level for c in n.children]
        return len(level)


class GraphIndex:
    """Names, classes, framework tree and mapping records of one knowledge graph."""

    def __init__(self, kg: KnowledgeGraph) -> None:
        self.kg = kg
        self.store = kg.store
        self.inferred_graph = kg.graph_iri(INFERRED)
        self.names: dict[str, Name] = {}
        self.definitions: dict[str, str] = {}
        self.types: dict[str, set[str]] = defaultdict(set)
        self.subclasses: dict[str, set[str]] = defaultdict(set)  #: class -> its proper sub-classes (transitive)
        self.records: dict[str, MappingRecord] = {}
        self.records_by_subject: dict[str, list[MappingRecord]] = defaultdict(list)
        self.records_by_object: dict[str, list[MappingRecord]] = defaultdict(list)
        self.functions: list[TreeNode] = []
        self.tree_nodes: dict[str, TreeNode] = {}
        self._build()

    # --- building -------------------------------------------------------------------------------

    def _build(self) -> None:
        self._read_names()
        self._read_types()
        self._read_records()
        self._read_tree()

    def _literals(self, predicate: str) -> dict[str, str]:
        """Subject -> English (or untagged) literal of *predicate*, first found."""
        out: dict[str, str] = {}
        for quad in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None):
            obj = quad.object
            if isinstance(obj, ox.Literal) and obj.language in (None, "en") and isinstance(quad.subject, ox.NamedNode):
                out.setdefault(quad.subject.value, obj.value)
        return out

    def _read_names(self) -> None:
        notations = self._literals(str(_NOTATION.value))
        labels: dict[str, str] = {}
        for predicate in reversed(_LABELS):
            labels.update(self._literals(predicate))
        for predicate in reversed(_DEFINITIONS):
            self.definitions.update(self._literals(predicate))
        for iri in notations.keys() | labels.keys():
            self.names[iri] = Name(notations.get(iri), labels.get(iri))

    def _read_types(self) -> None:
        for quad in self.store.quads_for_pattern(None, RDF_TYPE, None):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                self.types[quad.subject.value].add(quad.object.value)
        direct: dict[str, set[str]] = defaultdict(set)
        for quad in self.store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)), None):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                direct[quad.object.value].add(quad.subject.value)
        for cls in list(direct):
            seen: set[str] = set()
            stack = list(direct[cls])
            while stack:
                sub = stack.pop()
                if sub not in seen and sub != cls:
                    seen.add(sub)
                    stack.extend(direct.get(sub, ()))
            self.subclasses[cls] = seen

    def _read_records(self) -> None:
        for record in load_records(self.kg):
            self.records[record.iri] = record
            self.records_by_subject[record.subject].append(record)
            self.records_by_object[record.object].append(record)
        for records in self.records_by_subject.values():
            records.sort(key=lambda r: (set_rank(r.mapping_set), self.sort_key(r.object)))
        for records in self.records_by_object.values():
            records.sort(key=lambda r: (set_rank(r.mapping_set), self.sort_key(r.subject)))

    def _read_tree(self) -> None:
        nodes: dict[str, TreeNode] = {}

        def node(term: ox.NamedNode) -> TreeNode:
            iri = term.value
            if iri not in nodes:
                name = self.names.get(iri, Name(None, None))
                nodes[iri] = TreeNode(iri, name.notation or "", name.label or "", self.definitions.get(iri))
            return nodes[iri]

        links: set[tuple[str, str]] = set()
        for row in self.kg.select(internal_query("page-framework-tree")):
            function = node(row["function"])
            if row["category"] is not None:
                category = node(row["category"])
                links.add((function.iri, category.iri))
                if row["subcategory"] is not None:
                    links.add((category.iri, node(row["subcategory"]).iri))
        for parent, child in links:
            nodes[parent].children.append(nodes[child])
        for item in nodes.values():
            item.children.sort(key=lambda n: notation_key(n.notation))
        functions = [n for n in nodes.values() if n.iri.startswith(ID_NS + "function/")]
        self.functions = sorted(functions, key=lambda n: notation_key(n.notation))
        self.tree_nodes = nodes
        for function in self.functions:
            function_controls: set[str] = set()
            for category in function.children:
                category_controls: set[str] = set()
                for sub in category.children:
                    targets = [r.object for r in self.records_by_subject.get(sub.iri, ()) if r.is_reference]
                    controls = {t for t in targets if t.startswith(CONTROLS_2022)}
                    sub.controls, sub.references = len(controls), len(targets)
                    category_controls |= controls
                    category.references += sub.references
                category.controls = len(category_controls)
                function_controls |= category_controls
                function.references += category.references
            function.controls = len(function_controls)

    # --- reading --------------------------------------------------------------------------------

    def name(self, iri: str) -> Name:
        return self.names.get(iri) or Name(None, None)

    def sort_key(self, iri: str) -> tuple:
        name = self.names.get(iri)
        notation = name.notation if name and name.notation else None
        return (0, notation_key(notation), iri) if notation else (1, (), iri)

    def objects(self, iri: str, predicate: str) -> list[str]:
        """The IRIs *iri* links to with *predicate*, in any graph, sorted."""
        found = self.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None)
        return sorted({q.object.value for q in found if isinstance(q.object, ox.NamedNode)})

    def subjects(self, predicate: str, iri: str) -> list[str]:
        """The IRIs that link to *iri* with *predicate*, in any graph, sorted."""
        found = self.store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(iri))
        return sorted({q.subject.value for q in found if isinstance(q.subject, ox.NamedNode)})

    def ordered(self, iris: Iterable[str]) -> list[str]:
        """*iris* in reading order (by notation, naturally)."""
        return sorted(iris, key=self.sort_key)

    def exists(self, iri: str) -> bool:
        """True if the graph says anything about *iri* or links to it (False for text that is no IRI)."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:  # e.g. a bad percent-encoding such as %zz: names nothing
            return False
        return (
            next(self.store.quads_for_pattern(node, None, None), None) is not None
            or next(self.store.quads_for_pattern(None, None, node), None) is not None
        )

    def main_class(self, iri: str) -> str | None:
        """The most specific class of *iri*, cyberframe's own classes first."""
        types = self.types.get(iri, set())
        for pool in ([t for t in types if t.startswith(CF_NS)], list(types)):
            specific = [t for t in pool if not (self.subclasses.get(t, set()) & types)]
            if specific:
                return sorted(specific)[0]
        return None

    def keys_of_kind(self, kind: str) -> list[str]:
        """The keys after ``id/{kind}/`` of every resource of that kind that has a name."""
        prefix = ID_NS + kind + "/"
        return [iri[len(prefix) :] for iri in self.names if iri.startswith(prefix)]

