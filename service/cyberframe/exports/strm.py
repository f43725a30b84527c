"""Set Theory Relationship Mapping (STRM) as CSV, after NIST IR 8477 (2024), §4.

Each row relates one focal document element (here a framework subcategory)
to one reference document element (an ISO/IEC 27002:2022 control by default)
with the report's vocabulary: the rationale (syntactic, semantic, functional),
the set-theory relationship (equal, subset of, superset of, intersects with,
not related to) and an optional strength. cyberframe records no strength
(IR 8477 makes it optional and subjective), so that column is left empty
rather than invented. The columns after ``Notes`` carry the IRIs that let a
tool join the rows back to the graph.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from ..knowledge import KnowledgeGraph
from ..mappings import CONTROL_REFERENCES, MappingRecord, MappingTable, load_mappings
from ..progress import Progress, quiet

COLUMNS = (
    "Focal Document Element",
    "Focal Document Element Title",
    "Focal Document Element Description",
    "STRM Rationale",
    "STRM Relationship",
    "Reference Document Element",
    "Reference Document Element Title",
    "Strength of Relationship",
    "Notes",
    "Focal Element IRI",
    "Reference Element IRI",
    "Mapping Record IRI",
    "Evidence Basis",
)

_BASIS_NOTE = {
    "published": "Published by the source",
    "derived": "Derived mechanically from published tables (not an official mapping)",
    "judgement": "Editorial judgement of the cyberframe contributors (a suggestion)",
}


def _notes(table: MappingTable, record: MappingRecord) -> str:
    parts = [_BASIS_NOTE.get(record.basis.notation, record.basis.notation)]
    parts += [f"derivation {d}" for d in record.derivation]
    parts += list(record.notes)
    cited = [table.schemes[s].notation for s in record.sources if s in table.schemes]
    if cited:
        parts.append("source " + ", ".join(cited))
    return "; ".join(parts) + "."


def strm_rows(table: MappingTable, mapping_sets: Sequence[str] | None = None) -> list[dict[str, str]]:
    """One STRM row (column -> value) per record of *mapping_sets* (default: subcategory -> 27002 control)."""
    rows = []
    for r in table.records_in(mapping_sets or [CONTROL_REFERENCES]):
        focal, ref = table.entities[r.subject], table.entities[r.object]
        rows.append(
            {
                "Focal Document Element": focal.notation,
                "Focal Document Element Title": focal.label,
                "Focal Document Element Description": focal.definition or "",
                "STRM Rationale": r.rationale.label.capitalize(),
                "STRM Relationship": r.relationship.label,
                "Reference Document Element": ref.notation,
                "Reference Document Element Title": ref.label,
                "Strength of Relationship": "",
                "Notes": _notes(table, r),
                "Focal Element IRI": focal.iri,
                "Reference Element IRI": ref.iri,
                "Mapping Record IRI": r.iri,
                "Evidence Basis": r.basis.notation,
            }
        )
    return rows


def export_strm(
    kg: KnowledgeGraph,
    mapping_sets: Sequence[str] | None = None,
    progress: Progress = quiet,
) -> bytes:
    """The STRM CSV (RFC 4180, UTF-8, CRLF line ends as spreadsheets expect) for *mapping_sets*."""
    rows = strm_rows(load_mappings(kg), mapping_sets)
    progress(f"writing {len(rows)} STRM rows")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
