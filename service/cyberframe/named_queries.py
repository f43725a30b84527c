"""Named SPARQL queries: ``queries/*.rq`` with grlc-style ``#+`` YAML headers.

A header declares the query's summary, description, tags, an example call and
its parameters. Each parameter has a *type* from :data:`PARAMETER_TYPES`,
which says what a valid value looks like and how to list the values that name
something in the graph. Values are checked, normalised to the graph's own
spelling, and bound to the query's variable of the same name with
pyoxigraph's ``substitutions`` (SEP-0007 prepared-query semantics) — never
pasted into the query text. Every declared parameter is always bound, to its
given value or its default, so each ``.rq`` projects its parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import yaml

from .knowledge import KnowledgeGraph
from .namespaces import CF, ID
from .resources import internal_query, queries_dir

_HEADER = re.compile(r"^#\+ ?(.*)$")
_FORM = re.compile(r"^\s*(SELECT|CONSTRUCT|DESCRIBE|ASK)\b", re.IGNORECASE | re.MULTILINE)
_PROLOGUE = "PREFIX cf: <https://w3id.org/cyberframe/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"


class NamedQueryError(Exception):
    """Base class of the errors a caller can act on."""


class UnknownQuery(NamedQueryError, LookupError):
    """No query of that name (HTTP 404)."""


class ParameterError(NamedQueryError, ValueError):
    """A parameter is unknown, missing or malformed (HTTP 400)."""


class UnknownEntity(NamedQueryError, LookupError):
    """A well-formed code or IRI that names nothing in the graph (HTTP 404)."""


@dataclass(frozen=True)
class ParameterType:
    """What a parameter value looks like and, for codes, how to list the valid ones."""

    form: str
    noun: str
    pattern: re.Pattern[str]
    values: str | None = None  #: SELECT ?value listing every valid value; None for free text
    enumerate_in_errors: bool = False
    value_class: str | None = None  #: IRI bound to ?class in *values* (projected, as substitution requires)


def _type(
    form: str, noun: str, pattern: str, values: str | None = None, *, enumerate_in_errors: bool = False
) -> ParameterType:
    return ParameterType(form, noun, re.compile(pattern), values and _PROLOGUE + values, enumerate_in_errors)


_TS27103 = "<https://w3id.org/cyberframe/id/framework/ts27103>"
_ISO27002 = "<https://w3id.org/cyberframe/id/standard/iso-iec-27002-2022>"
_FACET_VALUE = r"^[A-Za-z_]{0,60}$"
_FACET_VALUES = "SELECT ?class ?value WHERE { ?x a ?class ; skos:notation ?value }"


def _facet(article: str, noun: str, cls: str) -> ParameterType:
    """An ISO/IEC 27002:2022 attribute value, spelt as its notation (the hashtag without '#')."""
    kind = _type(f"{article} {noun}", noun, _FACET_VALUE, _FACET_VALUES, enumerate_in_errors=True)
    return replace(kind, value_class=str(CF[cls]))

PARAMETER_TYPES: dict[str, ParameterType] = {
    "function": _type(
        "a function code: ID, PR, DE, RS or RC",
        "function",
        r"^[A-Za-z]{2}$",
        f"SELECT ?value WHERE {{ ?x a cf:Function ; skos:inScheme {_TS27103} ; skos:notation ?value }}",
        enumerate_in_errors=True,
    ),
    "function-or-category": _type(
        "a function code (e.g. RS) or a category code (e.g. RS.AN)",
        "function or category",
        r"^[A-Za-z]{2}(\.[A-Za-z]{2})?$",
        f"SELECT ?value WHERE {{ ?x skos:inScheme {_TS27103} ; skos:notation ?value FILTER (!CONTAINS(?value, '-')) }}",
    ),
    "subcategory": _type(
        "a subcategory code such as DE.CM-1",
        "subcategory",
        r"^[A-Za-z]{2}\.[A-Za-z]{2}-\d{1,2}$",
        f"SELECT ?value WHERE {{ ?x a cf:Subcategory ; skos:inScheme {_TS27103} ; skos:notation ?value }}",
    ),
    "control": _type(
        "an ISO/IEC 27002:2022 control number, 5.1 to 8.34",
        "ISO/IEC 27002:2022 control",
        r"^\d{1,2}\.\d{1,2}$",
        f"SELECT ?value WHERE {{ ?x cf:inStandard {_ISO27002} ; skos:notation ?value }}",
    ),
    "control-2013": _type(
        "an ISO/IEC 27002:2013 control number such as 12.4.1",
        "ISO/IEC 27002:2013 control",
        r"^(A\.)?\d{1,2}\.\d{1,2}\.\d{1,2}$",
        "SELECT ?value WHERE { ?x cf:inStandard <https://w3id.org/cyberframe/id/standard/iso-iec-27002-2013> ;"
        " skos:notation ?value }",
    ),
    "provision": _type(
        "an ISO/IEC 27002:2022 control (e.g. 5.9) or ISO/IEC 27001:2022 clause number (e.g. 6.1.3)",
        "ISO/IEC 27002:2022 control or ISO/IEC 27001:2022 clause",
        r"^\d{1,2}(\.\d{1,2}){0,2}$",
        "SELECT ?value WHERE { ?x a cf:Provision ; cf:inStandard ?s ; skos:notation ?value "
        f"FILTER (?s IN ({_ISO27002}, <https://w3id.org/cyberframe/id/standard/iso-iec-27001-2022>)) }}",
    ),
    "csf20": _type(
        "a NIST CSF 2.0 code such as GV, GV.OC or GV.OC-01",
        "NIST CSF 2.0 element",
        r"^[A-Za-z]{2}(\.[A-Za-z]{2}(-\d{2})?)?$",
        "SELECT ?value WHERE { ?x skos:inScheme <https://w3id.org/cyberframe/id/framework/nist-csf-2-0> ;"
        " skos:notation ?value }",
    ),
    "theme": _facet("a", "theme", "Theme"),
    "control-type": _facet("a", "control type", "ControlType"),
    "security-property": _facet("an", "information security property", "SecurityProperty"),
    "cybersecurity-concept": _type(
        "a cybersecurity concept",
        "cybersecurity concept",
        _FACET_VALUE,
        "SELECT ?value WHERE { ?x a cf:Function ; skos:inScheme "
        "<https://w3id.org/cyberframe/id/scheme/iso27002-2022-cybersecurity-concepts> ; skos:prefLabel ?l "
        "BIND (STR(?l) AS ?value) }",
        enumerate_in_errors=True,
    ),
    "operational-capability": _facet("an", "operational capability", "OperationalCapability"),
    "security-domain": _facet("a", "security domain", "SecurityDomain"),
    "text": _type("text of 2 to 100 characters", "text", r"^[^\x00-\x1f\x7f]{2,100}$"),
    "entity": _type(
        "a https://w3id.org/cyberframe/id/... IRI, a framework code (DE, DE.CM, DE.CM-1), "
        "an ISO/IEC 27002:2022 control number (8.16) or 'clause N' for ISO/IEC 27001:2022",
        "entity",
        r"^(https://w3id\.org/cyberframe/id/[A-Za-z0-9._~:/%-]{1,200}|[A-Za-z0-9. :-]{1,40})$",
    ),
}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a named query."""

    name: str
    type: str
    description: str = ""
    required: bool = False
    default: str | None = None

    @property
    def kind(self) -> ParameterType:
        return PARAMETER_TYPES[self.type]


