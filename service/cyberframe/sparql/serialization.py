"""Writing query results with pyoxigraph's serialisers, capped at a number of rows.

SPARQL 1.1 Query Results TSV (§3 of the CSV/TSV note) and N-Triples (RDF 1.1
N-Triples §2) write exactly one line per solution or triple - line breaks in
literals are escaped - so a result is first written in one of those through a
buffer that stops the store as soon as one line more than the cap has
arrived (pyoxigraph evaluates lazily, so a capped query also *runs* no
further). The capped lines are then parsed back and written in the format the
client asked for. Truncation is reported to the caller, never hidden.

Answers are capped in bytes as well (setting ``max_answer_bytes``): the buffer
also stops once it holds more than the byte cap, and keeps the complete lines
within it; if the format the client asked for takes more bytes than TSV or
N-Triples (JSON, XML, JSON-LD), lines are dropped from the end until the
written answer fits. So no answer is ever larger than the cap, however long
the strings a query makes (``CONCAT`` doubling a string per row).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from ..namespaces import PREFIXES
from ..rdfio import written

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
#: Prefixes for Turtle and RDF/XML. ``cfid:`` is left out: its local names
#: (``subcategory/ID.AM-1``) would need a backslash before every slash.
DOCUMENT_PREFIXES = {prefix: iri for prefix, iri in sorted(PREFIXES.items()) if prefix != "cfid"}


#: The byte cap when the caller gives none (the default of the ``max_answer_bytes`` setting).
DEFAULT_MAX_BYTES = 64 << 20
#: Rounds of dropping lines to fit a written answer under the cap (each keeps a proportional share).
_FIT_ROUNDS = 8


class _Full(Exception):
    """Raised inside pyoxigraph's write loop to stop it at the cap."""


class _LineCappedBuffer(io.RawIOBase):
    """A write-only buffer that accepts up to *limit* complete lines and about *max_bytes* bytes."""

    def __init__(self, limit: int, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.data = bytearray()
        self.limit = limit
        self.max_bytes = max_bytes
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit or len(self.data) > self.max_bytes:
            raise _Full
        return len(chunk)

    def first_lines(self) -> bytes:
        """The first *limit* complete lines, as many of them as fit in *max_bytes*."""
        within = min(len(self.data), self.max_bytes)
        end = -1
        for _ in range(self.limit):
            found = self.data.find(b"\n", end + 1, within)
            if found < 0:
                break
            end = found
        return bytes(self.data[: end + 1])


@dataclass(frozen=True)
class Serialized:
    """A serialised result: its bytes, how many rows or triples it holds, and whether it was capped."""

    body: bytes
    count: int
    truncated: bool


def _capped(
    result: ox.QuerySolutions | ox.QueryTriples,
    fmt: ox.QueryResultsFormat | ox.RdfFormat,
    limit: int,
    max_bytes: int,
) -> tuple[bytes, bool]:
    buffer = _LineCappedBuffer(limit, max_bytes)
    try:
        result.serialize(buffer, format=fmt)  # type: ignore[arg-type]  # pyoxigraph writes to any raw binary IO
    except _Full:
        return buffer.first_lines(), True
    return bytes(buffer.data), False


def _fit(head: bytes, lines: bytes, render: Callable[[bytes], bytes], max_bytes: int) -> tuple[bytes, int, bool]:
    """*render* of *head* + *lines*, dropping lines from the end until it takes at most *max_bytes*.

    Returns the written answer, how many lines it holds and whether any were dropped.
    """
    parts = lines.split(b"\n")  # one solution or triple per line: line breaks in terms are escaped
    tail = parts.pop()
    rows = [part + b"\n" for part in parts] + ([tail] if tail else [])
    kept = len(rows)
    body = render(head + lines)
    rounds = 0
    while len(body) > max_bytes and kept > 0:
        rounds += 1
        share = max_bytes / len(body) * 0.9
        kept = 0 if rounds >= _FIT_ROUNDS else min(kept - 1, int(kept * share))
        body = render(head + b"".join(rows[:kept]))
    return body, kept, kept < len(rows)


def write_solutions(
    solutions: ox.QuerySolutions, key: str, max_rows: int, max_bytes: int = DEFAULT_MAX_BYTES
) -> Serialized:
    """SELECT results (SPARQL 1.1 Query Results JSON/XML/CSV/TSV), at most *max_rows* solutions and *max_bytes*."""
    tsv, truncated = _capped(solutions, ox.QueryResultsFormat.TSV, max_rows + 1, max_bytes)  # + the header line
    head, _, lines = tsv.partition(b"\n")
    head += b"\n"

    def render(text: bytes) -> bytes:
        if key == "tsv":
            return text
        reparsed = ox.parse_query_results(text, ox.QueryResultsFormat.TSV)
        assert isinstance(reparsed, ox.QuerySolutions)
        return written(reparsed.serialize(format=RESULT_FORMATS[key]))

    body, count, cut = _fit(head, lines, render, max_bytes)
    return Serialized(body, count, truncated or cut)


def write_boolean(answer: ox.QueryBoolean, key: str) -> Serialized:
    """An ASK result (SPARQL 1.1 Query Results JSON §3.2.2, XML §2.3.2)."""
    return Serialized(written(answer.serialize(format=RESULT_FORMATS[key])), 1, False)


def write_triples(
    triples: ox.QueryTriples | Iterable[ox.Triple], key: str, max_triples: int, max_bytes: int = DEFAULT_MAX_BYTES
) -> Serialized:
    """CONSTRUCT/DESCRIBE results in Turtle, JSON-LD, N-Triples or RDF/XML, at most *max_triples* and *max_bytes*."""
    if isinstance(triples, ox.QueryTriples):
        ntriples, truncated = _capped(triples, ox.RdfFormat.N_TRIPLES, max_triples, max_bytes)
    else:
        buffer = _LineCappedBuffer(max_triples, max_bytes)
        try:
            ox.serialize(triples, buffer, ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]  # any raw binary IO
            ntriples, truncated = bytes(buffer.data), False
        except _Full:
            ntriples, truncated = buffer.first_lines(), True
    body, count, cut = _fit(b"", ntriples, lambda text: graph_bytes(text, key), max_bytes)
    return Serialized(body, count, truncated or cut)


def graph_bytes(ntriples: bytes, key: str) -> bytes:
    """Re-write N-Triples in the format *key* (``turtle``, ``jsonld``, ``ntriples``, ``rdfxml``)."""
    if key == "ntriples":
        return ntriples
    triples = ox.parse(ntriples, ox.RdfFormat.N_TRIPLES)
    if key == "jsonld":
        # Compacted with the one published context (GET /context.jsonld), embedded; pyld never fetches here.
        from ..exports.jsonld import serialize

        return serialize(triples)
    return written(ox.serialize(triples, format=GRAPH_FORMATS[key], prefixes=DOCUMENT_PREFIXES))
