"""Shared fixtures: the reference facts (tests/reference) and the built knowledge graph."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "reference"


def pytest_configure(config: pytest.Config) -> None:
    """Keep snapshots out of the user's cache: one folder for the suite and the servers it starts."""
    os.environ.setdefault("CYBERFRAME_CACHE_DIR", str(ROOT / ".pytest_cache" / "cyberframe-snapshots"))


def read_reference(name: str) -> list[dict[str, str]]:
    """Rows of one vetted reference CSV (tests/reference/NAME)."""
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def split(cell: str) -> set[str]:
    """A multi-valued reference cell (';'-separated) as a set."""
    return {value for value in cell.split(";") if value}


@pytest.fixture(scope="session")
def reference():
    return read_reference


@pytest.fixture(scope="session")
def kg():
    """The shipped knowledge graph, built once per cache folder."""
    from cyberframe.knowledge import open_knowledge_graph

    return open_knowledge_graph()


@pytest.fixture(scope="session")
def select(kg):
    """Run SELECT text over the union of graphs; rows as tuples of plain values."""

    def run(sparql: str, **options) -> list[tuple]:
        return [tuple(map(plain, row)) for row in kg.query(PREFIXES + sparql, **options)]

    return run


XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"


def plain(term):
    """A pyoxigraph term as a Python value: IRIs and strings as str, xsd:integer as int, unbound as None."""
    if term is None:
        return None
    datatype = getattr(term, "datatype", None)
    if datatype is not None and datatype.value == XSD_INTEGER:
        return int(term.value)
    return term.value


PREFIXES = """
PREFIX cf: <https://w3id.org/cyberframe/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""


@pytest.fixture
def env_cache(tmp_path: Path) -> Iterator[Path]:
    """A private, empty snapshot folder for one test."""
    old = os.environ.get("CYBERFRAME_CACHE_DIR")
    os.environ["CYBERFRAME_CACHE_DIR"] = str(tmp_path / "cache")
    yield tmp_path / "cache"
    if old is None:
        os.environ.pop("CYBERFRAME_CACHE_DIR", None)
    else:
        os.environ["CYBERFRAME_CACHE_DIR"] = old
