"""Mapping records: the one model and the one loader, for the pages, the exports and the queries' users.

A ``cf:MappingRecord`` states that a subject (a subcategory, a control, a
CSF element ...) relates to an object with a NIST IR 8477 relationship, a
rationale and an evidence basis, inside a mapping set, with its provenance
(docs/provenance.md). :func:`load_mappings` reads every record once into a
:class:`MappingTable`: the records as :class:`MappingRecord` values (IRIs,
with the vocabulary terms as :class:`Term` carrying their notation and
label), the elements they relate, the mapping sets and the schemes involved.

It also fixes which sets are the framework's own (:data:`REFERENCE_SETS`,
:data:`FRAMEWORK_SETS`), the order people read them in (:data:`SET_ORDER`),
and how the relationships and evidence bases translate into the vocabularies
of other formats (:data:`RELATIONSHIPS`, :data:`JUSTIFICATIONS`,
:data:`OSCAL_METHODS`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import DCTERMS, PROV, RDF, SKOS

from .errors import ExportError
from .knowledge import KnowledgeGraph
from .namespaces import CF, ID
from .ordering import notation_key
from .resources import internal_query

MAPPING_SET_BASE = str(ID) + "mapping-set/"

#: The set of the framework's references to ISO/IEC 27002:2022 controls (the heatmaps, STRM, OSCAL mapping).
CONTROL_REFERENCES = "ts27103-iso27002-2022"
#: The sets whose records are the framework's references: a subcategory draws on an ISO/IEC 27002:2022
#: control, an ISO/IEC 27001:2022 clause or another standard (each record backs one ``cf:references``).
REFERENCE_SETS = frozenset({"ts27103-iso27002-2022", "ts27103-iso27001-2022", "ts27103-standards"})
#: The sets that belong to the framework itself: its references, and its principles' links to categories.
#: Every other set is a crosswalk between editions or frameworks.
FRAMEWORK_SETS = REFERENCE_SETS | {"ts27103-principles"}
#: The order in which pages and exports show mapping sets: the framework's own first, then the crosswalks.
SET_ORDER = (
    "ts27103-iso27002-2022",
    "ts27103-iso27001-2022",
    "ts27103-standards",
    "ts27103-principles",
    "iso27002-2013-2022",
    "csf11-csf20",
    "csf20-iso27001-2022",
    "ts27103-iso27002-2022-via-csf20",
    "ts27103-iso27001-2022-via-csf20",
)


def set_name(iri: str) -> str:
    """A mapping set's key, ``ts27103-iso27002-2022``, from its IRI."""
    return iri.removeprefix(MAPPING_SET_BASE)


def set_rank(iri: str | None) -> int:
    """Where the set *iri* comes in :data:`SET_ORDER` (unknown sets last)."""
    name = set_name(iri or "")
    return SET_ORDER.index(name) if name in SET_ORDER else len(SET_ORDER)


@dataclass(frozen=True)
class Alignment:
    """How one NIST IR 8477 set-theory relationship reads in SKOS / SSSOM, OSCAL and an STRM.

    ``skos`` is the SKOS mapping property (SKOS Reference §10) that an SSSOM
    record uses as ``predicate_id``; ``negated`` sets SSSOM's
    ``predicate_modifier: Not``. ``oscal`` is the OSCAL 1.2 mapping model's
    relationship token for a semantic or functional comparison,
    ``oscal_syntactic`` the one for a syntactic comparison.
    """

    skos: str
    negated: bool
    oscal: str
    oscal_syntactic: str


#: IR 8477 relationship (its notation in ``id/relationship/``) -> the other vocabularies.
#:
#: * equal -> ``skos:closeMatch``, not ``exactMatch``: IR 8477 calls two elements
#:   equal when they express the same ideas even in other words, and the equal
#:   records here are edition crosswalks (27002:2013 -> 2022, CSF 1.1 -> 2.0) whose
#:   wording changed; ``exactMatch`` is transitive and would chain such
#:   near-equalities into claims nobody made. The graph asserts the same
#:   ``skos:closeMatch`` for its equal crosswalk records.
#: * subset-of -> ``skos:broadMatch`` (the object is broader), superset-of ->
#:   ``skos:narrowMatch``, intersects-with -> ``skos:relatedMatch``,
#:   not-related-to -> ``skos:relatedMatch`` negated.
#: * OSCAL: equal is ``equivalent-to`` (same meaning, other words) unless the
#:   record compares wording (syntactic rationale), then ``equal-to``; the
#:   others keep their IR 8477 names, not-related-to is ``no-relationship``.
RELATIONSHIPS: dict[str, Alignment] = {
    "equal": Alignment("closeMatch", False, "equivalent-to", "equal-to"),
    "subset-of": Alignment("broadMatch", False, "subset-of", "subset-of"),
    "superset-of": Alignment("narrowMatch", False, "superset-of", "superset-of"),
    "intersects-with": Alignment("relatedMatch", False, "intersects-with", "intersects-with"),
    "not-related-to": Alignment("relatedMatch", True, "no-relationship", "no-relationship"),
}

