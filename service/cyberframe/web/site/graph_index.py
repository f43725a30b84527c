"""What the HTML pages read from the knowledge graph, indexed once per app (DESIGN.md §2: the data is frozen).

The pages never touch rdflib: they read the in-memory pyoxigraph store with
``quads_for_pattern`` (microseconds per call) and with a few SPARQL queries
kept as ``.rq`` files in ``page_queries/``. :class:`GraphIndex` holds what
almost every page needs - the name and class of every resource, the framework
tree, every mapping record - built on first use and kept for the life of the
app, so that a page renders in milliseconds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import pyoxigraph as ox

from ...knowledge import INFERRED, KnowledgeGraph
from ...namespaces import BASE, CF, ID
from ...ordering import notation_key

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
CF_NS = str(CF._NS)
ID_NS = str(ID)
TS27103 = ID_NS + "framework/ts27103"
ISO27002_2022 = ID_NS + "standard/iso-iec-27002-2022"
ISO27002_2013 = ID_NS + "standard/iso-iec-27002-2013"
ISO27001_2022 = ID_NS + "standard/iso-iec-27001-2022"
CONTROL_MAPPING_SET = ID_NS + "mapping-set/ts27103-iso27002-2022"

_NOTATION = ox.NamedNode(SKOS + "notation")
#: Where a name comes from, best first.
_LABELS = (SKOS + "prefLabel", RDFS + "label", DCTERMS + "title")
_DEFINITIONS = (SKOS + "definition", DCTERMS + "description", RDFS + "comment")

#: The attribute facets of ISO/IEC 27002:2022 controls: (parameter of controls-by-attributes, property, heading).
FACETS: tuple[tuple[str, str, str], ...] = (
    ("theme", CF_NS + "theme", "Theme"),
    ("type", CF_NS + "controlType", "Control type"),
    ("property", CF_NS + "securityProperty", "Information security property"),
    ("concept", CF_NS + "cybersecurityConcept", "Cybersecurity concept"),
    ("capability", CF_NS + "operationalCapability", "Operational capability"),
    ("domain", CF_NS + "securityDomain", "Security domain"),
)

#: Mapping sets in the order pages show them: the framework's own references first, then the crosswalks.
MAPPING_SET_ORDER = (
    "ts27103-iso27002-2022",
    "ts27103-iso27001-2022",
    "ts27103-standards",
    "ts27103-principles",
    "iso27002-2013-2022",
    "csf11-csf20",
    "csf20-iso27001-2022",
)


@cache
def page_query(name: str) -> str:
    """The text of ``page_queries/NAME.rq`` (read once)."""
    return files("cyberframe.web.site").joinpath("page_queries", name + ".rq").read_text(encoding="utf-8")


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
class MappingRecord:
    """One ``cf:MappingRecord`` with everything a page shows about it (NIST IR 8477 relationship, provenance)."""

    iri: str
    subject: str
    object: str
    mapping_set: str | None = None
    relationship: str | None = None
    rationale: str | None = None
    basis: str | None = None
    change_type: str | None = None
    derivation: list[str] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def set_key(self) -> str:
        return (self.mapping_set or "").rsplit("/", 1)[-1]


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
        for quad in self.store.quads_for_pattern(None, ox.NamedNode(RDFS + "subClassOf"), None):
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
        cf = CF_NS
        single = {
            cf + "mappingSubject": "subject",
            cf + "mappingObject": "object",
            cf + "inMappingSet": "mapping_set",
            cf + "relationship": "relationship",
            cf + "rationale": "rationale",
            cf + "basis": "basis",
            cf + "changeType": "change_type",
        }
        multi = {
            cf + "derivation": "derivation",
            PROV + "wasDerivedFrom": "derived_from",
            DCTERMS + "source": "sources",
            SKOS + "note": "notes",
        }
        record_class = ox.NamedNode(cf + "MappingRecord")
        for quad in self.store.quads_for_pattern(None, RDF_TYPE, record_class):
            iri = quad.subject
            if not isinstance(iri, ox.NamedNode) or iri.value in self.records:
                continue
            values: dict[str, str] = {}
            lists: dict[str, list[str]] = {name: [] for name in multi.values()}
            for fact in self.store.quads_for_pattern(iri, None, None):
                predicate, obj = fact.predicate.value, fact.object
                if predicate in single:
                    values.setdefault(single[predicate], obj.value)
                elif predicate in multi and obj.value not in lists[multi[predicate]]:
                    lists[multi[predicate]].append(obj.value)
            values.setdefault("subject", "")
            values.setdefault("object", "")
            record = MappingRecord(iri=iri.value, **values, **lists)
            for name in ("derived_from", "sources"):
                getattr(record, name).sort(key=self.sort_key)
            self.records[record.iri] = record
            self.records_by_subject[record.subject].append(record)
            self.records_by_object[record.object].append(record)
        for table, end in ((self.records_by_subject, "object"), (self.records_by_object, "subject")):
            for records in table.values():
                records.sort(key=lambda r, end=end: (self.set_rank(r.mapping_set), self.sort_key(getattr(r, end))))

    def _read_tree(self) -> None:
        nodes: dict[str, TreeNode] = {}

        def node(term: ox.NamedNode) -> TreeNode:
            iri = term.value
            if iri not in nodes:
                name = self.names.get(iri, Name(None, None))
                nodes[iri] = TreeNode(iri, name.notation or "", name.label or "", self.definitions.get(iri))
            return nodes[iri]

        links: set[tuple[str, str]] = set()
        for row in self.kg.query(page_query("framework-tree")):
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
                    targets = [r.object for r in self.records_by_subject.get(sub.iri, ()) if self._is_reference(r)]
                    controls = {t for t in targets if t.startswith(ID_NS + "control/iso-iec-27002-2022/")}
                    sub.controls, sub.references = len(controls), len(targets)
                    category_controls |= controls
                    category.references += sub.references
                category.controls = len(category_controls)
                function_controls |= category_controls
                function.references += category.references
            function.controls = len(function_controls)

    @staticmethod
    def _is_reference(record: MappingRecord) -> bool:
        return record.set_key in ("ts27103-iso27002-2022", "ts27103-iso27001-2022", "ts27103-standards")

    # --- reading --------------------------------------------------------------------------------

    def name(self, iri: str) -> Name:
        return self.names.get(iri) or Name(None, None)

    def sort_key(self, iri: str) -> tuple:
        name = self.names.get(iri)
        notation = name.notation if name and name.notation else None
        return (0, notation_key(notation), iri) if notation else (1, (), iri)

    @staticmethod
    def set_rank(mapping_set: str | None) -> int:
        key = (mapping_set or "").rsplit("/", 1)[-1]
        return MAPPING_SET_ORDER.index(key) if key in MAPPING_SET_ORDER else len(MAPPING_SET_ORDER)

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

    def is_a(self, iri: str, cls: str) -> bool:
        return cls in self.types.get(iri, ())

    def keys_of_kind(self, kind: str) -> list[str]:
        """The keys after ``id/{kind}/`` of every resource of that kind that has a name."""
        prefix = ID_NS + kind + "/"
        return [iri[len(prefix) :] for iri in self.names if iri.startswith(prefix)]


def local_name(iri: str) -> str:
    """The part after ``#`` or the last ``/``."""
    return iri.rsplit("#", 1)[-1] if "#" in iri else iri.rstrip("/").rsplit("/", 1)[-1]


def is_ours(iri: str) -> bool:
    return iri.startswith(BASE)
