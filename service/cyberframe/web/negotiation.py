"""Result formats and content negotiation (SPARQL 1.1 Protocol §2.1.6, RFC 9110 §12.5.1).

Each query form has its own list of formats, in the server's order of
preference; the first is the default. The client's ``Accept`` header picks
among them with q-values and wildcards (werkzeug's ``MIMEAccept``), and a
``format=`` parameter overrides it for browsers and for tools that cannot set
headers. Nothing acceptable means 406 with the list of what is on offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MIMEAccept

from .errors import ProtocolError


@dataclass(frozen=True)
class Format:
    """One serialisation the service can produce."""

    key: str
    """Short name, also the value of ``format=``; the worker maps it to a pyoxigraph format."""
    media_type: str
    """The media type sent in ``Content-Type``."""
    charset: bool = False
    """Whether ``Content-Type`` carries ``; charset=utf-8`` (the ``text/*`` types)."""
    aliases: tuple[str, ...] = ()
    """Other media types a client may ask for to get this format."""
    keywords: tuple[str, ...] = ()
    """Other values of ``format=`` that select it."""

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


# SPARQL 1.1 Query Results JSON / XML / CSV and TSV formats.
JSON = Format("json", "application/sparql-results+json", aliases=("application/json",))
XML = Format("xml", "application/sparql-results+xml", aliases=("application/xml", "text/xml"))
CSV = Format("csv", "text/csv", charset=True)
TSV = Format("tsv", "text/tab-separated-values", charset=True)
# RDF 1.1 graph serialisations.
TURTLE = Format("turtle", "text/turtle", charset=True, aliases=("application/x-turtle",), keywords=("ttl",))
JSONLD = Format("jsonld", "application/ld+json", aliases=("application/json",), keywords=("json-ld", "json"))
NTRIPLES = Format("ntriples", "application/n-triples", keywords=("nt", "n-triples"))
RDFXML = Format(
    "rdfxml", "application/rdf+xml", aliases=("application/xml", "text/xml"), keywords=("rdf", "rdf+xml", "xml")
)
HTML = Format("html", "text/html", charset=True, aliases=("application/xhtml+xml",))

#: Formats for SELECT solutions, ASK booleans and CONSTRUCT/DESCRIBE graphs (Protocol §2.1.6).
SOLUTIONS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
BOOLEAN: tuple[Format, ...] = (JSON, XML, CSV, TSV)
GRAPH: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES, RDFXML)
#: Without a query: the service description as RDF, or the query page for browsers.
DESCRIPTION: tuple[Format, ...] = (*GRAPH, HTML)

#: Which formats each query form (as the lexical screen reports it) can be answered in.
BY_FORM: dict[str, tuple[Format, ...]] = {
    "SELECT": SOLUTIONS,
    "ASK": BOOLEAN,
    "CONSTRUCT": GRAPH,
    "DESCRIBE": GRAPH,
}
#: The kinds of result pyoxigraph returns, keyed as the worker reports them.
KINDS: dict[str, tuple[Format, ...]] = {"solutions": SOLUTIONS, "boolean": BOOLEAN, "graph": GRAPH}
KIND_OF_FORM = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
BY_KEY: dict[str, Format] = {f.key: f for f in (*SOLUTIONS, *GRAPH, HTML)}


class NotAcceptable(ProtocolError):
    """406: none of the offered formats is acceptable to the client (RFC 9110 §15.5.7)."""

    def __init__(self, offered: Sequence[Format], asked: str) -> None:
        types = [f.media_type for f in offered]
        keys = [f.key for f in offered]
        super().__init__(
            406,
            f"no acceptable format for {asked}; offered: {', '.join(types)} (or format= {', '.join(keys)})",
            offered=types,
        )


def _by_format_param(value: str, offered: Sequence[Format]) -> Format | None:
    wanted = value.strip().lower()
    for fmt in offered:
        if wanted in (fmt.key, *fmt.keywords, fmt.media_type, *fmt.aliases):
            return fmt
    return None


def negotiate(accept: MIMEAccept, offered: Sequence[Format], format_param: Sequence[str] = ()) -> Format:
    """Choose the format to answer in, or raise :class:`NotAcceptable`.

    ``format=`` wins over ``Accept`` (the first of its values that names an
    offered format); an absent or empty ``Accept`` means the first (default)
    offered format. Among formats the client values equally, the more
    specific match and then the server's order decide.
    """
    if format_param:
        for value in format_param:
            chosen = _by_format_param(value, offered)
            if chosen is not None:
                return chosen
        raise NotAcceptable(offered, "format=" + ",".join(format_param))
    if not accept:
        return offered[0]
    # Canonical media types before aliases, so that a wildcard (text/*) picks text/csv, not text/xml.
    candidates = [(fmt.media_type, fmt) for fmt in offered]
    candidates += [(alias, fmt) for fmt in offered for alias in fmt.aliases]
    best = accept.best_match([media for media, _ in candidates])
    if best is None:
        raise NotAcceptable(offered, f"Accept: {accept.to_header()}")
    return next(fmt for media, fmt in candidates if media == best)


def negotiate_kinds(accept: MIMEAccept, format_param: Sequence[str], form: str | None) -> dict[str, str | None]:
    """The format key to use for each kind of result this query may produce.

    With the query form known from the lexical screen, only its kind is
    negotiated and a mismatch is a 406 before the query runs. Otherwise every
    kind is negotiated and the worker uses the one that matches the result
    (``None`` marks a kind for which nothing was acceptable).
    """
    if form is not None:
        kind = KIND_OF_FORM[form]
        return {kind: negotiate(accept, KINDS[kind], format_param).key}
    chosen: dict[str, str | None] = {}
    for kind, offered in KINDS.items():
        try:
            chosen[kind] = negotiate(accept, offered, format_param).key
        except NotAcceptable:
            chosen[kind] = None
    return chosen
