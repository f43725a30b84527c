"""SSSOM/TSV: every mapping record as a Simple Standard for Sharing Ontological Mappings row (SSSOM 1.1).

The file is an SSSOM/TSV document (spec "SSSOM/TSV serialisation"): a YAML
metadata block, each line commented with ``#``, then one tab-separated row
per mapping record. Choices (see :mod:`cyberframe.mappings`):

* ``record_id`` is the mapping record's IRI, ``mapping_source`` its
  ``cf:MappingSet``; ``subject_id`` / ``object_id`` are ``cfid:`` CURIEs of
  cyberframe IRIs (``cfid:subcategory/DE.CM-1``);
* ``predicate_id`` is the SKOS mapping property chosen from the NIST IR 8477
  relationship (:data:`~cyberframe.mappings.RELATIONSHIPS`),
  ``predicate_modifier: Not`` for "not related to";
* ``mapping_justification`` is the SEMAPV term chosen from the evidence basis
  (:data:`~cyberframe.mappings.JUSTIFICATIONS`);
* ``author_label`` is the body that published the table (the committee of the
  source standard, NIST) for published records and the cyberframe
  contributors for derived and judged ones; ``see_also`` lists what a record
  was derived from (``prov:wasDerivedFrom``); ``comment`` carries the
  derivation steps, notes and cited sources in words;
* four extension slots (SSSOM 1.1 ``extension_definitions``) keep what SKOS
  cannot say: ``ir8477_relationship``, ``ir8477_rationale``,
  ``evidence_basis`` and ``change_type``, each bound to its ``cf:`` property;
* ``publication_date`` is the build date of the snapshot; the source
  standards' editions are ``subject_source_version`` / ``object_source_version``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import yaml

from ..knowledge import KnowledgeGraph
from ..mappings import CONTRIBUTORS, JUSTIFICATIONS, MappingRecord, MappingTable, load_mappings
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
    "linkml": "https://w3id.org/linkml/",
    "semapv": SEMAPV,
    "skos": "http://www.w3.org/2004/02/skos/core#",
}

EXTENSIONS = (
    ("ir8477_relationship", "cf:relationship"),
    ("ir8477_rationale", "cf:rationale"),
    ("evidence_basis", "cf:basis"),
    ("change_type", "cf:changeType"),
)

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
    "author_label",
    "mapping_source",
    "mapping_cardinality",
    "see_also",
    "comment",
    *(name for name, _ in EXTENSIONS),
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
            + ". Each row's mapping_source names its set; the NIST IR 8477 relationship, rationale and evidence "
            "basis are kept in extension slots.",
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
        "comment": "Not an official ISO, IEC or NIST mapping. Derived records were obtained mechanically from "
        "published tables; judgement records are editorial suggestions.",
        "extension_definitions": [
            {"slot_name": name, "property": prop, "type_hint": "linkml:uriorcurie"} for name, prop in EXTENSIONS
        ],
    }


def _author(table: MappingTable, record: MappingRecord) -> str:
    if record.basis.notation != "published":
        return CONTRIBUTORS
    committees = sorted(
        {table.schemes[s].committee or table.schemes[s].notation for s in record.sources if s in table.schemes}
    )
    return "; ".join(committees) or CONTRIBUTORS


def _comment(table: MappingTable, record: MappingRecord) -> str:
    parts = [f"Derivation: {d}." for d in record.derivation]
    parts += [n if n.endswith(".") else n + "." for n in record.notes]
    cited = [table.schemes[s].notation if s in table.schemes else curie(s) for s in record.sources]
    if cited:
        parts.append(f"Source: {', '.join(cited)}.")
    return " ".join(parts)


def _row(table: MappingTable, record: MappingRecord, cardinality: str) -> dict[str, str]:
    s, o = table.entities[record.subject], table.entities[record.object]
    s_scheme, o_scheme = table.scheme_of(s), table.scheme_of(o)
    alignment = record.alignment
    return {
        "record_id": curie(record.iri),
        "subject_id": curie(s.iri),
        "subject_label": s.label,
        "subject_type": "skos concept" if s.is_concept else "owl named individual",
        "subject_source": curie(s_scheme.iri) if s_scheme else "",
        "subject_source_version": (s_scheme.edition or "") if s_scheme else "",
        "predicate_id": f"skos:{alignment.skos}",
        "predicate_modifier": "Not" if alignment.negated else "",
        "object_id": curie(o.iri),
        "object_label": o.label,
        "object_type": "skos concept" if o.is_concept else "owl named individual",
        "object_source": curie(o_scheme.iri) if o_scheme else "",
        "object_source_version": (o_scheme.edition or "") if o_scheme else "",
        "mapping_justification": JUSTIFICATIONS[record.basis.notation],
        "author_label": _author(table, record),
        "mapping_source": curie(record.mapping_set),
        "mapping_cardinality": cardinality,
        "see_also": "|".join(record.derived_from),
        "comment": _comment(table, record),
        "ir8477_relationship": curie(record.relationship.iri),
        "ir8477_rationale": curie(record.rationale.iri),
        "evidence_basis": curie(record.basis.iri),
        "change_type": curie(record.change_type.iri) if record.change_type else "",
    }


def sssom_rows(table: MappingTable, names: Sequence[str] | None = None) -> list[dict[str, str]]:
    """One SSSOM row (slot -> value) per record of the sets *names* (all sets by default)."""
    records = table.records_in(names)
    cardinality = table.cardinality(records)
    return [_row(table, r, cardinality[r.iri]) for r in records]


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
