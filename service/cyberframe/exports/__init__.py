"""Exports for tool builders, each made from the one knowledge graph.

:data:`FORMATS` lists what ``cyberframe export --list`` shows; :func:`export`
makes one of them as bytes. The modules hold the formats:

* :mod:`.dumps` — RDF dumps (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML);
* :mod:`.jsonld` — the published JSON-LD context and the framed framework tree;
* :mod:`.sssom` — every mapping record as SSSOM/TSV;
* :mod:`.oscal` — OSCAL catalogs (framework, ISO/IEC 27002:2022) and mapping-collection;
* :mod:`.strm` — NIST IR 8477 set-theory relationship mapping as CSV;
* :mod:`.void` — the VoID description of the dataset;
* :mod:`.w3id` — the w3id.org redirect rules (``.htaccess``) for a deployment;
* :mod:`.site` — the documentation site (MkDocs), as a zip archive;
* :mod:`.docs` — the pyLODE documentation of the ontology.

Functions for the HTTP service: :func:`.dumps.export_rdf`, :func:`.jsonld.context`,
:func:`.jsonld.compact`, :func:`.jsonld.document_loader`, :func:`.void.void_graph`,
:func:`.docs.shipped_ontology_html`, and :func:`export` for everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..errors import ExportError
from ..knowledge import KnowledgeGraph
from ..mappings import CONTROL_REFERENCES
from ..progress import Progress, quiet

__all__ = ["FORMATS", "ExportError", "ExportFormat", "export"]


@dataclass(frozen=True)
class ExportFormat:
    """One export: its name on the command line, what it is, and which options it takes."""

    name: str
    summary: str
    media_type: str
    filename: str  #: the file name the export is published under
    options: frozenset[str] = frozenset()  #: among "graph", "inferred", "mapping_sets", "service_url"


_RDF = frozenset({"graph", "inferred"})


def _formats() -> dict[str, ExportFormat]:
    from . import oscal
    from .dumps import RDF_SYNTAXES

    out = {
        s.name: ExportFormat(s.name, s.title, s.media_type, f"cyberframe{s.extension}", _RDF)
        for s in RDF_SYNTAXES.values()
    }
    for f in (
        ExportFormat("context", "the JSON-LD 1.1 context (/context.jsonld)", "application/ld+json", "context.jsonld"),
        ExportFormat(
            "jsonld-tree",
            "framework -> functions -> categories -> subcategories -> references, framed JSON-LD",
            "application/ld+json",
            "cyberframe-framework-tree.jsonld",
        ),
        ExportFormat(
            "sssom",
            "every mapping record as SSSOM/TSV (SSSOM 1.1)",
            "text/tab-separated-values",
            "cyberframe.sssom.tsv",
            frozenset({"mapping_sets"}),
        ),
        ExportFormat(
            "strm",
            f"NIST IR 8477 STRM CSV (default set: {CONTROL_REFERENCES})",
            "text/csv",
            "cyberframe-ts27103-iso27002-2022.strm.csv",
            frozenset({"mapping_sets"}),
        ),
        ExportFormat(
            "oscal-catalog", "the framework as an OSCAL 1.2 catalog", "application/json", oscal.FRAMEWORK_CATALOG_FILE
        ),
        ExportFormat(
            "oscal-catalog-iso27002",
            "ISO/IEC 27002:2022 controls as an OSCAL 1.2 catalog",
            "application/json",
            oscal.ISO27002_CATALOG_FILE,
        ),
        ExportFormat(
            "oscal-mapping",
            "subcategory -> ISO/IEC 27002:2022 control mappings as an OSCAL 1.2 mapping-collection",
            "application/json",
            oscal.MAPPING_FILE,
        ),
        ExportFormat(
            "void",
            "VoID description of the dataset (Turtle)",
            "text/turtle",
            "void.ttl",
            frozenset({"service_url"}),
        ),
        ExportFormat("docs", "ontology documentation by pyLODE (HTML)", "text/html", "ontology.html"),
        ExportFormat(
            "w3id",
            "w3id.org redirect rules (.htaccess) to the deployment at --service-url",
            "text/plain",
            ".htaccess",
            frozenset({"service_url"}),
        ),
        ExportFormat(
            "site",
            "the documentation site (MkDocs, strict) as a zip; needs a source checkout and the docs extra",
            "application/zip",
            "cyberframe-docs.zip",
        ),
    ):
        out[f.name] = f
    return out


FORMATS: dict[str, ExportFormat] = _formats()

_OPTION_NAMES = {
    "graph": "--graph",
    "inferred": "--inferred/--asserted",
    "mapping_sets": "--mapping-set",
    "service_url": "--service-url",
}


def export(
    kg: KnowledgeGraph | Callable[[], KnowledgeGraph],
    fmt: str,
    *,
    graph: str | None = None,
    inferred: bool | None = None,
    mapping_sets: Sequence[str] | None = None,
    service_url: str | None = None,
    progress: Progress = quiet,
) -> bytes:
    """Make the export *fmt* (a key of :data:`FORMATS`) from *kg*.

    *kg* may be a function that opens the graph: it is called only for the
    formats made from it (not ``context``, ``w3id`` or ``site``). Raises
    :class:`ExportError` for an unknown format, graph or mapping set and for
    an option the format does not take.
    """
    try:
        spec = FORMATS[fmt]
    except KeyError:
        raise ExportError(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    given = {
        "graph": graph is not None,
        "inferred": inferred is not None,
        "mapping_sets": bool(mapping_sets),
        "service_url": service_url is not None,
    }
    for option, present in given.items():
        if present and option not in spec.options:
            takers = ", ".join(f.name for f in FORMATS.values() if option in f.options)
            raise ExportError(f"{_OPTION_NAMES[option]} does not apply to {fmt}; it applies to: {takers}")

    if fmt == "context":
        from .jsonld import context_bytes

        return context_bytes()
    if fmt == "w3id":
        from .w3id import htaccess

        return htaccess(service_url, progress=progress)
    if fmt == "site":
        from .site import export_site

        return export_site(progress=progress)
    if not isinstance(kg, KnowledgeGraph):
        kg = kg()
    if "graph" in spec.options:
        from .dumps import export_rdf

        return export_rdf(kg, fmt, graph=graph, inferred=inferred, progress=progress)
    if fmt == "jsonld-tree":
        from .jsonld import serialize_tree

        return serialize_tree(kg, progress=progress)
    if fmt == "sssom":
        from .sssom import export_sssom

        return export_sssom(kg, mapping_sets or None, progress=progress)
    if fmt == "strm":
        from .strm import export_strm

        return export_strm(kg, mapping_sets or None, progress=progress)
    if fmt.startswith("oscal-"):
        from . import oscal

        make = {
            "oscal-catalog": oscal.export_framework_catalog,
            "oscal-catalog-iso27002": oscal.export_iso27002_catalog,
            "oscal-mapping": oscal.export_mapping_collection,
        }[fmt]
        return make(kg, progress=progress)
    if fmt == "void":
        from .void import export_void

        return export_void(kg, service_url, progress=progress)
    from .docs import render_ontology_html

    return render_ontology_html(kg, progress=progress)
