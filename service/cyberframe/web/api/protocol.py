"""Reading a SPARQL 1.1 Protocol query operation from an HTTP request (Protocol §2.1).

Three ways in, as §2.1.2 to §2.1.4 define them:

* ``GET`` with ``query=`` in the URL (query via GET);
* ``POST`` with ``application/x-www-form-urlencoded`` and ``query=`` in the
  body (query via URL-encoded POST);
* ``POST`` with ``application/sparql-query`` and the query as the body (query
  via POST directly).

``default-graph-uri`` and ``named-graph-uri`` (both repeatable) come from the
URL, and also from the body of a form POST. Everything is UTF-8 (§2.1.2 and
§2.1.3 say so); anything else is refused rather than guessed. Updates
(``update=``, ``application/sparql-update``) belong to the SPARQL 1.1 Update
operation (§2.2), which this read-only service does not offer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

import pyoxigraph as ox
from flask import Request

from ...errors import ProtocolError
from ...sparql.admission import READ_ONLY

FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"


@dataclass(frozen=True)
class QueryOperation:
    """The protocol-level parts of one query request (Protocol §2.1.1)."""

    query: str | None
    """The SPARQL text, or None when the request carries none (service description)."""
    default_graphs: tuple[str, ...] | None
    """``default-graph-uri`` values (§2.1.4), None when absent."""
    named_graphs: tuple[str, ...] | None
    """``named-graph-uri`` values (§2.1.4), None when absent."""
    format: tuple[str, ...]
    """``format=`` values overriding content negotiation, first usable one wins (SPARQLWrapper sends two)."""


def _decode_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {where} is not UTF-8 (byte {exc.start})") from exc
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ProtocolError(400, f"the {where} is not UTF-8 once percent-decoded (byte {exc.start})") from exc
    except ValueError as exc:
        raise ProtocolError(400, f"the {where} is malformed: {exc}") from exc


def _charset_must_be_utf8(request: Request) -> None:
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ProtocolError(
            415, f"request charset {charset!r} is not supported: SPARQL 1.1 Protocol requests are UTF-8 (§2.1.2)"
        )


def _graph_iris(values: list[str], name: str) -> tuple[str, ...] | None:
    if not values:
        return None
    for value in values:
        try:
            node = ox.NamedNode(value)
        except ValueError as exc:
            raise ProtocolError(400, f"{name} {value!r} is not an absolute IRI: {exc}") from exc
        if ":" not in node.value:
            raise ProtocolError(400, f"{name} {value!r} is not an absolute IRI")
    return tuple(dict.fromkeys(values))  # repeats name the same graph once


def _one(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise ProtocolError(400, f"exactly one {name} parameter is allowed, got {len(values)} (Protocol §2.1)")
    return values[0] if values else None


def _collect(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def read_operation(request: Request) -> QueryOperation:
    """Extract the query operation from *request* or raise :class:`ProtocolError`.

    Raises 400 for malformed or ambiguous parameters and for updates, 415 for
    a body that is not one of the two query media types or not UTF-8. The
    query text itself is judged by :func:`cyberframe.sparql.admission.admit`.
    """
    url = _collect(_decode_pairs(request.query_string, "URL query string"))
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == SPARQL_UPDATE or (mimetype == FORM and "update" in url):
            raise ProtocolError(400, READ_ONLY)
        if mimetype not in (FORM, SPARQL_QUERY):
            got = f"Content-Type {mimetype!r}" if mimetype else "no Content-Type"
            raise ProtocolError(
                415, f"a POSTed query needs Content-Type {FORM} or {SPARQL_QUERY}, got {got} (Protocol §2.1.2, §2.1.3)"
            )
        _charset_must_be_utf8(request)
        body = request.get_data(cache=False)
        if mimetype == FORM:
            form = _collect(_decode_pairs(body, "form body"))
            params = {name: url.get(name, []) + form.get(name, []) for name in url.keys() | form.keys()}
        else:
            if "query" in url:
                raise ProtocolError(400, "the query is the request body; a query= URL parameter as well is ambiguous")
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolError(400, f"the query body is not UTF-8 (byte {exc.start})") from exc
            params = {**url, "query": [text]}
    else:
        params = url
    if "update" in params:
        raise ProtocolError(400, READ_ONLY)
    query = _one(params.get("query", []), "query")
    return QueryOperation(
        query=query,
        default_graphs=_graph_iris(params.get("default-graph-uri", []), "default-graph-uri"),
        named_graphs=_graph_iris(params.get("named-graph-uri", []), "named-graph-uri"),
        format=tuple(params.get("format", [])),
    )