#: Evidence basis -> SSSOM ``mapping_justification`` (a SEMAPV term).
#:
#: * published: a table curated by the publisher's experts (ISO/IEC 27002:2022
#:   Annex B, NIST's CSF 2.0 reference tool) -> ``semapv:ManualMappingCuration``;
#: * derived: obtained by walking published mappings (CSF 1.1 -> ISO/IEC
#:   27001:2013 Annex A -> ISO/IEC 27002:2022 via Annex B; clause numbers carried
#:   across editions; a category's standards to its subcategories) ->
#:   ``semapv:MappingChaining``;
#: * judgement: an editorial decision of the cyberframe contributors ->
#:   ``semapv:ManualMappingCuration``.
JUSTIFICATIONS: dict[str, str] = {
    "published": "semapv:ManualMappingCuration",
    "derived": "semapv:MappingChaining",
    "judgement": "semapv:ManualMappingCuration",
}

#: Evidence basis -> OSCAL mapping ``method`` (human, automation or hybrid).
OSCAL_METHODS: dict[str, str] = {"published": "human", "derived": "automation", "judgement": "human"}

CONTRIBUTORS = "The cyberframe contributors"


def _value(term: ox.NamedNode | ox.Literal | None) -> str | None:
    return None if term is None else term.value


@dataclass(frozen=True)
class Scheme:
    """A standard, framework or concept scheme that mapped elements belong to."""

    iri: str
    notation: str
    label: str
    title: str | None = None
    edition: str | None = None
    committee: str | None = None


@dataclass(frozen=True)
class Entity:
    """One mapped element: a subcategory, control, clause, standard, principle, CSF 2.0 element, ..."""

    iri: str
    notation: str
    label: str
    definition: str | None
    kind: str  #: local name of its cyberframe class, e.g. ``Subcategory``
    scheme: str | None  #: IRI of the standard or scheme that contains it

    @property
    def is_concept(self) -> bool:
        """Standards are bibliographic resources; every other mapped element is a SKOS concept."""
        return self.kind != "Standard"


@dataclass(frozen=True)
class MappingSet:
    """One ``cf:MappingSet``: records produced together, from the same sources, by the same method."""

    iri: str
    label: str
    description: str
    basis: str | None
    sources: tuple[str, ...]

    @property
    def name(self) -> str:
        """The set's key, e.g. ``ts27103-iso27002-2022``."""
        return self.iri.removeprefix(MAPPING_SET_BASE)


@dataclass(frozen=True)
class Term:
    """A term of the mapping vocabulary (a relationship, rationale, evidence basis or change type)."""

    iri: str
    notation: str  #: ``subset-of``, ``semantic``, ``derived``, ``moved``
    label: str


@dataclass(frozen=True)
class MappingRecord:
    """One ``cf:MappingRecord`` with its provenance; elements and sets by IRI, vocabulary as :class:`Term`."""

    iri: str
    mapping_set: str
    subject: str
    object: str
    relationship: Term
    rationale: Term
    basis: Term
    change_type: Term | None = None
    derivation: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()

    @property
    def set_name(self) -> str:
        """The key of its mapping set, e.g. ``ts27103-iso27002-2022``."""
        return set_name(self.mapping_set)

    @property
    def is_reference(self) -> bool:
        """True for the framework's references (a subcategory drawing on a provision or standard)."""
        return self.set_name in REFERENCE_SETS

    @property
    def alignment(self) -> Alignment:
        try:
            return RELATIONSHIPS[self.relationship.notation]
        except KeyError:
            raise ExportError(f"{self.iri}: relationship {self.relationship.notation!r} has no alignment") from None

    @property
    def oscal_relationship(self) -> str:
        """The OSCAL mapping relationship token (see :data:`RELATIONSHIPS`)."""
        a = self.alignment
        return a.oscal_syntactic if self.rationale.notation == "syntactic" else a.oscal


