"""The content of an entity page: one resource, its neighbours and the mapping records about it.

:func:`describe_entity` reads everything the graph says about one IRI - the
statements with it as subject and as object, in every named graph, marking
what only OWL 2 RL entailment says - and sorts it into the sections a person
reads: the header (notation, label, definition, class), the hierarchy
(``skos:broader`` / ``skos:narrower``), the mapping records in both
directions with their NIST IR 8477 relationship, rationale, basis and
provenance, the control attributes of ISO/IEC 27002:2022 as facet links, and
then every other statement. :func:`entity_triples` is the RDF description
sent for Turtle, JSON-LD, N-Triples and RDF/XML.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from ...mappings import FRAMEWORK_SETS, MappingRecord, set_name
from ...namespaces import CF
from .graph_index import CONTROLS_2022, FACETS, ID_NS, GraphIndex, TreeNode

RDF_TYPE = str(RDF.type)
#: Statements the header, hierarchy, mappings and attributes sections already show.
SHOWN = frozenset(
    {
        RDF_TYPE,
        str(SKOS.notation),
        str(SKOS.prefLabel),
        str(SKOS.definition),
        str(SKOS.scopeNote),
        str(SKOS.note),
        str(SKOS.broader),
        str(SKOS.narrower),
        str(SKOS.broaderTransitive),
        str(SKOS.narrowerTransitive),
        str(SKOS.mappingRelation),
        str(SKOS.closeMatch),
        str(SKOS.broadMatch),
        str(SKOS.narrowMatch),
        str(SKOS.relatedMatch),
        str(CF.mappingSubject),
        str(CF.mappingObject),
        str(CF.subjectOfMapping),
        str(CF.objectOfMapping),
        str(CF.references),
        str(CF.referencedBy),
        str(CF.successor),
        str(CF.predecessor),
        str(CF.concerns),
        str(CF.concernedBy),
        str(CF.attributeValue),
        str(CF.attributeValueOf),
        *(prop for _, prop, _ in FACETS),
    }
)
#: Labels of the reused vocabularies' properties (the ontology labels cyberframe's own).
PROPERTY_LABELS = {
    RDF_TYPE: "type",
    str(SKOS.inScheme): "in scheme",
    str(SKOS.topConceptOf): "top concept of",
    str(SKOS.hasTopConcept): "has top concept",
    str(SKOS.editorialNote): "editorial note",
    str(SKOS.historyNote): "history note",
    str(SKOS.altLabel): "alternative label",
    str(RDFS.label): "label",
    str(RDFS.comment): "comment",
    str(RDFS.seeAlso): "see also",
    str(RDFS.subClassOf): "subclass of",
    str(RDFS.subPropertyOf): "subproperty of",
    str(RDFS.domain): "domain",
    str(RDFS.range): "range",
    str(DCTERMS.source): "source",
    str(DCTERMS.title): "title",
    str(DCTERMS.description): "description",
    str(DCTERMS.hasPart): "has part",
    str(DCTERMS.isPartOf): "is part of",
    str(DCTERMS.creator): "creator",
    str(DCTERMS.license): "license",
    str(PROV.wasDerivedFrom): "derived from",
    str(OWL.inverseOf): "inverse of",
    str(OWL.versionIRI): "version IRI",
    str(OWL.versionInfo): "version",
}
MAX_VALUES = 120  # values listed per property; the RDF views have them all


@dataclass
class Value:
    """One object (or subject, for incoming statements) of a statement."""

    term: ox.NamedNode | ox.BlankNode | ox.Literal
    inferred: bool

    @property
    def iri(self) -> str | None:
        return self.term.value if isinstance(self.term, ox.NamedNode) else None

    @property
    def text(self) -> str:
        return self.term.value

    @property
    def language(self) -> str | None:
        return self.term.language if isinstance(self.term, ox.Literal) else None

    @property
    def datatype(self) -> str | None:
        if isinstance(self.term, ox.Literal) and not self.term.language:
            datatype = self.term.datatype.value
            return None if datatype.endswith("#string") else datatype
        return None


@dataclass
class Statements:
    """The values of one property, in one direction."""

    predicate: str
    label: str
    values: list[Value]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.values)


#: The mapping sets through which a subcategory or a CSF 2.0 element reaches an ISO/IEC 27002:2022 control.
ROUTES_TO_CONTROLS = frozenset({"ts27103-iso27002-2022", "ts27103-iso27002-2022-via-csf20", "csf20-iso27001-2022"})


@dataclass
class RecordGroup:
    """Mapping records of one mapping set, seen from one end."""

    mapping_set: str | None
    records: list[MappingRecord]
    direction: str  #: "from" (the entity is the subject) or "to" (it is the object)

    @property
    def is_framework(self) -> bool:
        return set_name(self.mapping_set or "") in FRAMEWORK_SETS


@dataclass
class Facet:
    """One control attribute (``Theme: Technological``) with its values."""

    param: str
    heading: str
    values: list[tuple[str, str]]  #: (value IRI, notation)


@dataclass
class EntityView:
    """Everything an entity page shows."""

    iri: str
    key: str
    kind: str
    cls: str | None
    notation: str | None
    label: str | None
    definitions: list[str]
    scope_notes: list[str]
    notes: list[str]
    parents: list[str]
    trail: list[str]  #: broader chain, top first
    children: list[str]
    tree: TreeNode | None
    facets: list[Facet]
    mappings_from: list[RecordGroup]
    mappings_to: list[RecordGroup]
    outgoing: list[Statements]
    incoming: list[Statements]
    record: MappingRecord | None = None
    members: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)  #: dcterms:title (a standard's title beside its number)
    #: a long member list cut by the first part of the members' notations (clause 5, 6, ...): (first, last, IRIs)
    member_groups: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def heading(self) -> tuple[str | None, str | None]:
        """The h1 as (notation, text): the label unless it only repeats the notation (or holds it: then the
        label alone), else the title (a standard's), else nothing beside the notation."""
        notation, label = self.notation, self.label
        if label and notation and notation in label:
            return (None, label) if label != notation else (notation, self.titles[0] if self.titles else None)
        return notation, label

    @property
    def title(self) -> str:
        """The page title: notation and label, or the label alone when it holds the notation already
        (an ISO/IEC 27002:2013 control is labelled "ISO/IEC 27002:2013 control 12.4.1")."""
        notation, label = self.notation, self.label
        if notation and label and not label.startswith(notation) and not label.endswith(f" {notation}"):
            return f"{notation} {label}"
        return self.label or self.notation or self.key

    @property
    def function_code(self) -> str | None:
        """For a function of the framework: its code (the per-function heatmap)."""
        return self.notation if self.kind == "function" and self.tree is not None else None

    @property
    def framework_from(self) -> list[RecordGroup]:
        """Records of the framework's own mapping sets with this entity as subject (its references)."""
        return [g for g in self.mappings_from if g.is_framework]

    @property
    def framework_to(self) -> list[RecordGroup]:
        """Records of the framework's own mapping sets with this entity as object (what references it)."""
        return [g for g in self.mappings_to if g.is_framework]

    @property
    def unreached(self) -> bool:
        """An ISO/IEC 27002:2022 control that no published route reaches from the framework or NIST CSF 2.0:
        no framework reference, no derived record through CSF 2.0, no NIST CSF 2.0 reference."""
        if not self.iri.startswith(CONTROLS_2022):
            return False
        return not any(set_name(g.mapping_set or "") in ROUTES_TO_CONTROLS for g in self.mappings_to)

    @property
    def crosswalks(self) -> list[RecordGroup]:
        """Records of the crosswalk sets (27002:2013 -> 2022, CSF 1.1 -> 2.0, CSF 2.0 -> 27001), both directions."""
        return [g for g in (*self.mappings_from, *self.mappings_to) if not g.is_framework]


def _literal_values(store: ox.Store, node: ox.NamedNode, predicate: str) -> list[str]:
    values = []
    for quad in store.quads_for_pattern(node, ox.NamedNode(predicate), None):
        obj = quad.object
        if isinstance(obj, ox.Literal) and obj.language in (None, "en") and obj.value not in values:
            values.append(obj.value)
    return values


def _group(
    index: GraphIndex, quads: list[ox.Quad], *, incoming: bool, property_label: Callable[[str], str]
) -> tuple[list[Statements], dict[str, list[Value]]]:
    by_property: dict[str, dict[str, Value]] = defaultdict(dict)
    for quad in quads:
        term = quad.subject if incoming else quad.object
        if isinstance(term, ox.Triple):
            continue  # RDF-star quoted triples: none in cyberframe's data, and no page form for them
        inferred = quad.graph_name == index.inferred_graph
        key = str(term)
        existing = by_property[quad.predicate.value].get(key)
        if existing is None:
            by_property[quad.predicate.value][key] = Value(term, inferred)
        elif not inferred:
            existing.inferred = False
    everything = {p: list(v.values()) for p, v in by_property.items()}
    groups = []
    for predicate, values in everything.items():
        if predicate in SHOWN:
            continue
        values.sort(key=lambda v: index.sort_key(v.iri) if v.iri else (2, (), v.text))
        label = property_label(predicate)
        if incoming:
            label = _incoming_label(index, predicate, label, property_label)
        groups.append(Statements(predicate, label, values[:MAX_VALUES], len(values)))
    groups = [g for g in groups if not _entailed_repeat(index, g, everything)]
    groups.sort(key=lambda g: (g.label.casefold(), g.predicate))
    return groups, everything


#: Inverse pairs of reused vocabularies (the ontology's own pairs are read from owl:inverseOf).
INVERSES = {str(DCTERMS.hasPart): str(DCTERMS.isPartOf), str(DCTERMS.isPartOf): str(DCTERMS.hasPart)}


#: How an incoming statement reads where no inverse property exists (PROV-O's inverse names).
INCOMING_LABELS = {str(PROV.wasDerivedFrom): "has derivation"}
_PREPOSITIONS = (" of", " from", " to", " by", " in", " for", " with")


def _inverse(index: GraphIndex, predicate: str) -> str | None:
    """The inverse of *predicate* (owl:inverseOf either way, or a known pair of a reused vocabulary)."""
    if predicate in INVERSES:
        return INVERSES[predicate]
    found = index.objects(predicate, str(OWL.inverseOf)) or index.subjects(str(OWL.inverseOf), predicate)
    return found[0] if found else None


def _incoming_label(index: GraphIndex, predicate: str, label: str, property_label: Callable[[str], str]) -> str:
    """How "X *predicate* this" reads from this entity's side: the inverse property's label, else "is … of"."""
    inverse = _inverse(index, predicate)
    if inverse is not None:
        return property_label(inverse)
    if predicate in INCOMING_LABELS:
        return INCOMING_LABELS[predicate]
    if label.startswith("has "):
        return f"is {label[4:]} of"
    if label.startswith("is ") and label.endswith(" of"):
        return f"has {label[3:-3]}"
    if label.endswith(_PREPOSITIONS):
        return f"{label} (reverse)"
    return f"is {label} of"


def _said_both_ways(index: GraphIndex, group: Statements, outgoing: dict[str, list[Value]]) -> bool:
    """True for incoming statements the outgoing ones already say through the inverse property."""
    inverse = _inverse(index, group.predicate)
    if inverse is None:
        return False
    return {str(v.term) for v in group.values} <= {str(v.term) for v in outgoing.get(inverse, [])}


def _entailed_repeat(index: GraphIndex, group: Statements, everything: dict[str, list[Value]]) -> bool:
    """True for a super-property whose values are all entailed from a sub-property the page shows already
    (``dcterms:isPartOf`` under ``cf:partOf``; RDFS entailment rule rdfs7)."""
    if not group.values or not all(v.inferred for v in group.values):
        return False
    shown = {str(v.term) for v in group.values}
    for sub in index.subjects(str(RDFS.subPropertyOf), group.predicate):
        if sub != group.predicate and shown <= {str(v.term) for v in everything.get(sub, [])}:
            return True
    return False


def describe_entity(index: GraphIndex, iri: str, property_label) -> EntityView:
    """The :class:`EntityView` of *iri* (which must exist in the graph)."""
    store = index.store
    node = ox.NamedNode(iri)
    key = iri[len(ID_NS) :] if iri.startswith(ID_NS) else iri
    kind = key.split("/", 1)[0]
    out_quads = list(store.quads_for_pattern(node, None, None))
    in_quads = list(store.quads_for_pattern(None, None, node))
    outgoing, out_all = _group(index, out_quads, incoming=False, property_label=property_label)
    incoming, in_all = _group(index, in_quads, incoming=True, property_label=property_label)

    def iris(values: list[Value]) -> list[str]:
        return sorted({v.iri for v in values if v.iri}, key=index.sort_key)

    parents = iris(out_all.get(str(SKOS.broader), []))
    children = iris(in_all.get(str(SKOS.broader), []) + out_all.get(str(SKOS.narrower), []))
    trail: list[str] = []
    containers = iris(out_all.get(str(CF.inStandard), []))
    current = parents[0] if parents else containers[0] if containers else None
    while current is not None and current not in trail and len(trail) < 8:
        trail.insert(0, current)
        above = index.objects(current, str(SKOS.broader)) or index.objects(current, str(CF.inStandard))
        current = sorted(above)[0] if above else None

    facets = []
    for param, prop, heading in FACETS:
        values = iris(out_all.get(prop, []))
        if values and iri.startswith(CONTROLS_2022):
            pairs = [(v, _facet_value(index, param, v)) for v in values]
            facets.append(Facet(param, heading, pairs))

    members: list[str] = []
    if kind in ("standard", "scheme", "mapping-set"):
        for predicate in (str(CF.inStandard), str(SKOS.inScheme), str(CF.inMappingSet)):
            members += iris(in_all.get(predicate, []))
        # A provision is both cf:inStandard and skos:inScheme of its standard: list it once.
        members = sorted(set(members), key=index.sort_key)
    member_groups = _member_groups(index, members)

    return EntityView(
        iri=iri,
        key=key,
        kind=kind,
        cls=index.main_class(iri),
        notation=index.name(iri).notation,
        label=index.name(iri).label,
        definitions=_literal_values(store, node, str(SKOS.definition))
        or _literal_values(store, node, str(DCTERMS.description)),
        scope_notes=_literal_values(store, node, str(SKOS.scopeNote)),
        notes=_literal_values(store, node, str(SKOS.note)),
        parents=parents,
        trail=trail,
        children=children,
        tree=index.tree_nodes.get(iri),
        facets=facets,
        mappings_from=_record_groups(index.records_by_subject.get(iri, []), "from"),
        mappings_to=_record_groups(index.records_by_object.get(iri, []), "to"),
        outgoing=[
            g
            for g in outgoing
            if not _repeats_header(g, index.name(iri).label)
            and g.predicate != str(SKOS.editorialNote)
            and not _lists_members(g, members)
        ],
        titles=_literal_values(store, node, str(DCTERMS.title)),
        incoming=[
            g
            for g in incoming
            if not _said_both_ways(index, g, out_all)
            and not (members and g.predicate in (str(CF.inStandard), str(SKOS.inScheme), str(CF.inMappingSet)))
        ],
        record=index.records.get(iri),
        members=members,
        member_groups=member_groups,
    )


#: Members past which a standard's or scheme's list is folded into groups by notation (one per clause).
GROUP_MEMBERS_FROM = 24


def _member_groups(index: GraphIndex, members: list[str]) -> list[tuple[str, str, list[str]]]:
    """*members* (in notation order) grouped by the first dot-separated part of their notations: ISO/IEC
    27002:2022 controls by clause (5 to 8), ISO/IEC 27001:2022 clauses by top clause (4 to 10), NIST CSF
    elements by function. Empty for a short list, or when the notations make one group or hardly group."""
    if len(members) <= GROUP_MEMBERS_FROM:
        return []
    groups: list[tuple[str, list[str]]] = []
    for member in members:
        key = (index.name(member).notation or "").split(".", 1)[0]
        if not groups or groups[-1][0] != key:
            groups.append((key, []))
        groups[-1][1].append(member)
    if len(groups) < 2 or len(groups) > len(members) // 2:
        return []
    return [
        (index.name(iris[0]).notation or "", index.name(iris[-1]).notation or "", iris) for _key, iris in groups
    ]


def _lists_members(group: Statements, members: list[str]) -> bool:
    """True for a property whose values are the members listed already (cf:hasProvision, the inverse of
    cf:inStandard, entailed by OWL 2 RL)."""
    iris = {v.iri for v in group.values}
    return bool(members) and group.total == len(iris) and iris <= set(members)


def _repeats_header(group: Statements, label: str | None) -> bool:
    """True for statements the header shows already: the description, an ``rdfs:label`` equal to the label.

    Editorial notes (SKOS §7: for maintainers) stay in the RDF and off the page."""
    if group.predicate == str(DCTERMS.description):
        return True
    return group.predicate == str(RDFS.label) and all(v.text == label for v in group.values)


def _facet_value(index: GraphIndex, param: str, value: str) -> str:
    """The value the controls-by-attributes query takes: the notation, or the function's name for concepts."""
    name = index.name(value)
    if param == "concept":
        return name.label or ""
    return name.notation or name.label or ""


def _record_groups(records: list[MappingRecord], direction: str) -> list[RecordGroup]:
    groups: list[RecordGroup] = []
    for record in records:
        if not groups or groups[-1].mapping_set != record.mapping_set:
            groups.append(RecordGroup(record.mapping_set, [], direction))
        groups[-1].records.append(record)
    return groups


def entity_triples(index: GraphIndex, iri: str, describe_query: str) -> list[ox.Triple]:
    """The RDF description of *iri*: the ``entity`` named query (statements both ways, neighbours' names)."""
    result = index.kg.construct(describe_query, substitutions={ox.Variable("entity"): ox.NamedNode(iri)})
    return sorted(set(result), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
