"""Read RDF from untrusted sources without surprises (docs/validation.md, "Input files").

One entry point per kind of source, both returning an :class:`RdfDocument`:
:func:`read_rdf_file` for a file (the CLI) and :func:`parse_rdf` for bytes
already in memory (an HTTP request body). Whatever goes wrong is raised as an
:class:`RdfInputError` that names the source, the line and column where the
parser gives them, and the parser's reason.

Guarantees:

- A size limit is checked before anything is parsed (``os.fstat`` for files,
  the length for bytes), and a file is never read beyond it.
- RDF/XML is screened with defusedxml first: a document with a DOCTYPE, an
  entity declaration or an external reference is refused before any RDF/XML
  parser sees it, so no entity is expanded (no "billion laughs") and no
  external entity is fetched (no XXE).
- JSON-LD is scanned for remote contexts (``"@context"`` given as an IRI, or
  ``"@import"``) and refused if it has one; the JSON-LD parser, pyoxigraph's,
  has no document loader either, so nothing can be fetched.
- Parsing is strict (pyoxigraph): a malformed document is an error, never a
  partial graph.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar

import pyoxigraph as ox

#: Default upper bound on the size of one input document, in bytes (64 MiB).
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

#: Canonical format names and the pyoxigraph format each one parses with.
FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "n3": ox.RdfFormat.N3,
}

#: Other names (short names, rdflib's names, media types) for the same formats.
ALIASES: dict[str, str] = {
    "ttl": "turtle",
    "text/turtle": "turtle",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "application/n-triples": "ntriples",
    "nq": "nquads",
    "n-quads": "nquads",
    "application/n-quads": "nquads",
    "application/trig": "trig",
    "json-ld": "jsonld",
    "application/ld+json": "jsonld",
    "xml": "rdfxml",
    "rdf/xml": "rdfxml",
    "application/rdf+xml": "rdfxml",
    "text/n3": "n3",
}

#: File extensions (lower case, with the dot) and the format they imply.
EXTENSIONS: dict[str, str] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "ntriples",
    ".ntriples": "ntriples",
    ".n3": "n3",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
}

# pyoxigraph's messages start with where the error is; the position itself is
# also on the exception, so only the reason is kept.
_POSITION_PREFIX = re.compile(r"^Parser error (at|between) [^:]*:\s*")


class RdfInputError(ValueError):
    """An RDF source that cannot be accepted: unreadable, too large, forbidden or malformed.

    ``kind`` is one of ``"format"`` (unknown format), ``"unreadable"``,
    ``"too-large"``, ``"forbidden"`` (DOCTYPE, entities, remote contexts) and
    ``"syntax"``; :attr:`status` is the HTTP status a service should answer.
    """

    STATUS: ClassVar[dict[str, int]] = {"format": 415, "too-large": 413}

    def __init__(
        self,
        source: str,
        reason: str,
        *,
        kind: str = "syntax",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = source
        self.reason = reason
        self.kind = kind
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.reason}"

    @property
    def status(self) -> int:
        return self.STATUS.get(self.kind, 400)


@dataclass(frozen=True)
class RdfDocument:
    """The statements of one parsed document, with where they came from."""

    source: str
    format: str
    quads: tuple[ox.Quad, ...]

    def __len__(self) -> int:
        return len(self.quads)

    def triples(self) -> Iterator[ox.Triple]:
        """Every statement as a triple: named graphs are merged into one graph."""
        for quad in self.quads:
            yield ox.Triple(quad.subject, quad.predicate, quad.object)


def format_name(name: str) -> str:
    """The canonical name of a format given by name, alias or media type.

    >>> format_name("text/turtle")
    'turtle'
    """
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in FORMATS:
        known = ", ".join(FORMATS)
        raise RdfInputError("--format-in", f"unknown RDF format {name!r} (known: {known})", kind="format")
    return key


def guess_format(filename: str) -> str:
    """The format a file name's extension implies (``.ttl`` -> ``turtle``)."""
    extension = Path(filename).suffix.lower()
    if extension not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise RdfInputError(
            filename,
            f"cannot tell the RDF format from the extension {extension or '(none)'!r} (unknown RDF format); "
            f"use one of {known} or give the format explicitly",
            kind="format",
        )
    return EXTENSIONS[extension]


