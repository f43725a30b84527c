"""JSON-LD 1.1: the published context, compaction of any RDF with it, and the framed framework tree.

* :func:`context` is the context document published at :data:`CONTEXT_URL`
  (``GET /context.jsonld``) and shipped as ``static/context.jsonld``. It is
  built from :mod:`cyberframe.namespaces` (the prefixes and the ``cf:`` terms,
  defined once) and from the ontology (which ``cf:`` properties point to
  resources, and which of those are functional). With it our data reads as
  plain JSON: ``id`` and ``type`` for ``@id`` and ``@type``, short keys
  (``prefLabel``, ``broader``, ``references``), IRI-valued properties coerced to
  ``@id`` (JSON-LD 1.1 §4.2.3, type coercion), English labels as plain strings
  (§4.2.4, language-tagged terms), multi-valued relations always arrays
  (``@container: @set``, §4.3), booleans and integers as JSON values.
* :func:`compact` / :func:`serialize` turn pyoxigraph triples or quads into
  compacted JSON-LD with pyld; named graphs become graph objects (§4.9).
* :func:`framework_tree` frames the framework as nested JSON (JSON-LD 1.1
  Framing): framework -> functions -> categories -> subcategories -> references.
* :func:`document_loader` is the only loader pyld gets here: it answers our
  own context URL from memory and refuses every other URL, so JSON-LD
  processing never fetches anything (docs/tool-builders.md, "The JSON-LD context").
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, XSD

from ..knowledge import KnowledgeGraph
from ..namespaces import BASE, CF, PREFIXES
from ..ordering import notation_key
from ..progress import Progress, quiet
from ..resources import internal_query, ontology_path

CONTEXT_URL = BASE + "context.jsonld"
STATIC_NAME = "context.jsonld"
REFRESH_COMMAND = "cyberframe export --format context -o service/cyberframe/exports/static/context.jsonld"


_RDF_TYPE = str(RDF.type)
_OWL = str(OWL)
_XSD = str(XSD)
_CANONICAL_INTEGER = re.compile(r"^-?(0|[1-9][0-9]*)$")

#: Terms of the reused vocabularies that get a short key, with their kind:
#: "text" (English text, a plain string), "iri" (single IRI), "iris" (always an array of IRIs), "value" (literal).
_REUSED_TERMS: dict[str, dict[str, str]] = {
    "skos": {
        "notation": "value",
        "prefLabel": "text",
        "altLabel": "text",
        "hiddenLabel": "text",
        "definition": "text",
        "scopeNote": "text",
        "note": "text",
        "editorialNote": "text",
        "changeNote": "text",
        "historyNote": "text",
        "example": "text",
        "broader": "iris",
        "narrower": "iris",
        "related": "iris",
        "broaderTransitive": "iris",
        "narrowerTransitive": "iris",
        "inScheme": "iris",
        "topConceptOf": "iris",
        "hasTopConcept": "iris",
        "closeMatch": "iris",
        "exactMatch": "iris",
        "broadMatch": "iris",
        "narrowMatch": "iris",
        "relatedMatch": "iris",
    },
    "rdfs": {"label": "text", "comment": "text", "seeAlso": "iris"},
    "dcterms": {
        "title": "text",
        "description": "text",
        "source": "iris",
        "license": "iri",
        "creator": "value",
        "isPartOf": "iris",
        "modified": "date",
    },
    "prov": {"wasDerivedFrom": "iris"},
}
_REUSED_CLASSES = {"Concept": "skos", "ConceptScheme": "skos"}


def _ontology_kinds() -> dict[str, set[str]]:
    """``cf:`` term local name -> its OWL types (local names), read from the ontology file."""
    kinds: dict[str, set[str]] = {}
    ns = str(CF)
    for triple in ox.parse(path=ontology_path(), format=ox.RdfFormat.TURTLE):
        s = triple.subject
        if isinstance(s, ox.NamedNode) and s.value.startswith(ns) and triple.predicate.value == _RDF_TYPE:
            o = triple.object
            if isinstance(o, ox.NamedNode) and o.value.startswith(_OWL):
                kinds.setdefault(s.value[len(ns) :], set()).add(o.value[len(_OWL) :])
    return kinds


def _term(prefix: str, name: str, kind: str) -> str | dict[str, str]:
    iri = f"{prefix}:{name}"
    if kind == "text":
        return {"@id": iri, "@language": "en"}
    if kind == "iri":
        return {"@id": iri, "@type": "@id"}
    if kind == "iris":
        return {"@id": iri, "@type": "@id", "@container": "@set"}
    if kind == "date":  # coerced (JSON-LD 1.1 §4.2.3): plain readers that skip aliased value types keep the date
        return {"@id": iri, "@type": "xsd:date"}
    return iri


@cache
def _context() -> dict[str, Any]:
    terms: dict[str, Any] = {
        "@version": 1.1,
        "id": "@id",
        "type": {"@id": "@type", "@container": "@set"},
    }
    terms.update(PREFIXES)
    kinds = _ontology_kinds()
    names = sorted(CF.__annotations__)
    for name in (n for n in names if n[0].isupper()):
        terms[name] = f"cf:{name}"
    for name, prefix in _REUSED_CLASSES.items():
        terms[name] = f"{prefix}:{name}"
    for name in (n for n in names if n[0].islower()):
        owl = kinds.get(name, set())
        if "ObjectProperty" in owl:
            terms[name] = _term("cf", name, "iri" if "FunctionalProperty" in owl else "iris")
        else:  # datatype properties: strings stay strings, booleans and numbers are native JSON
            terms[name] = _term("cf", name, "value")
    for prefix, vocabulary in _REUSED_TERMS.items():
        for name, kind in vocabulary.items():
            if name in terms:
                raise ValueError(f"context term {name!r} defined twice ({prefix}:{name} and {terms[name]})")
            terms[name] = _term(prefix, name, kind)
    return {"@context": terms}


def context() -> dict[str, Any]:
    """The cyberframe JSON-LD 1.1 context document (a fresh copy; callers may change it)."""
    return copy.deepcopy(_context())


def context_bytes() -> bytes:
    """The context document as published: UTF-8 JSON, two-space indents, a final newline."""
    return (json.dumps(context(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def shipped_context_bytes() -> bytes:
    """The context file shipped in the package (a test keeps it equal to :func:`context_bytes`)."""
    return files("cyberframe.exports").joinpath("static", STATIC_NAME).read_bytes()


def document_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """A pyld document loader that serves our own context from memory and refuses any other URL."""
    from pyld.jsonld import JsonLdError

    if url == CONTEXT_URL:
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": context()}
    raise JsonLdError(
        f"refusing to load {url}: cyberframe never fetches remote JSON-LD documents or contexts",
        "jsonld.LoadDocumentError",
        {"url": url},
        code="loading remote context failed",
    )


def pyld_options(**extra: Any) -> dict[str, Any]:
    """pyld options with the offline :func:`document_loader` and JSON-LD 1.1 processing."""
    return {"documentLoader": document_loader, "processingMode": "json-ld-1.1", **extra}


# --- RDF -> expanded JSON-LD (JSON-LD 1.1 API §8.4, "Serialize RDF as JSON-LD", with native types) ----------


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return "_:" + term.value if isinstance(term, ox.BlankNode) else term.value


def _object(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict[str, Any]:
    if not isinstance(term, ox.Literal):
        return {"@id": _node_id(term)}
    if term.language:
        return {"@value": term.value, "@language": term.language}
    datatype = term.datatype.value
    if datatype == _XSD + "string":
        return {"@value": term.value}
    if datatype == _XSD + "boolean" and term.value in ("true", "false"):
        return {"@value": term.value == "true"}
    if datatype == _XSD + "integer" and _CANONICAL_INTEGER.match(term.value):
        return {"@value": int(term.value)}
    return {"@value": term.value, "@type": datatype}


def expand(statements: Iterable[ox.Quad | ox.Triple]) -> list[dict[str, Any]]:
    """Expanded JSON-LD for triples (default graph) or quads (named graphs become graph objects)."""
    default: dict[str, dict[str, Any]] = {}
    graphs: dict[str, dict[str, dict[str, Any]]] = {}
    for st in statements:
        name = st.graph_name if isinstance(st, ox.Quad) else None
        nodes = default if name is None or isinstance(name, ox.DefaultGraph) else graphs.setdefault(_node_id(name), {})
        subject, obj = st.subject, st.object
        if isinstance(subject, ox.Triple) or isinstance(obj, ox.Triple):
            raise ValueError("RDF-star quoted triples have no JSON-LD 1.1 form")
        node = nodes.setdefault(_node_id(subject), {"@id": _node_id(subject)})
        if st.predicate.value == _RDF_TYPE and not isinstance(obj, ox.Literal):
            node.setdefault("@type", []).append(_node_id(obj))
        else:
            node.setdefault(st.predicate.value, []).append(_object(obj))
    for graph_key, nodes in graphs.items():
        holder = default.setdefault(graph_key, {"@id": graph_key})
        holder["@graph"] = list(nodes.values())
    return list(default.values())


def compact(statements: Iterable[ox.Quad | ox.Triple], *, embed_context: bool = True) -> dict[str, Any]:
    """Compacted JSON-LD of *statements* with the cyberframe context.

    ``embed_context=False`` puts :data:`CONTEXT_URL` in ``@context`` instead of
    the context itself (smaller responses; the URL dereferences to :func:`context`).
    """
    from pyld import jsonld

    doc = jsonld.compact(expand(statements), context(), pyld_options(skipExpansion=True))
    if not embed_context:
        doc["@context"] = CONTEXT_URL
    return doc


def serialize(
    statements: Iterable[ox.Quad | ox.Triple],
    *,
    embed_context: bool = True,
    indent: int | None = 1,
    progress: Progress = quiet,
) -> bytes:
    """:func:`compact` as UTF-8 JSON bytes (what ``--format jsonld`` writes and JSON-LD responses carry)."""
    progress("compacting JSON-LD with the cyberframe context (pyld)")
    doc = compact(statements, embed_context=embed_context)
    return (json.dumps(doc, indent=indent, ensure_ascii=False) + "\n").encode("utf-8")


# --- the framed tree ----------------------------------------------------------------------------------------


def tree_frame() -> dict[str, Any]:
    """The JSON-LD 1.1 frame of the tree, with type-scoped names for the nesting relations."""
    # Type-scoped contexts (JSON-LD 1.1 §4.1.8) rename the nesting relation on each level; the generic
    # term is undefined there, as compaction would otherwise prefer the shorter "narrower".
    local = {
        # every node of the tree has one type: a plain string, and a form rdflib also applies scoped contexts to
        "type": "@type",
        "Framework": {
            "@id": "cf:Framework",
            "@context": {"functions": _term("skos", "hasTopConcept", "iris"), "hasTopConcept": None},
        },
        "Function": {
            "@id": "cf:Function",
            "@context": {"categories": _term("skos", "narrower", "iris"), "narrower": None},
        },
        "Category": {
            "@id": "cf:Category",
            "@context": {"subcategories": _term("skos", "narrower", "iris"), "narrower": None},
        },
    }
    return {
        "@context": [_context()["@context"], local],
        "@type": "Framework",
        "functions": {
            "@type": "Function",
            "categories": {
                "@type": "Category",
                "subcategories": {
                    "@type": "Subcategory",
                    "references": {
                        "@type": {},
                        "@embed": "@always",
                        "inStandard": {"@embed": "@never", "@omitDefault": True},
                    },
                },
            },
        },
    }


def _sort_tree(node: Any) -> None:
    if isinstance(node, dict):
        for value in node.values():
            if isinstance(value, list) and value and all(isinstance(v, dict) and "notation" in v for v in value):
                value.sort(key=lambda v: notation_key(v["notation"]))
            _sort_tree(value)
    elif isinstance(node, list):
        for item in node:
            _sort_tree(item)


def framework_tree(kg: KnowledgeGraph, *, embed_context: bool = True) -> dict[str, Any]:
    """The framework as one nested JSON-LD object: framework -> functions -> categories -> subcategories
    -> the controls, clauses and standards each subcategory references, in reading order."""
    from pyld import jsonld

    triples = list(kg.construct(internal_query("jsonld-tree")))
    framed = jsonld.frame(expand(triples), tree_frame(), pyld_options(omitGraph=True))
    _sort_tree(framed)
    if not embed_context:
        framed["@context"] = [CONTEXT_URL, framed["@context"][1]]
    return framed


def serialize_tree(kg: KnowledgeGraph, *, progress: Progress = quiet) -> bytes:
    progress("framing the framework tree with pyld")
    return (json.dumps(framework_tree(kg), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
