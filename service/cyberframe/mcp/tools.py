"""The tools an assistant calls: one per named query, plus ``sparql_query``, ``describe`` and ``validate``.

Nothing here knows the MCP SDK: :class:`Toolbox` lists :class:`ToolSpec`
values (name, description, JSON Schema of the arguments) and answers
``call(name, arguments)`` with a JSON-ready dict, or raises :class:`ToolError`
with a message that names what was wrong and what is allowed.

Every tool is a call of the library face (:mod:`cyberframe.api`, docs/python-api.md).
Queries run the way ``/sparql`` and ``/queries/{name}`` run them:
``cyberframe.query`` and ``cyberframe.sparql`` with the server's *engine*, so
they are admitted by :func:`cyberframe.sparql.admission.admit` and run in its
worker processes (network-isolated, stopped at the time limit) with the same
row cap and answer cache, parameters bound as prepared-query substitutions,
never pasted (docs/serving.md). ``describe`` (``cyberframe.describe``) and
``validate`` (``cyberframe.validate``) run in-process, like the entity page and
``POST /validate`` (docs/architecture.md, "Process model").
Every answer is capped at *max_output_bytes* of JSON; a capped answer says so
(``"truncated": true`` and a ``note``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCTERMS, RDF, SKOS
from rdflib.term import Node

from .. import api, validate
from ..knowledge import KnowledgeGraph
from ..mappings import MappingRecord, load_records, set_name, set_rank
from ..named_queries import (
    NamedQuery,
    NamedQueryError,
    Parameter,
    QueryCatalogue,
    UnknownEntity,
)
from ..namespaces import CF, curie
from ..ordering import notation_key
from ..rdfio import RdfDocument, RdfInputError, parse_rdf
from ..sparql.engine import SparqlEngine
from ..validation import ShapesError, ValidationOutcome, shorten

DEFAULT_MAX_OUTPUT_BYTES = 100_000
MAX_VALIDATION_RESULTS = 1000  # as POST /validate: the counts always cover all
MAX_LISTED_VALUES = 150  # allowed values named in one error message
_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {
    _XSD + t
    for t in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte",
    )
}  # fmt: skip
_FLOATS = {_XSD + "decimal", _XSD + "double", _XSD + "float"}


class ToolError(Exception):
    """A call a tool refuses or cannot answer; *status* is what the HTTP face would answer (400, 404, 413, 503)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class UnknownTool(LookupError):
    """No tool of that name (a protocol error, not a tool result)."""


@dataclass(frozen=True)
class ToolSpec:
    """One tool as ``tools/list`` shows it."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]


def plain(term: Mapping[str, str]) -> Any:
    """One SPARQL 1.1 Query Results JSON term (§3.2.2) as a compact JSON value.

    IRIs and strings as text, blank nodes as ``_:label``, numbers and booleans as JSON numbers and booleans.
    """
    kind, value = term["type"], term["value"]
    if kind == "bnode":
        return "_:" + value
    datatype = term.get("datatype")
    try:
        if datatype in _INTEGERS:
            return int(value)
        if datatype in _FLOATS:
            return float(value)
    except ValueError:
        return value
    if datatype == _XSD + "boolean":
        return value in ("true", "1")
    return value


def value(term: Node) -> Any:
    """One rdflib term of a :class:`cyberframe.Result` as a compact JSON value, as :func:`plain` makes it."""
    if isinstance(term, RdfLiteral):
        datatype = term.datatype
        return plain({"type": "literal", "value": str(term), "datatype": "" if datatype is None else str(datatype)})
    if isinstance(term, BNode):
        return "_:" + str(term)
    return str(term)


def compact_rows(result: api.Result) -> tuple[list[str], list[dict[str, Any]]]:
    """A SELECT answer as (columns, rows): one object per solution, unbound variables left out."""
    columns = list(result.variables)
    return columns, [{v: value(row[v]) for v in columns if v in row} for row in result]


def triple_rows(result: api.Result) -> list[dict[str, Any]]:
    """A CONSTRUCT or DESCRIBE answer as compact rows ``{subject, predicate, object}``, in a stable order."""
    rows = [{"subject": value(s), "predicate": str(p), "object": value(o)} for s, p, o in result.triples]
    return sorted(rows, key=lambda r: (str(r["subject"]), r["predicate"], str(r["object"])))


def dumps(payload: Mapping[str, Any]) -> str:
    """The one JSON spelling of every answer: compact, UTF-8 text."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def fit(payload: dict[str, Any], key: str, max_bytes: int, what: str = "rows") -> dict[str, Any]:
    """*payload* with its list *key* cut so that its JSON stays within *max_bytes*, marked when cut."""
    items = payload[key]
    if len(dumps(payload).encode()) <= max_bytes:
        return payload

    def cut(shown: int) -> dict[str, Any]:
        note = (
            f"truncated: {shown} of {len(items)} {what} shown (output limit {max_bytes} bytes); "
            "narrow the question (a parameter, a FILTER or a LIMIT) to see the rest"
        )
        return {**payload, key: items[:shown], "truncated": True, "note": note}

    low, high = 0, len(items)  # the largest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if len(dumps(cut(middle)).encode()) <= max_bytes:
            low = middle
        else:
            high = middle - 1
    return cut(low)


