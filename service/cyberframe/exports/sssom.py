"""SSSOM/TSV: every mapping record as a Simple Standard for Sharing Ontological Mappings row (SSSOM 1.1).

The file is an SSSOM/TSV document (spec "SSSOM/TSV serialisation"): a YAML
metadata block, each line commented with ``#``, then one tab-separated row
per mapping record. Everything a record says is kept in standard SSSOM slots,
because sssom-py (0.4.21) drops extension columns, declared or not, when it
parses or converts a file (docs/mappings.md#sssom):

* ``record_id`` is the mapping record's IRI, ``mapping_source`` its
  ``cf:MappingSet``; ``subject_id`` / ``object_id`` are ``cfid:`` CURIEs of
  cyberframe IRIs (``cfid:subcategory/DE.CM-1``);
* ``predicate_id`` is the SKOS mapping property chosen from the NIST IR 8477
  relationship (:data:`~cyberframe.mappings.RELATIONSHIPS`),
  ``predicate_modifier: Not`` for "not related to"; toward a standard, which
  is a document (and often a ``skos:ConceptScheme``) rather than a concept,
  SKOS mapping properties do not apply and the predicate is ``dcterms:references``;
* ``other`` keeps the record's vocabulary terms as ``key=notation`` pairs
  joined by ``|`` (``ir8477_relationship=subset-of|ir8477_rationale=semantic|
  evidence_basis=judgement|change_type=moved``), each value the notation of a
  term of ``data/mapping-vocabulary.ttl`` (``id/relationship/subset-of`` ...),
  so that it needs no prefix: sssom-py's RDF output declares none for them;
* ``mapping_justification`` follows the evidence basis and, for derived rows,
  the rule (:attr:`~cyberframe.mappings.MappingRecord.justification`);
  ``curation_rule`` is the rule of a derived row;
* authorship: derived and judged rows are authored by the cyberframe
  contributors (``author_id``); a published row names the publisher of its
  source as ``creator_label`` and no author;
* ``mapping_date`` is the date cyberframe last asserted the set's records
  (its ``dcterms:modified``); the schemes' editions are
  ``subject_source_version`` / ``object_source_version``;
* ``see_also`` lists what a record was derived from; ``comment`` gives the
  derivation steps, notes, judgement reason and located sources in words.

Multiple values are joined with ``|``. Two records never give the same row:
a second record with the same subject, predicate and object in the same set
is an error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import yaml

from ..errors import ExportError
from ..knowledge import KnowledgeGraph
from ..mappings import CONTRIBUTORS, CONTRIBUTORS_ID, Entity, MappingRecord, MappingTable, load_mappings
from ..namespaces import BASE, CF, ID
from ..progress import Progress, quiet
from .metadata import DatasetInfo, dataset_info

SSSOM_VERSION = "1.1"
#: ``mapping_set_id`` of the file that holds every mapping set.
ALL_MAPPINGS_ID = BASE + "mappings.sssom.tsv"
SEMAPV = "https://w3id.org/semapv/vocab/"
CURIE_MAP = {
    "cf": str(CF),
    "cfid": str(ID),
    "dcterms": "http://purl.org/dc/terms/",
    "semapv": SEMAPV,
    "skos": "http://www.w3.org/2004/02/skos/core#",
}
#: The predicate toward an object that is not a SKOS concept (a standard).
REFERENCES = "dcterms:references"
#: The keys of the ``other`` slot, in order: what SKOS and SEMAPV cannot say.
OTHER_KEYS = ("ir8477_relationship", "ir8477_rationale", "evidence_basis", "change_type")

COLUMNS = (
    "record_id",
    "subject_id",
    "subject_label",
    "subject_type",
    "subject_source",
    "subject_source_version",
    "predicate_id",
    "predicate_modifier",
    "object_id",
    "object_label",
    "object_type",
    "object_source",
    "object_source_version",
    "mapping_justification",
    "curation_rule",
    "author_id",
    "author_label",
    "creator_label",
    "mapping_date",
    "mapping_source",
    "mapping_cardinality",
    "see_also",
    "comment",
    "other",
)


def curie(iri: str | None) -> str:
    """``https://w3id.org/cyberframe/id/x/y`` -> ``cfid:x/y`` (other IRIs are returned unchanged)."""
    if not iri:
        return ""
    for prefix, namespace in CURIE_MAP.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _metadata(info: DatasetInfo, table: MappingTable, names: Sequence[str] | None) -> dict:
    chosen = [table.set_named(n) for n in names] if names else None
    if chosen and len(chosen) == 1:
        only = chosen[0]
        head = {
            "mapping_set_id": only.iri,
            "mapping_set_title": only.label,
            "mapping_set_description": only.description,
        }
    else:
        sets = chosen or [table.sets[iri] for iri in sorted(table.sets)]
        head = {
            "mapping_set_id": ALL_MAPPINGS_ID,
            "mapping_set_title": "cyberframe mappings: ISO/IEC TS 27103:2026 framework, ISO/IEC 27001/27002, NIST CSF",
            "mapping_set_description": "Every mapping record of the cyberframe knowledge graph, from the mapping sets "
            + ", ".join(s.name for s in sets)
            + ". Each row's mapping_source names its set; its NIST IR 8477 relationship, rationale, evidence "
            "basis and change type are in the other slot as key=value pairs.",
        }
    return {
        "curie_map": dict(CURIE_MAP),
        "sssom_version": SSSOM_VERSION,
        **head,
        "mapping_set_version": info.version,
        "license": info.license,
        "creator_label": [info.creator],
        "mapping_provider": BASE,
        "mapping_tool": f"cyberframe {info.version}",
        "publication_date": info.built_on,
        "comment": "Not an official ISO, IEC or NIST mapping. Published rows state what their source states; "
        "derived rows were computed by the stated curation_rule from published records; judgement rows are the "
        "cyberframe contributors' reading, with the reason in the comment.",
    }