@dataclass(frozen=True)
class NamedQuery:
    """One ``queries/NAME.rq`` file: its header and its SPARQL text."""

    name: str
    summary: str
    description: str
    sparql: str
    form: str
    tags: tuple[str, ...] = ()
    params: tuple[Parameter, ...] = ()
    example: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def param(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)


def parse_query_file(path: Path) -> NamedQuery:
    """Read one ``.rq`` file; raise ValueError naming the file for a bad header."""
    text = path.read_text(encoding="utf-8")
    header_lines = [m.group(1) for line in text.splitlines() if (m := _HEADER.match(line))]
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: malformed #+ header: {exc}") from exc
    missing = {"summary", "description", "tags", "example"} - set(header)
    if missing:
        raise ValueError(f"{path}: #+ header lacks {', '.join(sorted(missing))}")
    params = []
    for spec in header.get("params") or []:
        unknown = set(spec) - {"name", "type", "description", "required", "default"}
        if unknown or spec.get("type") not in PARAMETER_TYPES:
            raise ValueError(f"{path}: parameter {spec.get('name')!r} has an unknown type or keys {unknown}")
        params.append(
            Parameter(
                name=spec["name"],
                type=spec["type"],
                description=spec.get("description", ""),
                required=bool(spec.get("required", False)),
                default=None if spec.get("default") is None else str(spec["default"]),
            )
        )
    sparql = "\n".join(line for line in text.splitlines() if not _HEADER.match(line)).strip() + "\n"
    form = _FORM.search(sparql)
    if form is None:
        raise ValueError(f"{path}: no SELECT, CONSTRUCT, DESCRIBE or ASK")
    return NamedQuery(
        name=path.stem,
        summary=str(header["summary"]),
        description=str(header["description"]).strip(),
        sparql=sparql,
        form=form.group(1).upper(),
        tags=tuple(header["tags"]),
        params=tuple(params),
        example={str(k): str(v) for k, v in (header["example"] or {}).items()},
        path=path,
    )