def read_rdf_file(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    base_iri: str | None = None,
) -> RdfDocument:
    """Read and parse one RDF file; *format* defaults to what the extension implies.

    ``-`` reads standard input, and then *format* is required.
    """
    name = os.fspath(path)
    if name == "-":
        if format is None:
            raise RdfInputError("<stdin>", "give the format of standard input explicitly", kind="format")
        import sys

        data = _read_limited(sys.stdin.buffer, "<stdin>", max_bytes)
        return parse_rdf(data, format=format, source="<stdin>", base_iri=base_iri, max_bytes=max_bytes)
    fmt = format_name(format) if format else guess_format(name)
    file = Path(name)
    try:
        with file.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_large(name, size, max_bytes)
            data = _read_limited(handle, name, max_bytes)
    except OSError as exc:
        raise RdfInputError(name, exc.strerror or str(exc), kind="unreadable") from exc
    base = base_iri if base_iri is not None else file.resolve().as_uri()
    return parse_rdf(data, format=fmt, source=name, base_iri=base, max_bytes=max_bytes)


def parse_rdf(
    data: bytes,
    *,
    format: str,
    source: str = "<data>",
    base_iri: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RdfDocument:
    """Parse *data* in *format*, after the screening the format calls for (see the module)."""
    fmt = format_name(format)
    if len(data) > max_bytes:
        raise _too_large(source, len(data), max_bytes)
    if fmt == "rdfxml":
        _screen_xml(data, source)
    elif fmt == "jsonld":
        _screen_jsonld(data, source)
    try:
        quads = tuple(ox.parse(data, format=FORMATS[fmt], base_iri=base_iri))
    except SyntaxError as exc:
        reason = _POSITION_PREFIX.sub("", exc.msg or str(exc))
        raise RdfInputError(source, reason, line=exc.lineno, column=exc.offset) from exc
    except ValueError as exc:  # e.g. an invalid base IRI
        raise RdfInputError(source, str(exc)) from exc
    return RdfDocument(source, fmt, quads)


def _too_large(source: str, size: int, limit: int) -> RdfInputError:
    return RdfInputError(source, f"{size} bytes is more than the limit of {limit} bytes", kind="too-large")


def _read_limited(handle: IO[bytes], source: str, max_bytes: int) -> bytes:
    """Read at most *max_bytes*; one byte more means the source is too large."""
    data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RdfInputError(source, f"more than the limit of {max_bytes} bytes", kind="too-large")
    return data


def _screen_xml(data: bytes, source: str) -> None:
    """Refuse DOCTYPE, entities and external references; report malformed XML with its position."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise RdfInputError(
            source,
            f"RDF/XML with a document type declaration or entities is refused ({type(exc).__name__}: {exc})",
            kind="forbidden",
        ) from exc
    except ParseError as exc:
        line, column = exc.position
        raise RdfInputError(source, f"malformed XML: {exc.msg}", line=line, column=column + 1) from exc


def _screen_jsonld(data: bytes, source: str) -> None:
    """Refuse JSON-LD that would load a remote context; report malformed JSON with its position."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise RdfInputError(source, f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    except json.JSONDecodeError as exc:
        raise RdfInputError(source, f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from exc
    except RecursionError:
        raise RdfInputError(source, "JSON nested too deeply to be read") from None
    try:
        remote = _remote_context(document)
    except RecursionError:
        raise RdfInputError(source, "JSON-LD nested too deeply to be checked") from None
    if remote is not None:
        raise RdfInputError(
            source,
            f"JSON-LD with a remote context ({remote}) is refused: contexts must be inline, "
            "cyberframe never fetches them",
            kind="forbidden",
        )


def _remote_context(node: Any) -> str | None:
    """The first remote context reference in a JSON-LD document, or None (JSON-LD 1.1 §3.1, §4.1.10)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@context":
                    for context in value if isinstance(value, list) else [value]:
                        if isinstance(context, str):
                            return context
                if key == "@import":
                    return str(value)
                stack.append(value)
    return None


def written(data: bytes | None) -> bytes:
    """What a pyoxigraph serialiser returned, as bytes: it returns None only when it was given an output."""
    if data is None:
        raise RuntimeError("pyoxigraph returned no bytes")
    return data
