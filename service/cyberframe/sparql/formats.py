"""The serialisations the service answers in, per kind of result (SPARQL 1.1 Protocol §2.1.6).

Each query form has its own list of formats, in the server's order of
preference; the first is the default. Choosing among them for a request is
the web layer's job (:mod:`cyberframe.web.negotiation`); a worker only needs
the chosen :attr:`Format.key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import ProtocolError


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
    extension: str = ""
    """The file name extension of a download in this format, without the dot (``ttl``, ``csv``)."""

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8" if self.charset else self.media_type


# SPARQL 1.1 Query Results JSON / XML / CSV and TSV formats.
JSON = Format("json", "application/sparql-results+json", aliases=("application/json",), extension="json")
XML = Format("xml", "application/sparql-results+xml", aliases=("application/xml", "text/xml"), extension="xml")
CSV = Format("csv", "text/csv", charset=True, extension="csv")
TSV = Format("tsv", "text/tab-separated-values", charset=True, extension="tsv")
# RDF 1.1 graph serialisations.
TURTLE = Format(
    "turtle", "text/turtle", charset=True, aliases=("application/x-turtle",), keywords=("ttl",), extension="ttl"
)
JSONLD = Format(
    "jsonld", "application/ld+json", aliases=("application/json",), keywords=("json-ld", "json"), extension="jsonld"
)
NTRIPLES = Format("ntriples", "application/n-triples", keywords=("nt", "n-triples"), extension="nt")
RDFXML = Format(
    "rdfxml",
    "application/rdf+xml",
    aliases=("application/xml", "text/xml"),
    keywords=("rdf", "rdf+xml", "xml"),
    extension="rdf",
)
HTML = Format("html", "text/html", charset=True, aliases=("application/xhtml+xml",), extension="html")
#: A plain JSON document (catalogues, reports, status), not SPARQL results.
JSON_DOCUMENT = Format("json", "application/json", extension="json")

#: Formats for SELECT solutions, ASK booleans and CONSTRUCT/DESCRIBE graphs (Protocol §2.1.6).
SOLUTIONS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
BOOLEAN: tuple[Format, ...] = (JSON, XML, CSV, TSV)
GRAPH: tuple[Format, ...] = (TURTLE, JSONLD, NTRIPLES, RDFXML)

#: The kinds of result pyoxigraph returns, keyed as the worker reports them.
KINDS: dict[str, tuple[Format, ...]] = {"solutions": SOLUTIONS, "boolean": BOOLEAN, "graph": GRAPH}
#: Which kind of result each query form (as admission reports it) gives.
KIND_OF_FORM = {"SELECT": "solutions", "ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
#: Every format by media type (what a download's Content-Type says; the first format of a type wins).
BY_MEDIA_TYPE: dict[str, Format] = {}
for _fmt in (*SOLUTIONS, *GRAPH, HTML, JSON_DOCUMENT):
    BY_MEDIA_TYPE.setdefault(_fmt.media_type, _fmt)
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