@dataclass
class MappingTable:
    """Every mapping record of a knowledge graph, with the elements, sets and schemes it involves."""

    sets: dict[str, MappingSet]
    records: list[MappingRecord]
    entities: dict[str, Entity]
    schemes: dict[str, Scheme]
    terms: dict[str, Term] = field(default_factory=dict)  #: the mapping vocabulary, by IRI

    def set_named(self, name: str) -> MappingSet:
        """The mapping set *name* (``ts27103-iso27002-2022``) or its full IRI; ExportError names the choices."""
        key = name if name.startswith(MAPPING_SET_BASE) else MAPPING_SET_BASE + name
        if key not in self.sets:
            raise ExportError(f"no mapping set {name!r}; choose one of: {', '.join(sorted(self.set_names()))}")
        return self.sets[key]

    def set_names(self) -> list[str]:
        return sorted(s.name for s in self.sets.values())

    def records_in(self, names: Iterable[str] | None = None) -> list[MappingRecord]:
        """The records of the sets *names* (all sets by default), in a stable reading order."""
        wanted = None if names is None else {self.set_named(n).iri for n in names}
        chosen = [r for r in self.records if wanted is None or r.mapping_set in wanted]
        return sorted(chosen, key=self.record_key)

    def record_key(self, record: MappingRecord) -> tuple[object, ...]:
        s, o = self.entities[record.subject], self.entities[record.object]
        return (self.sets[record.mapping_set].name, notation_key(s.notation), notation_key(o.notation), record.iri)

    def scheme_of(self, entity: Entity) -> Scheme | None:
        return self.schemes.get(entity.scheme) if entity.scheme else None

    def cardinality(self, records: list[MappingRecord]) -> dict[str, str]:
        """SSSOM ``mapping_cardinality`` (1:1, 1:n, n:1, n:n) of each record, within its mapping set."""
        objects: dict[tuple[str, str], set[str]] = defaultdict(set)
        subjects: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in records:
            objects[(r.mapping_set, r.subject)].add(r.object)
            subjects[(r.mapping_set, r.object)].add(r.subject)
        out = {}
        for r in records:
            left = "n" if len(subjects[(r.mapping_set, r.object)]) > 1 else "1"
            right = "n" if len(objects[(r.mapping_set, r.subject)]) > 1 else "1"
            out[r.iri] = f"{left}:{right}"
        return out


def _pick_scheme(standards: set[str], schemes: set[str]) -> str | None:
    if standards:
        return min(standards)
    frameworks = sorted(s for s in schemes if "/framework/" in s)
    ordered = frameworks or sorted(schemes)
    return ordered[0] if ordered else None


def load_records(kg: KnowledgeGraph) -> list[MappingRecord]:
    """Every complete mapping record of *kg*, its vocabulary terms with their notations and labels."""
    return _read_records(kg.store, _read_terms(kg.store))


def load_mappings(kg: KnowledgeGraph) -> MappingTable:
    """Read every mapping record, mapping set, mapped element and scheme from *kg* (for the exports)."""
    sets_raw: dict[str, dict[str, Any]] = {}
    for row in kg.select(internal_query("mappings-sets")):
        iri = row["set"].value
        entry = sets_raw.setdefault(
            iri,
            {"label": row["label"].value, "description": _value(row["description"]) or "", "basis": None, "src": set()},
        )
        entry["basis"] = _value(row["basis"]) or entry["basis"]
        if row["source"] is not None:
            entry["src"].add(row["source"].value)
    sets = {
        iri: MappingSet(iri, e["label"], e["description"], e["basis"], tuple(sorted(e["src"])))
        for iri, e in sets_raw.items()
    }

    terms = _read_terms(kg.store)
    records = _read_records(kg.store, terms)

    found: dict[str, dict[str, Any]] = {}
    for row in kg.select(internal_query("mappings-entities"), default_graph=kg.asserted_graphs()):
        iri = row["entity"].value
        entry = found.setdefault(
            iri,
            {"notation": row["notation"].value, "label": None, "def": None, "cls": set(), "std": set(), "sch": set()},
        )
        entry["label"] = entry["label"] or _value(row["label"])
        entry["def"] = entry["def"] or _value(row["definition"])
        for key, var in (("cls", "class"), ("std", "standard"), ("sch", "scheme")):
            if row[var] is not None:
                entry[key].add(row[var].value)
    entities = {
        iri: Entity(
            iri=iri,
            notation=e["notation"],
            label=e["label"] or e["notation"],
            definition=e["def"],
            kind=min(c.removeprefix(str(CF)) for c in e["cls"]) if e["cls"] else "Thing",
            scheme=_pick_scheme(e["std"], e["sch"]),
        )
        for iri, e in found.items()
    }
    missing = {r.subject for r in records} | {r.object for r in records}
    missing -= set(entities)
    if missing:
        raise ExportError(f"mapped elements without skos:notation: {', '.join(sorted(missing)[:5])}")

    schemes: dict[str, Scheme] = {}
    for row in kg.select(internal_query("mappings-schemes")):
        iri = row["x"].value
        old = schemes.get(iri)
        notation = _value(row["notation"]) or (old.notation if old else None) or iri.rsplit("/", 1)[-1]
        schemes[iri] = Scheme(
            iri=iri,
            notation=notation,
            label=_value(row["label"]) or (old.label if old else notation),
            title=_value(row["title"]) or (old.title if old else None),
            edition=_value(row["edition"]) or (old.edition if old else None),
            committee=_value(row["committee"]) or (old.committee if old else None),
        )
    return MappingTable(sets=sets, records=records, entities=entities, schemes=schemes, terms=terms)


