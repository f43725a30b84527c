"""``/openapi.json``: the OpenAPI 3.1 document of every route, the named queries' from their headers."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from ...named_queries import NamedQuery, QueryCatalogue
from ...sparql.cache import Answer
from ..responses import respond
from ..state import state

bp = Blueprint("openapi", __name__)


@bp.route("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 document of every route, generated from the query headers."""
    current = state()
    server = request.root_url.rstrip("/")  # with the path prefix of a public_url

    def make() -> Answer:
        document = openapi_document(current.catalogue, server, current.engine.dataset.kg.manifest.version)
        return Answer(200, json.dumps(document, indent=1).encode(), "application/json")

    return respond(("openapi", server), make)


_RESULTS = {
    "application/sparql-results+json": {"schema": {"type": "object"}},
    "application/sparql-results+xml": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
    "text/tab-separated-values": {"schema": {"type": "string"}},
}
_GRAPHS = {
    "text/turtle": {"schema": {"type": "string"}},
    "application/ld+json": {"schema": {"type": "object"}},
    "application/n-triples": {"schema": {"type": "string"}},
    "application/rdf+xml": {"schema": {"type": "string"}},
}
_ERROR = {
    "description": "Error: one short line saying what was wrong",
    "content": {"text/plain": {"schema": {"type": "string"}}},
}


def _param_schema(query: NamedQuery, catalogue: QueryCatalogue, index: int) -> dict[str, Any]:
    p = query.params[index]
    schema: dict[str, Any] = {"type": "string", "pattern": p.kind.pattern.pattern}
    if p.kind.enumerate_in_errors:
        schema = {
            "type": "string",
            "enum": sorted(catalogue.allowed_values(p.type).values()) + ([""] if not p.required else []),
        }
    if p.default is not None:
        schema["default"] = p.default
    return {
        "name": p.name,
        "in": "query",
        "required": p.required,
        "description": f"{p.description} ({p.kind.form})",
        "schema": schema,
        **({"example": query.example[p.name]} if p.name in query.example else {}),
    }


def _static(summary: str, description: str, content: dict[str, Any], *, tags: list[str]) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "description": description,
            "tags": tags,
            "responses": {"200": {"description": summary, "content": content}},
        }
    }