class Toolbox:
    """The tools over one knowledge graph and one SPARQL engine."""

    def __init__(
        self,
        kg: KnowledgeGraph,
        engine: SparqlEngine,
        *,
        max_output_bytes: int = DEFAULT_MAX_OUTPUT_BYTES,
        validate_max_bytes: int = 1 << 20,
        catalogue: QueryCatalogue | None = None,
    ) -> None:
        self.kg = kg
        self.engine = engine
        self.catalogue = catalogue or QueryCatalogue(kg)
        self.max_output_bytes = max_output_bytes
        self.validate_max_bytes = validate_max_bytes
        self._validating = threading.Lock()  # one validation at a time: each takes a CPU for about a second
        self._special: dict[str, tuple[ToolSpec, Callable[[dict[str, Any]], dict[str, Any]]]] = {
            spec.name: (spec, handler)
            for spec, handler in (
                (self._sparql_spec(), self._sparql),
                (self._describe_spec(), self._describe),
                (self._validate_spec(), self._validate),
            )
        }

    # -- listing -----------------------------------------------------------

    def specs(self) -> list[ToolSpec]:
        """Every tool: the named queries in catalogue order, then sparql_query, describe and validate."""
        named = [self.query_spec(q) for q in self.catalogue.queries.values()]
        return named + [spec for spec, _ in self._special.values()]

    def names(self) -> list[str]:
        return [spec.name for spec in self.specs()]

    def allowed(self, param: Parameter) -> list[str]:
        """The values a coded parameter takes, in a stable order (empty for free text and entities)."""
        if param.kind.values is None:
            return []
        return sorted(self.catalogue.allowed_values(param.type).values(), key=notation_key)

    def query_spec(self, query: NamedQuery) -> ToolSpec:
        """A named query as a tool: its header's summary and description, its typed parameters as a schema."""
        properties: dict[str, Any] = {}
        for param in query.params:
            values = self.allowed(param)
            form = "" if param.kind.enumerate_in_errors else f": {param.kind.form}"
            schema: dict[str, Any] = {"type": "string", "description": param.description + form}
            if values:
                schema["enum"] = values
            else:
                schema["pattern"] = param.kind.pattern.pattern
            if param.default:
                schema["default"] = param.default
            elif not param.required:
                schema["description"] += " (optional)"
            if param.name in query.example:
                schema["examples"] = [query.example[param.name]]
            properties[param.name] = schema
        required = [p.name for p in query.params if p.required]
        description = f"{query.summary.rstrip('.')}.\n\n{query.description}"
        if query.form == "CONSTRUCT":
            description += "\n\nAnswers RDF statements as rows of subject, predicate and object."
        return ToolSpec(
            name=query.name,
            title=query.summary,
            description=description,
            input_schema={
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        )

    # -- calling -----------------------------------------------------------

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """Run the tool *name*; raises :class:`UnknownTool` or :class:`ToolError`."""
        given = dict(arguments or {})
        if name in self._special:
            return self._special[name][1](given)
        if name not in self.catalogue.queries:
            raise UnknownTool(f"unknown tool {name!r}; the tools are: {', '.join(self.names())}")
        return self.run_named(self.catalogue.get(name), given)

    def run_named(self, query: NamedQuery, given: Mapping[str, Any]) -> dict[str, Any]:
        """A named query, run like ``GET /queries/{name}`` (same bindings, worker, row cap and cache)."""
        strings = {}
        for key, given_value in given.items():
            if not isinstance(given_value, str):
                raise ToolError(
                    f"parameter {key!r} of {query.name} must be a string, not {type(given_value).__name__}"
                )
            strings[key] = given_value
        try:
            result = api.query(query.name, parameters=strings, knowledge_graph=self.kg, engine=self.engine)
        except UnknownEntity as exc:
            raise ToolError(self._with_allowed(query, strings, str(exc)), 404) from exc
        except NamedQueryError as exc:
            raise ToolError(str(exc)) from exc
        except api.QueryError as exc:
            raise ToolError(exc.message, exc.status) from exc
        return {"query": query.name, **self._answer(result, self.engine.limits.max_rows)}

    def _with_allowed(self, query: NamedQuery, given: Mapping[str, str], message: str) -> str:
        """*message* plus the allowed values of the coded parameter that named nothing."""
        for param in query.params:
            values = self.allowed(param)
            if values and param.name in given and given[param.name].casefold() not in self.catalogue.allowed_values(
                param.type
            ):
                shown = ", ".join(values[:MAX_LISTED_VALUES])
                more = f" and {len(values) - MAX_LISTED_VALUES} more" if len(values) > MAX_LISTED_VALUES else ""
                return f"{message}; parameter {param.name!r} takes one of: {shown}{more}"
        return message

    def _answer(self, result: api.Result, max_rows: int) -> dict[str, Any]:
        if result.form == "ASK":
            return {"boolean": bool(result.boolean), "truncated": False}
        payload: dict[str, Any]
        if result.form in ("CONSTRUCT", "DESCRIBE"):
            payload = {"triples": triple_rows(result), "count": len(result), "truncated": result.truncated}
            key, what = "triples", "triples"
        else:
            columns, rows = compact_rows(result)
            payload = {"columns": columns, "rows": rows, "count": len(result), "truncated": result.truncated}
            key, what = "rows", "rows"
        if result.truncated:
            payload["note"] = (
                f"truncated: the first {max_rows} {what} only (row limit); "
                "narrow the question (a parameter, a FILTER or a LIMIT) to see the rest"
            )
        return fit(payload, key, self.max_output_bytes, what)

    # -- sparql_query -----------------------------------------------------

    def _sparql_spec(self) -> ToolSpec:
        limits = self.engine.limits
        return ToolSpec(
            name="sparql_query",
            title="Run a read-only SPARQL 1.1 query",
            description=(
                "Run one SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query over the cyberframe knowledge graph "
                "(the default graph is the union of all graphs; prefixes cf:, skos:, dcterms: must be declared). "
                "Read-only and offline: updates, LOAD and SERVICE are refused. "
                f"Stopped after {limits.timeout:g} s; at most {limits.max_rows} rows. "
                "Prefer a named-query tool when one fits; answers are compact JSON rows."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "query": {
                        "type": "string",
                        "description": "The SPARQL query text",
                        "minLength": 1,
                        "maxLength": limits.max_query_length,
                    },
                    "max_rows": {
                        "type": "integer",
                        "description": f"Return at most this many rows or triples (1 to {limits.max_rows})",
                        "minimum": 1,
                        "maximum": limits.max_rows,
                        "default": limits.max_rows,
                    },
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        )

    def _sparql(self, given: dict[str, Any]) -> dict[str, Any]:
        _only(given, "sparql_query", {"query", "max_rows"})
        text = given.get("query")
        if not isinstance(text, str):
            raise ToolError("sparql_query needs 'query': the SPARQL text, as a string")
        limit = self.engine.limits.max_rows
        rows = given.get("max_rows", limit)
        if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= limit:
            raise ToolError(f"'max_rows' must be an integer from 1 to {limit}, not {rows!r}")
        try:
            result = api.sparql(text, max_rows=rows, engine=self.engine)
        except api.QueryError as exc:
            raise ToolError(exc.message, exc.status) from exc
        return self._answer(result, rows)

    # -- describe ----------------------------------------------------------

    def _describe_spec(self) -> ToolSpec:
        entity = self.catalogue.get("entity").params[0]
        return ToolSpec(
            name="describe",
            title="Describe one entity: label, definition, hierarchy, mappings",
            description=(
                "What cyberframe knows about one entity, given by IRI or code: DE (a function), DE.CM (a category), "
                "DE.CM-1 (a subcategory), 8.16 (an ISO/IEC 27002:2022 control) or 'clause 6.1.3' (ISO/IEC "
                "27001:2022). Answers its label, definition, classes, hierarchy (broader, narrower, the trail "
                "to the top) and every mapping record in which it takes part, with the NIST IR 8477 "
                "relationship, rationale, evidence basis (published, derived, judgement) and mapping set."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "entity": {
                        "type": "string",
                        "description": entity.kind.form,
                        "pattern": entity.kind.pattern.pattern,
                        "examples": ["DE.CM-1", "8.16", "clause 6.1.3"],
                    }
                },
                "required": ["entity"],
                "additionalProperties": False,
            },
        )

    @cached_property
    def records(self) -> dict[str, list[MappingRecord]]:
        """Every mapping record, read once, by the IRI of each element it relates."""
        by_element: dict[str, list[MappingRecord]] = {}
        for record in load_records(self.kg):
            by_element.setdefault(record.subject, []).append(record)
            by_element.setdefault(record.object, []).append(record)
        return by_element

    def _name(self, iri: str) -> dict[str, Any]:
        """``{iri, notation, label}`` of a resource (English or untagged literals)."""
        node = ox.NamedNode(iri)
        entry: dict[str, Any] = {"iri": iri}
        for key, predicate in (("notation", SKOS.notation), ("label", SKOS.prefLabel)):
            for quad in self.kg.store.quads_for_pattern(node, ox.NamedNode(str(predicate)), None):
                if isinstance(quad.object, ox.Literal) and quad.object.language in (None, "", "en"):
                    entry[key] = quad.object.value
                    break
        return entry

    def _objects(self, iri: str, predicate: str) -> list[str]:
        found = {
            q.object.value
            for q in self.kg.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(predicate), None)
            if isinstance(q.object, ox.NamedNode)
        }
        return sorted(found)

    def _describe(self, given: dict[str, Any]) -> dict[str, Any]:
        _only(given, "describe", {"entity"})
        value = given.get("entity")
        if not isinstance(value, str):
            raise ToolError("describe needs 'entity': an IRI or a code such as DE.CM-1, 8.16 or 'clause 6.1.3'")
        try:
            description = api.describe(value, knowledge_graph=self.kg)  # the entity named query, as the entity page
        except UnknownEntity as exc:
            raise ToolError(str(exc), 404) from exc
        except NamedQueryError as exc:
            raise ToolError(str(exc)) from exc
        node = description.iri
        iri = str(node)
        outgoing: dict[str, set[str]] = {}
        incoming: dict[str, set[str]] = {}
        literals: dict[str, list[str]] = {}
        for subject, predicate, obj in description.graph:
            if subject == node and isinstance(obj, RdfLiteral):
                if obj.language in (None, "", "en") and str(obj) not in literals.get(str(predicate), []):
                    literals.setdefault(str(predicate), []).append(str(obj))
            elif subject == node and isinstance(obj, URIRef):
                outgoing.setdefault(str(predicate), set()).add(str(obj))
            elif obj == node and isinstance(subject, URIRef):
                incoming.setdefault(str(predicate), set()).add(str(subject))
        broader = sorted(outgoing.get(str(SKOS.broader), set()))
        narrower = sorted(incoming.get(str(SKOS.broader), set()) | outgoing.get(str(SKOS.narrower), set()))
        trail: list[str] = []
        start = broader or sorted(outgoing.get(str(CF.inStandard), set()))
        current: str | None = start[0] if start else None
        while current is not None and current not in trail and len(trail) < 8:
            trail.insert(0, current)
            above = self._objects(current, str(SKOS.broader)) or self._objects(current, str(CF.inStandard))
            current = above[0] if above else None
        definitions = literals.get(str(SKOS.definition)) or literals.get(str(DCTERMS.description)) or []
        scope_notes = literals.get(str(SKOS.scopeNote)) or []
        payload: dict[str, Any] = {
            **self._name(iri),
            "curie": curie(iri),
            "types": sorted(curie(t) or t for t in outgoing.get(str(RDF.type), set())),
            "definition": definitions[0] if definitions else None,
            "scope_note": scope_notes[0] if scope_notes else None,
            "in_scheme": [self._name(s) for s in sorted(outgoing.get(str(SKOS.inScheme), set()))],
            "hierarchy": {
                "broader": [self._name(b) for b in broader],
                "narrower": [self._name(n) for n in narrower],
                "trail": [self._name(t) for t in trail],
            },
        }
        mappings = []
        for record in self.records.get(iri, []):
            other = self._name(record.object if record.subject == iri else record.subject)
            mappings.append(
                (
                    (set_rank(record.mapping_set), notation_key(other.get("notation", "")), record.iri),
                    {
                        "direction": "from" if record.subject == iri else "to",
                        "other": other,
                        "relationship": record.relationship.notation,
                        "rationale": record.rationale.notation,
                        "basis": record.basis.notation,
                        "mapping_set": set_name(record.mapping_set),
                        "record": record.iri,
                    },
                )
            )
        # the framework's own sets first (mappings.SET_ORDER), then the other ends in reading order
        payload["mappings"] = [entry for _, entry in sorted(mappings, key=lambda pair: pair[0])]
        payload["mapping_count"] = len(mappings)
        payload["truncated"] = False
        return fit(payload, "mappings", self.max_output_bytes, "mapping records")

    # -- validate ----------------------------------------------------------

    def _validate_spec(self) -> ToolSpec:
        return ToolSpec(
            name="validate",
            title="Validate Turtle against cyberframe's SHACL shapes",
            description=(
                "Check RDF in Turtle (or N-Triples) against cyberframe's SHACL shapes, together with cyberframe's "
                "own ontology and data, so links to cyberframe IRIs resolve and misspelt ones are reported. "
                "Answers whether the data conforms and the results grouped by focus node (severity, path, "
                f"value, message, shape). At most {self.validate_max_bytes} bytes of Turtle; nothing is fetched."
            ),
            input_schema={
                "type": "object",
                "properties": {
                    "turtle": {
                        "type": "string",
                        "description": "The RDF to check, as Turtle text",
                        "minLength": 1,
                        "maxLength": self.validate_max_bytes,
                    },
                },
                "required": ["turtle"],
                "additionalProperties": False,
            },
        )

    @cached_property
    def shipped(self) -> RdfDocument:
        """cyberframe's asserted ontology and data (never the inferred graph), as ``POST /validate`` uses it."""
        kg = self.kg
        quads = tuple(
            ox.Quad(q.subject, q.predicate, q.object)
            for graph in kg.asserted_graphs()
            for q in kg.store.quads_for_pattern(None, None, None, graph)
        )
        return RdfDocument("cyberframe", "nquads", quads)

    def _validate(self, given: dict[str, Any]) -> dict[str, Any]:
        _only(given, "validate", {"turtle"})
        text = given.get("turtle")
        if not isinstance(text, str) or not text.strip():
            raise ToolError("validate needs 'turtle': the RDF to check, as Turtle text")
        try:
            document = parse_rdf(
                text.encode("utf-8"), format="turtle", source="turtle", max_bytes=self.validate_max_bytes
            )
        except RdfInputError as exc:
            raise ToolError(str(exc), exc.status) from exc
        if not self._validating.acquire(timeout=self.engine.limits.timeout):
            raise ToolError("the validator is busy; try again shortly", 503)
        try:
            outcome = validate([self.shipped, document], include_shipped=False, engine="auto")
        except ShapesError as exc:  # pragma: no cover - the shipped shapes are well-formed (a test)
            raise ToolError(str(exc), 500) from exc
        finally:
            self._validating.release()
        return fit(report(outcome, len(document)), "focus_nodes", self.max_output_bytes, "focus nodes")


