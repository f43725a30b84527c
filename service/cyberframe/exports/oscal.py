"""OSCAL 1.2 JSON: the framework and ISO/IEC 27002:2022 as catalogs, and their mapping as a mapping-collection.

* :func:`framework_catalog` — the TS 27103 framework as an OSCAL catalog
  (catalog model): one group per function, a nested group per category, a
  control per subcategory with a ``statement`` part (our wording), ``label``
  and ``sort-id`` props (OSCAL namespace), a ``canonical`` link to its
  cyberframe IRI and ``reference`` links to every control, clause and
  standard it draws on (standards as back-matter resources).
* :func:`iso27002_catalog` — the 93 controls of ISO/IEC 27002:2022 grouped by
  theme, with their titles (facts), our one-line summaries as the
  statement, the five attributes as ``cf``-namespaced props and links to
  their 2013 predecessors. It exists so that the mapping's target resolves.
* :func:`mapping_collection` — the subcategory -> control records as an OSCAL
  mapping-collection (mapping model, OSCAL 1.2.0+): one ``map`` per record with
  the relationship named as OSCAL names it (:data:`~cyberframe.mappings.RELATIONSHIPS`),
  the record's IR 8477 ``matching-rationale``, and its evidence basis and
  derivation as props.

UUIDs are version-5 UUIDs of IRIs, so each object keeps its UUID from one
build to the next (OSCAL asks this of per-subject UUIDs); a document's own UUID
also hashes the build, so it changes when the content does.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

from ..knowledge import KnowledgeGraph
from ..mappings import CONTROL_REFERENCES, OSCAL_METHODS, MappingTable, load_mappings
from ..namespaces import BASE, CF
from ..ordering import notation_key
from ..progress import Progress, quiet
from ..resources import internal_query
from .metadata import DatasetInfo, dataset_info

OSCAL_VERSION = "1.2.1"
CF_NS = str(CF)
FRAMEWORK = BASE + "id/framework/ts27103"
ISO27002 = BASE + "id/standard/iso-iec-27002-2022"

#: Default file names of the three OSCAL exports; the mapping's back-matter links to the catalogs by these.
FRAMEWORK_CATALOG_FILE = "cyberframe-ts27103.oscal-catalog.json"
ISO27002_CATALOG_FILE = "cyberframe-iso27002-2022.oscal-catalog.json"
MAPPING_FILE = "cyberframe-ts27103-iso27002-2022.oscal-mapping.json"


#: OSCAL prop names (cyberframe namespace) of the ISO/IEC 27002:2022 attributes, by cf property.
_ATTRIBUTE_PROPS = {
    "controlType": "control-type",
    "securityProperty": "information-security-property",
    "cybersecurityConcept": "cybersecurity-concept",
    "operationalCapability": "operational-capability",
    "securityDomain": "security-domain",
}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "#".join(parts)))


def framework_id(notation: str) -> str:
    """OSCAL id of a function, category or subcategory: its notation in lower case (``de.cm-1``)."""
    return notation.lower()


def iso27002_id(notation: str) -> str:
    """OSCAL id of an ISO/IEC 27002:2022 control; OSCAL ids cannot start with a digit (``iso27002-8.16``)."""
    return f"iso27002-{notation}"


def sort_id(notation: str) -> str:
    """A ``sort-id`` that orders like the framework: numbers zero-padded, functions ranked."""
    rank, parts = notation_key(notation)
    return f"{rank}-" + "".join(f"{n:03d}" if kind == 0 else text.lower() for kind, n, text in parts)


def _prop(name: str, value: str, ns: str | None = None) -> dict[str, str]:
    return {"name": name, "value": value} if ns is None else {"name": name, "ns": ns, "value": value}


def _metadata(info: DatasetInfo, title: str, canonical: str, remarks: str) -> dict[str, Any]:
    party = _uuid(BASE, "party", info.creator)
    return {
        "title": title,
        "last-modified": info.built_at,
        "version": info.version,
        "oscal-version": OSCAL_VERSION,
        "props": [_prop("build-hash", info.build_hash, CF_NS)],
        "links": [
            {"href": canonical, "rel": "canonical"},
            {"href": info.license, "rel": "license"},
        ],
        "roles": [{"id": "creator", "title": "Document creator"}],
        "parties": [
            {
                "uuid": party,
                "type": "organization",
                "name": info.creator,
                "links": [{"href": BASE, "rel": "homepage"}],
            }
        ],
        "responsible-parties": [{"role-id": "creator", "party-uuids": [party]}],
        "remarks": remarks,
    }


_REMARKS = (
    "Not an official ISO, IEC or NIST publication. Identifiers, titles and attribute values are facts; every "
    "statement is the cyberframe contributors' own wording."
)


def framework_catalog(kg: KnowledgeGraph) -> dict[str, Any]:
    """The TS 27103 framework as an OSCAL catalog document (``{"catalog": ...}``)."""
    info = dataset_info(kg)
    graphs = kg.asserted_graphs()
    header = next(iter(kg.select(internal_query("oscal-framework-header"))), None)
    nodes: dict[str, dict[str, Any]] = {}
    for row in kg.select(internal_query("oscal-framework"), default_graph=graphs):
        nodes[row["x"].value] = {
            "kind": row["class"].value.removeprefix(CF_NS),
            "notation": row["notation"].value,
            "label": row["label"].value,
            "definition": row["definition"].value if row["definition"] is not None else None,
            "parent": row["parent"].value if row["parent"] is not None else None,
        }
    standards = {
        row["s"].value: (row["notation"].value, row["title"].value if row["title"] else None)
        for row in kg.select(internal_query("oscal-standards"))
    }
    references: dict[str, list[tuple]] = defaultdict(list)
    cited: set[str] = set()
    for row in kg.select(internal_query("oscal-references"), default_graph=graphs):
        kind = row["class"].value.removeprefix(CF_NS)
        target = row["r"].value
        standard = row["standard"].value if row["standard"] is not None else None
        references[row["s"].value].append((kind, target, row["notation"].value, row["label"].value, standard))
        cited.add(target if kind == "Standard" else standard or "")
    cited.discard("")

    def link(kind: str, target: str, notation: str, label: str, standard: str | None) -> dict[str, str]:
        if kind == "Standard":
            return {"href": f"#{_uuid(target)}", "rel": "reference", "text": notation}
        prefix = standards.get(standard or "", (None,))[0]
        text = f"{prefix} {notation} {label}" if prefix else f"{notation} {label}"
        return {"href": target, "rel": "reference", "text": text}

    def children(parent: str, kind: str) -> list[tuple[str, dict]]:
        found = [(iri, n) for iri, n in nodes.items() if n["parent"] == parent and n["kind"] == kind]
        return sorted(found, key=lambda item: notation_key(item[1]["notation"]))

    def control(iri: str, node: dict) -> dict[str, Any]:
        oid = framework_id(node["notation"])
        refs = sorted(references.get(iri, []), key=lambda r: (r[0] != "Control", r[0], notation_key(r[2])))
        out: dict[str, Any] = {
            "id": oid,
            "class": "subcategory",
            "title": node["label"],
            "props": [_prop("label", node["notation"]), _prop("sort-id", sort_id(node["notation"]))],
            "links": [{"href": iri, "rel": "canonical"}] + [link(*r) for r in refs],
        }
        if node["definition"]:
            out["parts"] = [{"id": f"{oid}_smt", "name": "statement", "prose": node["definition"]}]
        return out

    def group(iri: str, node: dict, kind: str) -> dict[str, Any]:
        gid = framework_id(node["notation"])
        out: dict[str, Any] = {
            "id": gid,
            "class": kind.lower(),
            "title": node["label"],
            "props": [_prop("label", node["notation"]), _prop("sort-id", sort_id(node["notation"]))],
            "links": [{"href": iri, "rel": "canonical"}],
        }
        if node["definition"]:
            out["parts"] = [{"id": f"{gid}_ovw", "name": "overview", "prose": node["definition"]}]
        if kind == "Function":
            out["groups"] = [group(c, n, "Category") for c, n in children(iri, "Category")]
        else:
            out["controls"] = [control(s, n) for s, n in children(iri, "Subcategory")]
        return out

    functions = sorted(
        ((iri, n) for iri, n in nodes.items() if n["kind"] == "Function"), key=lambda i: notation_key(i[1]["notation"])
    )
    resources = [
        {
            "uuid": _uuid(s),
            "title": standards[s][0],
            **({"description": standards[s][1]} if standards[s][1] else {}),
            "citation": {"text": f"{standards[s][0]}, {standards[s][1]}" if standards[s][1] else standards[s][0]},
            "rlinks": [{"href": s}],
        }
        for s in sorted(cited & set(standards), key=lambda s: standards[s][0])
    ]
    title = header["label"].value if header else "ISO/IEC TS 27103:2026 cybersecurity framework"
    catalog: dict[str, Any] = {
        "uuid": _uuid(FRAMEWORK, "oscal-catalog", info.build_hash),
        "metadata": _metadata(info, title, FRAMEWORK, _REMARKS),
        "groups": [group(iri, n, "Function") for iri, n in functions],
    }
    if resources:
        catalog["back-matter"] = {"resources": resources}
    return {"catalog": catalog}


def iso27002_catalog(kg: KnowledgeGraph) -> dict[str, Any]:
    """The ISO/IEC 27002:2022 controls as an OSCAL catalog document, grouped by theme."""
    info = dataset_info(kg)
    graphs = kg.asserted_graphs()
    controls: dict[str, dict[str, Any]] = {}
    for row in kg.select(internal_query("oscal-controls"), default_graph=graphs):
        controls[row["c"].value] = {
            "notation": row["notation"].value,
            "label": row["label"].value,
            "definition": row["definition"].value if row["definition"] is not None else None,
            "theme": (row["theme"].value, row["themeLabel"].value),
            "new": row["new"] is not None and row["new"].value == "true",
        }
    attributes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in kg.select(internal_query("oscal-attributes"), default_graph=graphs):
        attributes[row["c"].value].append((row["property"].value.removeprefix(CF_NS), row["value"].value))
    predecessors: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in kg.select(internal_query("oscal-predecessors"), default_graph=graphs):
        predecessors[row["c"].value].append((row["old"].value, row["notation"].value))

    def control(iri: str, c: dict) -> dict[str, Any]:
        oid = iso27002_id(c["notation"])
        props = [_prop("label", c["notation"]), _prop("sort-id", sort_id(c["notation"]))]
        props.append(_prop("theme", c["theme"][1], CF_NS))
        for prop, value in sorted(attributes.get(iri, []), key=lambda a: (list(_ATTRIBUTE_PROPS).index(a[0]), a[1])):
            props.append(_prop(_ATTRIBUTE_PROPS[prop], value, CF_NS))
        if c["new"]:
            props.append(_prop("new-in-edition", "true", CF_NS))
        links = [{"href": iri, "rel": "canonical"}]
        links += [
            {"href": old, "rel": "predecessor", "text": f"ISO/IEC 27002:2013 {n}"}
            for old, n in sorted(predecessors.get(iri, []), key=lambda p: notation_key(p[1]))
        ]
        out: dict[str, Any] = {"id": oid, "class": "control", "title": c["label"], "props": props, "links": links}
        if c["definition"]:
            out["parts"] = [{"id": f"{oid}_smt", "name": "statement", "prose": c["definition"]}]
        return out

    themes: dict[tuple[str, str], list[tuple[str, dict]]] = defaultdict(list)
    for iri, c in controls.items():
        themes[c["theme"]].append((iri, c))
    groups = []
    for (theme_iri, theme_label), members in sorted(
        themes.items(), key=lambda t: min(notation_key(c["notation"]) for _, c in t[1])
    ):
        members.sort(key=lambda m: notation_key(m[1]["notation"]))
        groups.append(
            {
                "id": theme_label.lower(),
                "class": "theme",
                "title": theme_label,
                "links": [{"href": theme_iri, "rel": "canonical"}],
                "controls": [control(iri, c) for iri, c in members],
            }
        )
    return {
        "catalog": {
            "uuid": _uuid(ISO27002, "oscal-catalog", info.build_hash),
            "metadata": _metadata(
                info,
                "ISO/IEC 27002:2022 Information security controls (identifiers, titles and attributes)",
                ISO27002,
                _REMARKS + " The control text of ISO/IEC 27002 is not reproduced: obtain the standard from ISO.",
            ),
            "groups": groups,
        }
    }


def mapping_collection(kg: KnowledgeGraph, table: MappingTable | None = None) -> dict[str, Any]:
    """The ``ts27103-iso27002-2022`` records as an OSCAL mapping-collection document."""
    info = dataset_info(kg)
    table = table or load_mappings(kg)
    mapping_set = table.set_named(CONTROL_REFERENCES)
    records = table.records_in([CONTROL_REFERENCES])
    methods = {OSCAL_METHODS[r.basis.notation] for r in records}
    rationales = {r.rationale.notation for r in records}
    source_uuid, target_uuid = _uuid(FRAMEWORK, "oscal-catalog"), _uuid(ISO27002, "oscal-catalog")

    def item(iri: str, oid: str) -> dict[str, Any]:
        return {"type": "control", "id-ref": oid, "links": [{"href": iri, "rel": "canonical"}]}

    maps = []
    for r in records:
        s, o = table.entities[r.subject], table.entities[r.object]
        props = [
            _prop("evidence-basis", r.basis.notation, CF_NS),
            _prop("ir8477-relationship", r.relationship.notation, CF_NS),
        ]
        props += [_prop("derivation", d, CF_NS) for d in r.derivation]
        entry: dict[str, Any] = {
            "uuid": _uuid(r.iri),
            "matching-rationale": r.rationale.notation,
            "relationship": r.oscal_relationship,
            "sources": [item(s.iri, framework_id(s.notation))],
            "targets": [item(o.iri, iso27002_id(o.notation))],
            "props": props,
            "links": [{"href": r.iri, "rel": "canonical"}]
            + [{"href": d, "rel": "related", "text": "derived from"} for d in r.derived_from],
        }
        if r.notes:
            entry["remarks"] = " ".join(r.notes)
        maps.append(entry)

    def resource(uid: str, title: str, filename: str, iri: str) -> dict[str, Any]:
        return {
            "uuid": uid,
            "title": title,
            "rlinks": [{"href": filename, "media-type": "application/json"}, {"href": iri}],
        }

    return {
        "mapping-collection": {
            "uuid": _uuid(mapping_set.iri, "oscal-mapping", info.build_hash),
            "metadata": _metadata(info, mapping_set.label, mapping_set.iri, _REMARKS),
            "provenance": {
                "method": methods.pop() if len(methods) == 1 else "hybrid",
                "matching-rationale": rationales.pop() if len(rationales) == 1 else "semantic",
                "status": "complete",
                "mapping-description": mapping_set.description,
                "props": [_prop("evidence-basis", mapping_set.basis or "derived", CF_NS)],
                "links": [{"href": mapping_set.iri, "rel": "canonical"}]
                + [{"href": s, "rel": "reference"} for s in mapping_set.sources],
            },
            "mappings": [
                {
                    "uuid": _uuid(mapping_set.iri, "oscal-mapping"),
                    "source-resource": {"type": "catalog", "href": f"#{source_uuid}"},
                    "target-resource": {"type": "catalog", "href": f"#{target_uuid}"},
                    "maps": maps,
                }
            ],
            "back-matter": {
                "resources": [
                    resource(
                        source_uuid,
                        "ISO/IEC TS 27103:2026 framework (OSCAL catalog)",
                        FRAMEWORK_CATALOG_FILE,
                        FRAMEWORK,
                    ),
                    resource(
                        target_uuid, "ISO/IEC 27002:2022 controls (OSCAL catalog)", ISO27002_CATALOG_FILE, ISO27002
                    ),
                ]
            },
        }
    }


def _dump(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def export_framework_catalog(kg: KnowledgeGraph, progress: Progress = quiet) -> bytes:
    progress("building the OSCAL catalog of the framework")
    return _dump(framework_catalog(kg))


def export_iso27002_catalog(kg: KnowledgeGraph, progress: Progress = quiet) -> bytes:
    progress("building the OSCAL catalog of ISO/IEC 27002:2022")
    return _dump(iso27002_catalog(kg))


def export_mapping_collection(kg: KnowledgeGraph, progress: Progress = quiet) -> bytes:
    progress("building the OSCAL mapping-collection")
    return _dump(mapping_collection(kg))