@cache
def load_catalogue(directory: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query of *directory* (default: the shipped ``queries/``), by name."""
    folder = queries_dir() if directory is None else directory
    return {q.name: q for q in (parse_query_file(p) for p in sorted(folder.glob("*.rq")))}


class QueryCatalogue:
    """The named queries bound to one knowledge graph: validates parameters and runs queries."""

    def __init__(self, kg: KnowledgeGraph, queries: Mapping[str, NamedQuery] | None = None) -> None:
        self.kg = kg
        self.queries = dict(load_catalogue() if queries is None else queries)
        self._values: dict[str, dict[str, str]] = {}

    def get(self, name: str) -> NamedQuery:
        try:
            return self.queries[name]
        except KeyError:
            raise UnknownQuery(f"no named query {name!r}; see the list of queries") from None

    def allowed_values(self, type_name: str) -> dict[str, str]:
        """Valid values of a code type, keyed by their case-folded spelling."""
        if type_name not in self._values:
            kind = PARAMETER_TYPES[type_name]
            bound = {} if kind.value_class is None else {ox.Variable("class"): ox.NamedNode(kind.value_class)}
            values = []
            if kind.values:
                values = [row["value"].value for row in self.kg.select(kind.values, substitutions=bound)]
            self._values[type_name] = {value.casefold(): value for value in values}
        return self._values[type_name]

    def _entity(self, value: str) -> ox.NamedNode:
        if value.startswith(str(ID)):
            try:
                node = ox.NamedNode(value)
            except ValueError as exc:
                raise ParameterError(f"parameter 'entity' is not a valid IRI: {exc}") from None
            store = self.kg.store
            if (
                next(store.quads_for_pattern(node, None, None), None) is None
                and next(store.quads_for_pattern(None, None, node), None) is None
            ):
                raise UnknownEntity(f"{value} names nothing in the graph")
            return node
        code = value.strip()
        code = "clause " + code[len("clause") :].strip() if code.lower().startswith("clause") else code
        for spelling in (code, code.upper()):
            bound = {ox.Variable("code"): ox.Literal(spelling)}
            for row in self.kg.select(internal_query("entity-by-code"), substitutions=bound):
                entity = row["entity"]
                if isinstance(entity, ox.NamedNode):
                    return entity
        raise UnknownEntity(f"{value!r} names no entity (try a code such as DE.CM-1, 8.16 or 'clause 6.1.3')")

    def bind(self, query: NamedQuery, given: Mapping[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Check *given* against the query's parameters and return the substitutions to run it with."""
        declared = {p.name for p in query.params}
        unknown = sorted(set(given) - declared)
        if unknown:
            allowed = ", ".join(sorted(declared)) or "none"
            raise ParameterError(f"unknown parameter {', '.join(unknown)} for {query.name}; allowed: {allowed}")
        bindings: dict[ox.Variable, ox.NamedNode | ox.Literal] = {}
        for param in query.params:
            value = given.get(param.name)
            if value is None:
                if param.required:
                    raise ParameterError(f"{query.name} needs parameter {param.name!r}: {param.kind.form}")
                value = param.default or ""
                bindings[ox.Variable(param.name)] = ox.Literal(value)
                continue
            bindings[ox.Variable(param.name)] = self._check(query, param, value)
        return bindings

    def _check(self, query: NamedQuery, param: Parameter, value: str) -> ox.NamedNode | ox.Literal:
        kind = param.kind
        if not kind.pattern.fullmatch(value):
            raise ParameterError(f"parameter {param.name!r} of {query.name} expects {kind.form}; got {value!r}")
        if param.type == "entity":
            return self._entity(value)
        if kind.values is None:
            return ox.Literal(value)
        if value == "" and not param.required:
            return ox.Literal("")
        if param.type == "control-2013":
            value = value.removeprefix("A.")
        allowed = self.allowed_values(param.type)
        canonical = allowed.get(value.casefold())
        if canonical is not None:
            return ox.Literal(canonical)
        if kind.enumerate_in_errors:
            choices = ", ".join(sorted(allowed.values()))
            raise ParameterError(f"parameter {param.name!r} of {query.name} must be one of: {choices}; got {value!r}")
        raise UnknownEntity(f"{value!r} names no {kind.noun} in the graph")

    def select(self, name: str, given: Mapping[str, str] | None = None, **options: Any) -> ox.QuerySolutions:
        """Run the named SELECT query *name* (see :meth:`run`); its solutions."""
        result = self.run(name, given, **options)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError(f"{name} is not a SELECT query")
        return result

    def run(
        self, name: str, given: Mapping[str, str] | None = None, **options: Any
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Validate the parameters and run the named query over the union of graphs."""
        query = self.get(name)
        return self.kg.query(query.sparql, substitutions=self.bind(query, given or {}), **options)