def _query_param(name: str, description: str, schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """An optional query-string parameter (OpenAPI 3.1 Parameter Object)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
        **extra,
    }


def _coverage_path() -> dict[str, Any]:
    """``POST /coverage`` (cyberframe.web.api.coverage)."""
    from .coverage import BODY_TYPES

    return {
        "post": {
            "summary": "Coverage and gaps of a Statement of Applicability (CSV, XLSX) or an organisational profile",
            "tags": ["coverage"],
            "parameters": [
                _query_param("sets", "Mapping sets from subcategories to controls (repeatable)",
                             {"type": "string", "enum": ["ts27103", "via-csf20"], "default": "ts27103"}),
                _query_param("download", "Any value: send the report as an attachment", {"type": "string"}),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    **{media: {"schema": {"type": "string"}} for media in BODY_TYPES},
                    "multipart/form-data": {"schema": {"type": "object", "properties": {
                        "file": {"type": "string", "format": "binary"}, "data": {"type": "string"},
                        "kind": {"type": "string", "enum": ["csv", "turtle"]},
                        "sets": {"type": "array", "items": {"type": "string"}}}}},
                },
            },
            "responses": {
                "200": {
                    "description": "The coverage report",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "text/csv": {"schema": {"type": "string"}},
                        "text/plain": {"schema": {"type": "string"}},
                        "text/html": {"schema": {"type": "string"}},
                    },
                },
                "400": _ERROR,
                "406": _ERROR,
                "413": _ERROR,
                "415": _ERROR,
                "503": _ERROR,
            },
        }
    }


def openapi_document(catalogue: QueryCatalogue, server: str, version: str) -> dict[str, Any]:
    """OpenAPI 3.1: ``/sparql``, one operation per named query, and every other route (docs/http.md)."""
    format_param = _query_param(
        "format", "Overrides Accept: json, xml, csv, tsv (results) or turtle, jsonld, ntriples, rdfxml (graphs)"
    )
    query_param = _query_param("query", "SPARQL 1.1 query text; without it the service description is returned")
    graph_params = [
        _query_param(
            name,
            f"SPARQL 1.1 Protocol §2.1.4 {name} (repeatable)",
            {"type": "array", "items": {"type": "string", "format": "uri"}},
            style="form",
            explode=True,
        )
        for name in ("default-graph-uri", "named-graph-uri")
    ]
    # 502 and 504 come from a remote store (serve --store): its error, and its answer past the time limit
    errors = {code: _ERROR for code in ("400", "404", "406", "502", "503", "504")}
    paths: dict[str, Any] = {
        "/sparql": {
            "get": {
                "summary": "SPARQL 1.1 query (Protocol §2.1.1)",
                "operationId": "sparqlGet",
                "tags": ["sparql"],
                "parameters": [query_param, *graph_params, format_param],
                "responses": {
                    "200": {"description": "Query results or a graph", "content": {**_RESULTS, **_GRAPHS}},
                    **errors,
                },
            },
            "post": {
                "summary": "SPARQL 1.1 query by POST (Protocol §2.1.2, §2.1.3)",
                "operationId": "sparqlPost",
                "tags": ["sparql"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "properties": {"query": {"type": "string"}},
                                "required": ["query"],
                            }
                        },
                        "application/sparql-query": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": {"description": "Query results or a graph", "content": {**_RESULTS, **_GRAPHS}},
                    "413": _ERROR,
                    "415": _ERROR,
                    **errors,
                },
            },
        },
        "/queries": _static(
            "The named queries and their parameters",
            "JSON by default; HTML for browsers",
            {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}},
            tags=["queries"],
        ),
    }
    for query in catalogue.queries.values():
        content = _GRAPHS if query.form in ("CONSTRUCT", "DESCRIBE") else _RESULTS
        paths[f"/queries/{query.name}"] = {
            "get": {
                "summary": query.summary,
                "description": query.description,
                "operationId": "query_" + query.name.replace("-", "_"),
                "tags": ["queries", *query.tags],
                "parameters": [_param_schema(query, catalogue, i) for i in range(len(query.params))] + [format_param],
                "responses": {"200": {"description": query.summary, "content": content}, **errors},
            }
        }
    rdf = {**_GRAPHS, "text/html": {"schema": {"type": "string"}}}
    json_object = {"application/json": {"schema": {"type": "object"}}}
    dumps = {"application/n-quads": {"schema": {"type": "string"}}, "application/trig": {"schema": {"type": "string"}}}
    #: (path, summary, description, content, tag) of every route with one plain GET answer.
    plain_routes: tuple[tuple[str, str, str, dict[str, Any], str], ...] = (
        ("/openapi.json", "This document", "OpenAPI 3.1", json_object, "service"),
        (
            "/context.jsonld",
            "The JSON-LD context",
            "Makes cyberframe's JSON-LD read as plain JSON",
            {"application/ld+json": {"schema": {"type": "object"}}},
            "linked-data",
        ),
        (
            "/dump",
            "The whole dataset",
            "Every named graph: N-Quads, TriG, JSON-LD with format=jsonld-dataset; "
            "or one merged graph as Turtle, N-Triples, JSON-LD or RDF/XML",
            {**dumps, **_GRAPHS},
            "linked-data",
        ),
        ("/health", "Liveness and readiness", "With the build hash", json_object, "service"),
        ("/stats", "Triples per graph, instances per class", "Versions and build hash", json_object, "service"),
        ("/ontology", "The OWL ontology", "HTML documentation for browsers, RDF by Accept", rdf, "linked-data"),
        ("/shapes", "The SHACL shapes", "HTML for browsers, RDF by Accept", rdf, "linked-data"),
    )
    for path, summary, description, content, tag in plain_routes:
        paths[path] = _static(summary, description, content, tags=[tag])
    paths.update(
        {
            "/id/{key}": {
                "get": {
                    "summary": "Dereference a cyberframe IRI",
                    "description": "https://w3id.org/cyberframe/id/{key}: HTML for browsers, RDF by Accept",
                    "tags": ["linked-data"],
                    "parameters": [
                        {
                            "name": "key",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "subcategory/DE.CM-1",
                        }
                    ],
                    "responses": {"200": {"description": "The entity", "content": rdf}, "404": _ERROR, "406": _ERROR},
                }
            },
            "/validate": {
                "post": {
                    "summary": "SHACL-validate RDF against cyberframe's shapes",
                    "tags": ["validation"],
                    "requestBody": {
                        "required": True,
                        "content": {
                            media: {"schema": {"type": "string"}}
                            for media in (
                                "text/turtle",
                                "application/n-triples",
                                "application/ld+json",
                                "application/rdf+xml",
                            )
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The validation report",
                            "content": {
                                "application/json": {"schema": {"type": "object"}},
                                "text/turtle": {"schema": {"type": "string"}},
                                "text/html": {"schema": {"type": "string"}},
                            },
                        },
                        "400": _ERROR,
                        "413": _ERROR,
                        "415": _ERROR,
                    },
                }
            },
            "/coverage": _coverage_path(),
        }
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cyberframe",
            "version": version,
            "description": "Knowledge graph and SPARQL service for the ISO/IEC TS 27103:2026 cybersecurity framework.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "servers": [{"url": server}],
        "tags": [
            {"name": "sparql", "description": "SPARQL 1.1 Protocol"},
            {"name": "queries", "description": "Named queries"},
            {"name": "linked-data", "description": "Dereferenceable IRIs and downloads"},
            {"name": "validation", "description": "SHACL validation"},
            {"name": "coverage", "description": "Coverage and gap analysis of a Statement of Applicability"},
            {"name": "service", "description": "Service metadata"},
        ],
        "paths": paths,
    }