def report(outcome: ValidationOutcome, submitted: int) -> dict[str, Any]:
    """The validation report grouped by focus node, most severe first (what the validation page shows)."""
    groups: dict[str, dict[str, Any]] = {}
    for result in outcome.results[:MAX_VALIDATION_RESULTS]:
        entry = result.to_dict(outcome.labels)
        key = entry.pop("focus")
        label = entry.pop("focus_label")
        group = groups.setdefault(key, {"focus": key, "curie": shorten(result.focus), "label": label, "results": []})
        group["results"].append(entry)
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    focus_nodes = sorted(
        groups.values(), key=lambda g: (min(order.get(r["severity"], 3) for r in g["results"]), g["curie"])
    )
    payload: dict[str, Any] = {
        "conforms": outcome.conforms,
        "violations": len(outcome.violations),
        "warnings": len(outcome.warnings),
        "infos": len(outcome.infos),
        "submitted_triples": submitted,
        "validated_triples": outcome.triples,
        "engine": outcome.engine,
        "inference": outcome.inference,
        "focus_nodes": focus_nodes,
        "truncated": len(outcome.results) > MAX_VALIDATION_RESULTS,
    }
    if payload["truncated"]:
        payload["note"] = (
            f"truncated: the first {MAX_VALIDATION_RESULTS} of {len(outcome.results)} results only; "
            "the counts cover all"
        )
    return payload


def _only(given: Mapping[str, Any], tool: str, allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise ToolError(f"unknown argument {', '.join(unknown)} for {tool}; allowed: {', '.join(sorted(allowed))}")
