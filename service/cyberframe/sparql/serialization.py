"""Writing query results with pyoxigraph's serialisers, capped at a number of rows.

SPARQL 1.1 Query Results TSV (§3 of the CSV/TSV note) and N-Triples (RDF 1.1
N-Triples §2) write exactly one line per solution or triple - line breaks in
literals are escaped - so a result is first written in one of those through a
buffer that stops the store as soon as one line more than the cap has
arrived (pyoxigraph evaluates lazily, so a capped query also *runs* no
further). The capped lines are then parsed back and written in the format the
client asked for. Truncation is reported to the caller, never hidden.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
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


class _Full(Exception):
    """Raised inside pyoxigraph's write loop to stop it at the cap."""


class _LineCappedBuffer(io.RawIOBase):
    """A write-only buffer that accepts up to *limit* complete lines."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit
        self.lines = 0

    def writable(self) -> bool:
        return True

    def write(self, chunk: bytes) -> int:  # type: ignore[override]
        self.data += chunk
        self.lines += chunk.count(b"\n")
        if self.lines > self.limit:
            raise _Full
        return len(chunk)

    def first_lines(self) -> bytes:
        """The first *limit* complete lines."""
        end = -1
        for _ in range(self.limit):
            end = self.data.find(b"\n", end + 1)
            if end < 0:
                return bytes(self.data)
        return bytes(self.data[: end + 1])


@dataclass(frozen=True)
class Serialized:
    """A serialised result: its bytes, how many rows or triples it holds, and whether it was capped."""

    body: bytes
    count: int
    truncated: bool


def _capped(
    result: ox.QuerySolutions | ox.QueryTriples, fmt: ox.QueryResultsFormat | ox.RdfFormat, limit: int
) -> tuple[bytes, bool]:
    buffer = _LineCappedBuffer(limit)
    try:
        result.serialize(buffer, format=fmt)  # type: ignore[arg-type]  # pyoxigraph writes to any raw binary IO
    except _Full:
        return buffer.first_lines(), True
    return bytes(buffer.data), False


def write_solutions(solutions: ox.QuerySolutions, key: str, max_rows: int) -> Serialized:
    """SELECT results (SPARQL 1.1 Query Results JSON/XML/CSV/TSV), at most *max_rows* solutions."""
    tsv, truncated = _capped(solutions, ox.QueryResultsFormat.TSV, max_rows + 1)  # + the header line
    count = max(tsv.count(b"\n") - 1, 0)
    if key == "tsv":
        return Serialized(tsv, count, truncated)
    reparsed = ox.parse_query_results(tsv, ox.QueryResultsFormat.TSV)
    assert isinstance(reparsed, ox.QuerySolutions)
    return Serialized(written(reparsed.serialize(format=RESULT_FORMATS[key])), count, truncated)


def write_boolean(answer: ox.QueryBoolean, key: str) -> Serialized:
    """An ASK result (SPARQL 1.1 Query Results JSON §3.2.2, XML §2.3.2)."""
    return Serialized(written(answer.serialize(format=RESULT_FORMATS[key])), 1, False)


def write_triples(triples: ox.QueryTriples | Iterable[ox.Triple], key: str, max_triples: int) -> Serialized:
    """CONSTRUCT/DESCRIBE results in Turtle, JSON-LD, N-Triples or RDF/XML, at most *max_triples*."""
    if isinstance(triples, ox.QueryTriples):
        ntriples, truncated = _capped(triples, ox.RdfFormat.N_TRIPLES, max_triples)
    else:
        buffer = _LineCappedBuffer(max_triples)
        try:
            ox.serialize(triples, buffer, ox.RdfFormat.N_TRIPLES)  # type: ignore[arg-type]  # any raw binary IO
            ntriples, truncated = bytes(buffer.data), False
        except _Full:
            ntriples, truncated = buffer.first_lines(), True
    count = ntriples.count(b"\n")
    return Serialized(graph_bytes(ntriples, key), count, truncated)


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