_TERM_CLASSES = (CF.MappingRelationship, CF.MappingRationale, CF.EvidenceBasis, CF.ChangeType)
_SINGLE = {
    str(CF.mappingSubject): "subject",
    str(CF.mappingObject): "object",
    str(CF.inMappingSet): "mapping_set",
    str(CF.relationship): "relationship",
    str(CF.rationale): "rationale",
    str(CF.basis): "basis",
    str(CF.changeType): "change_type",
}
_MULTI = {
    str(CF.derivation): "derivation",
    str(PROV.wasDerivedFrom): "derived_from",
    str(DCTERMS.source): "sources",
    str(SKOS.note): "notes",
}
_REQUIRED = ("subject", "object", "mapping_set", "relationship", "rationale", "basis")
_VOCABULARY = ("relationship", "rationale", "basis", "change_type")


def _literal(store: ox.Store, subject: ox.NamedNode, predicate: str) -> str | None:
    for quad in store.quads_for_pattern(subject, ox.NamedNode(predicate), None):
        if isinstance(quad.object, ox.Literal):
            return quad.object.value
    return None


def _read_terms(store: ox.Store) -> dict[str, Term]:
    """The mapping vocabulary (SHACL guarantees each term a notation and a label)."""
    terms: dict[str, Term] = {}
    for cls in _TERM_CLASSES:
        for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(cls))):
            term = quad.subject
            if isinstance(term, ox.NamedNode) and term.value not in terms:
                notation = _literal(store, term, str(SKOS.notation)) or term.value.rsplit("/", 1)[-1]
                terms[term.value] = Term(term.value, notation, _literal(store, term, str(SKOS.prefLabel)) or notation)
    return terms


def _read_records(store: ox.Store, terms: dict[str, Term]) -> list[MappingRecord]:
    """Every complete ``cf:MappingRecord`` (the shapes require the parts an incomplete one lacks)."""
    records: dict[str, MappingRecord] = {}
    kind = ox.NamedNode(str(CF.MappingRecord))
    for quad in store.quads_for_pattern(None, ox.NamedNode(str(RDF.type)), kind):
        node = quad.subject
        if not isinstance(node, ox.NamedNode) or node.value in records:
            continue
        single: dict[str, str] = {}
        multi: dict[str, set[str]] = {name: set() for name in _MULTI.values()}
        for fact in store.quads_for_pattern(node, None, None):
            predicate, value = fact.predicate.value, fact.object
            if isinstance(value, ox.Triple):
                continue
            if predicate in _SINGLE:
                single.setdefault(_SINGLE[predicate], value.value)
            elif predicate in _MULTI:
                multi[_MULTI[predicate]].add(value.value)
        if any(part not in single for part in _REQUIRED):
            continue
        vocabulary = {
            name: terms.get(single[name]) or Term(single[name], single[name].rsplit("/", 1)[-1], "")
            for name in _VOCABULARY
            if name in single
        }
        records[node.value] = MappingRecord(
            iri=node.value,
            mapping_set=single["mapping_set"],
            subject=single["subject"],
            object=single["object"],
            relationship=vocabulary["relationship"],
            rationale=vocabulary["rationale"],
            basis=vocabulary["basis"],
            change_type=vocabulary.get("change_type"),
            derivation=tuple(sorted(multi["derivation"])),
            notes=tuple(sorted(multi["notes"])),
            sources=tuple(sorted(multi["sources"])),
            derived_from=tuple(sorted(multi["derived_from"])),
        )
    return list(records.values())