def _publishers(table: MappingTable, record: MappingRecord) -> str:
    """The bodies that published a record's sources (committee, else the source's designation), ``|``-joined."""
    found = {table.schemes[s].committee or table.schemes[s].notation for s in record.sources if s in table.schemes}
    return "|".join(sorted(found))


def _comment(table: MappingTable, record: MappingRecord) -> str:
    parts = [f"Derivation: {d}." for d in record.derivation]
    if record.rule is not None:
        parts.append(f"Rule: {record.rule.label}.")
    parts += [n if n.endswith(".") else n + "." for n in record.notes]
    parts += [f"Reason: {r}" if r.endswith(".") else f"Reason: {r}." for r in record.reasons]
    cited = [table.schemes[s].notation if s in table.schemes else curie(s) for s in record.sources]
    if cited:
        parts.append(f"Source: {', '.join(cited)}.")
    parts += [f"Located at: {where}." for where in record.locators]
    return " ".join(parts)


def _other(record: MappingRecord) -> str:
    terms = (record.relationship, record.rationale, record.basis, record.change_type)
    return "|".join(f"{key}={term.notation}" for key, term in zip(OTHER_KEYS, terms, strict=True) if term)


def _version(table: MappingTable, entity: Entity) -> str:
    """The edition of the scheme that holds *entity*; for a standard (not a concept), its own edition."""
    scheme = table.scheme_of(entity) if entity.is_concept else table.schemes.get(entity.iri)
    return scheme.version if scheme else ""


def _row(table: MappingTable, record: MappingRecord, cardinality: str) -> dict[str, str]:
    s, o = table.entities[record.subject], table.entities[record.object]
    s_scheme, o_scheme = table.scheme_of(s), table.scheme_of(o)
    alignment = record.alignment
    published = record.basis.notation == "published"
    mapping_set = table.sets[record.mapping_set]
    return {
        "record_id": curie(record.iri),
        "subject_id": curie(s.iri),
        "subject_label": s.label,
        "subject_type": "skos concept" if s.is_concept else "owl named individual",
        "subject_source": curie(s_scheme.iri) if s_scheme else "",
        "subject_source_version": _version(table, s),
        "predicate_id": f"skos:{alignment.skos}" if o.is_concept else REFERENCES,
        "predicate_modifier": "Not" if alignment.negated else "",
        "object_id": curie(o.iri),
        "object_label": o.label,
        "object_type": "skos concept" if o.is_concept else "owl named individual",
        "object_source": curie(o_scheme.iri) if o_scheme else "",
        "object_source_version": _version(table, o),
        "mapping_justification": record.justification,
        "curation_rule": curie(record.rule.iri) if record.rule else "",
        "author_id": "" if published else curie(CONTRIBUTORS_ID),
        "author_label": "" if published else CONTRIBUTORS,
        "creator_label": _publishers(table, record) if published else "",
        "mapping_date": "" if published else (mapping_set.modified or ""),
        "mapping_source": curie(record.mapping_set),
        "mapping_cardinality": cardinality,
        "see_also": "|".join(record.derived_from),
        "comment": _comment(table, record),
        "other": _other(record),
    }


#: Slots that may hold several values ("|"-joined) when two derivations reach the same mapping.
_MULTIVALUED = ("curation_rule", "see_also")


def _unique(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """One row per (set, subject, predicate, object): a derived set may reach the same pair by two chains
    (two records, each with its own inputs); their rows merge into the first record's, their rules and
    inputs joined with "|" and their comments with "; ". Rows that would merge but say different things
    (relationship, rationale, basis, change type, justification) are an error."""
    merged: dict[tuple[str, ...], dict[str, str]] = {}
    for row in rows:
        key = tuple(row[k] for k in ("mapping_source", "subject_id", "predicate_id", "predicate_modifier", "object_id"))
        first = merged.get(key)
        if first is None:
            merged[key] = dict(row)
            continue
        if (first["other"], first["mapping_justification"]) != (row["other"], row["mapping_justification"]):
            raise ExportError(f"{row['record_id']} and {first['record_id']} would be the same SSSOM row")
        for slot in _MULTIVALUED:
            values = [v for v in (first[slot].split("|") + row[slot].split("|")) if v]
            first[slot] = "|".join(dict.fromkeys(values))
        if row["comment"] and row["comment"] not in first["comment"]:
            first["comment"] = "; ".join(c for c in (first["comment"], row["comment"]) if c)
    return list(merged.values())


def sssom_rows(table: MappingTable, names: Sequence[str] | None = None) -> list[dict[str, str]]:
    """One SSSOM row (slot -> value) per record of the sets *names* (all sets by default)."""
    records = table.records_in(names)
    cardinality = table.cardinality(records)
    return _unique([_row(table, r, cardinality[r.iri]) for r in records])


def export_sssom(
    kg: KnowledgeGraph,
    mapping_sets: Sequence[str] | None = None,
    progress: Progress = quiet,
) -> bytes:
    """The SSSOM/TSV document for the sets *mapping_sets* (every set by default), UTF-8."""
    table = load_mappings(kg)
    rows = sssom_rows(table, mapping_sets)
    progress(f"writing {len(rows)} SSSOM mapping rows")
    used = [c for c in COLUMNS if any(row[c] for row in rows)]
    metadata = _metadata(dataset_info(kg), table, mapping_sets)
    out = io.StringIO()
    block = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)
    out.writelines(f"#{line}\n" for line in block.splitlines())
    writer = csv.DictWriter(out, fieldnames=used, delimiter="\t", lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
