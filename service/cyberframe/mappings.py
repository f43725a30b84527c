"""The mapping records of the graph, read once for the SSSOM, OSCAL and STRM exports.

A :class:`MappingTable` holds every ``cf:MappingRecord`` with its set, the
elements it relates (notation, label, definition, class, the standard or
scheme they belong to) and the standards involved, as plain Python values.
It also holds how cyberframe's NIST IR 8477 relationships and evidence bases
translate into the vocabularies of the other formats (:data:`RELATIONSHIPS`,
:data:`JUSTIFICATIONS`, :data:`OSCAL_METHODS`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .exports.errors import ExportError
from .knowledge import KnowledgeGraph
from .namespaces import CF, ID
from .ordering import notation_key

CF_NS = str(CF._NS)
MAPPING_SET_BASE = str(ID) + "mapping-set/"


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

_PROLOGUE = """
PREFIX cf: <https://w3id.org/cyberframe/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

_SETS = (
    _PROLOGUE
    + """
SELECT ?set ?label ?description ?basis ?source WHERE {
  ?set a cf:MappingSet ; skos:prefLabel ?label .
  OPTIONAL { ?set dcterms:description ?description }
  OPTIONAL { ?set cf:basis/skos:notation ?basis }
  OPTIONAL { ?set dcterms:source ?source }
}"""
)

_RECORDS = (
    _PROLOGUE
    + """
SELECT ?record ?set ?subject ?object ?relationship ?rationale ?basis ?changeType ?derivation ?note ?source ?from
WHERE {
  ?record a cf:MappingRecord ; cf:inMappingSet ?set ; cf:mappingSubject ?subject ; cf:mappingObject ?object ;
          cf:relationship/skos:notation ?relationship ; cf:rationale/skos:notation ?rationale ;
          cf:basis/skos:notation ?basis .
  OPTIONAL { ?record cf:changeType/skos:notation ?changeType }
  OPTIONAL { ?record cf:derivation ?derivation }
  OPTIONAL { ?record skos:note ?note }
  OPTIONAL { ?record dcterms:source ?source }
  OPTIONAL { ?record prov:wasDerivedFrom ?from }
}"""
)

#: Run over the asserted graphs only, so that ?class is the one class the sources give.
_ENTITIES = (
    _PROLOGUE
    + """
SELECT ?entity ?notation ?label ?definition ?class ?standard ?scheme WHERE {
  { SELECT DISTINCT ?entity WHERE {
      ?record a cf:MappingRecord . { ?record cf:mappingSubject ?entity } UNION { ?record cf:mappingObject ?entity } } }
  ?entity skos:notation ?notation .
  OPTIONAL { ?entity skos:prefLabel ?label FILTER (LANGMATCHES(LANG(?label), "en")) }
  OPTIONAL { ?entity skos:definition ?definition FILTER (LANGMATCHES(LANG(?definition), "en")) }
  OPTIONAL { ?entity a ?class FILTER (STRSTARTS(STR(?class), STR(cf:))) }
  OPTIONAL { ?entity cf:inStandard ?standard }
  OPTIONAL { ?entity skos:inScheme ?scheme }
}"""
)

_SCHEMES = (
    _PROLOGUE
    + """
SELECT ?x ?notation ?label ?title ?edition ?committee WHERE {
  VALUES ?type { cf:Standard cf:Framework skos:ConceptScheme }
  ?x a ?type .
  OPTIONAL { ?x skos:notation ?notation }
  OPTIONAL { ?x skos:prefLabel ?label FILTER (LANGMATCHES(LANG(?label), "en")) }
  OPTIONAL { ?x dcterms:title ?title }
  OPTIONAL { ?x cf:edition ?edition }
  OPTIONAL { ?x cf:committee ?committee }
}"""
)

_VOCABULARY = (
    _PROLOGUE
    + """
SELECT ?x ?notation ?label WHERE {
  VALUES ?type { cf:MappingRelationship cf:MappingRationale cf:EvidenceBasis cf:ChangeType }
  ?x a ?type ; skos:notation ?notation ; skos:prefLabel ?label .
}"""
)


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
class MappingRecord:
    """One ``cf:MappingRecord`` with its provenance."""

    iri: str
    mapping_set: str
    subject: str
    object: str
    relationship: str
    rationale: str
    basis: str
    change_type: str | None = None
    derivation: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()

    @property
    def alignment(self) -> Alignment:
        try:
            return RELATIONSHIPS[self.relationship]
        except KeyError:
            raise ExportError(f"{self.iri}: relationship {self.relationship!r} has no alignment") from None

    @property
    def oscal_relationship(self) -> str:
        """The OSCAL mapping relationship token (see :data:`RELATIONSHIPS`)."""
        a = self.alignment
        return a.oscal_syntactic if self.rationale == "syntactic" else a.oscal


@dataclass
class MappingTable:
    """Every mapping record of a knowledge graph, with the elements, sets and schemes it involves."""

    sets: dict[str, MappingSet]
    records: list[MappingRecord]
    entities: dict[str, Entity]
    schemes: dict[str, Scheme]
    labels: dict[str, str] = field(default_factory=dict)  #: vocabulary notation -> prefLabel

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

    def record_key(self, record: MappingRecord) -> tuple:
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
    return (frameworks or sorted(schemes) or [None])[0]


def load_mappings(kg: KnowledgeGraph) -> MappingTable:
    """Read every mapping record, mapping set, mapped element and scheme from *kg*."""
    sets_raw: dict[str, dict] = {}
    for row in kg.query(_SETS):
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

    raw: dict[str, dict] = {}
    for row in kg.query(_RECORDS):
        iri = row["record"].value
        entry = raw.setdefault(
            iri,
            {
                "set": row["set"].value,
                "subject": row["subject"].value,
                "object": row["object"].value,
                "relationship": row["relationship"].value,
                "rationale": row["rationale"].value,
                "basis": row["basis"].value,
                "change": _value(row["changeType"]),
                "derivation": set(),
                "notes": set(),
                "sources": set(),
                "from": set(),
            },
        )
        for key, var in (("derivation", "derivation"), ("notes", "note"), ("sources", "source"), ("from", "from")):
            if row[var] is not None:
                entry[key].add(row[var].value)
    records = [
        MappingRecord(
            iri=iri,
            mapping_set=e["set"],
            subject=e["subject"],
            object=e["object"],
            relationship=e["relationship"],
            rationale=e["rationale"],
            basis=e["basis"],
            change_type=e["change"],
            derivation=tuple(sorted(e["derivation"])),
            notes=tuple(sorted(e["notes"])),
            sources=tuple(sorted(e["sources"])),
            derived_from=tuple(sorted(e["from"])),
        )
        for iri, e in raw.items()
    ]

    found: dict[str, dict] = {}
    for row in kg.query(_ENTITIES, default_graph=kg.asserted_graphs()):
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
            kind=min(c.removeprefix(CF_NS) for c in e["cls"]) if e["cls"] else "Thing",
            scheme=_pick_scheme(e["std"], e["sch"]),
        )
        for iri, e in found.items()
    }
    missing = {r.subject for r in records} | {r.object for r in records}
    missing -= set(entities)
    if missing:
        raise ExportError(f"mapped elements without skos:notation: {', '.join(sorted(missing)[:5])}")

    schemes: dict[str, Scheme] = {}
    for row in kg.query(_SCHEMES):
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
    labels = {row["notation"].value: row["label"].value for row in kg.query(_VOCABULARY)}
    return MappingTable(sets=sets, records=records, entities=entities, schemes=schemes, labels=labels)
