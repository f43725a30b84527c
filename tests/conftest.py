"""Shared fixtures: the reference facts (tests/reference), the built knowledge graph, the session's server.

Two lanes: ``pytest -m "not slow"`` is the fast lane of the edit-test loop,
``pytest`` runs everything (CI). A test is marked ``slow`` when it starts a
server, a browser, a wheel build or a CLI subprocess, or takes more than a few
seconds alone. The first four are enforced here: :func:`require_slow` fails a
test that is not marked slow and asks for the session server (or any other
helper that calls it), and :func:`_fast_lane_guard` fails one that starts a
CLI subprocess, a browser, a wheel build or an HTTP listener by other means.
"""

from __future__ import annotations

import csv
import os
import re
import socketserver
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

#: Property and fuzz tests draw the same examples on every run (a CI verdict is reproducible);
#: ``pytest --hypothesis-profile=explore`` draws fresh random ones each run, for hunting new failures.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

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


# --- the fast lane -------------------------------------------------------------------------------

FAST_LANE = 'The fast lane (pytest -m "not slow") starts no server, browser, wheel build or CLI subprocess'


def require_slow(request: pytest.FixtureRequest, what: str) -> None:
    """Fail the requesting test, before anything starts, unless it is marked slow.

    *what* says what the test was about to do ("starts a `cyberframe serve` process").
    From a function-scoped fixture the test itself (or its class or module) must carry
    the mark; from a module-scoped one, the module (the fixture outlives any one test).
    """
    node = request.node
    if node.get_closest_marker("slow") is not None:
        return
    if isinstance(node, pytest.Item):
        fix = "mark it @pytest.mark.slow (or its module: pytestmark = pytest.mark.slow)"
    else:
        fix = f"the fixture is {request.scope}-scoped, so mark the module: pytestmark = pytest.mark.slow"
    pytest.fail(f"{node.nodeid} {what} but is not marked slow: {fix}. {FAST_LANE}.", pytrace=False)


_WHEEL_BUILD = re.compile(r"\bpip\b.*\bwheel\b|-m build\b|\bhatchling\b.*\bbuild\b")


def _forbidden_process(args) -> str | None:
    """What a subprocess with these *args* would do that the fast lane forbids, or None."""
    words = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
    words = [os.fsdecode(word) for word in words]
    text = " ".join(words)
    program = Path(words[0]).name if words else ""
    if program == "cyberframe" or "cyberframe.cli" in text:
        return "runs the cyberframe CLI in a subprocess"
    if program.startswith(("chromium", "chrome", "google-chrome")) or "playwright" in text:
        return "starts a browser"
    if _WHEEL_BUILD.search(text):
        return "builds a wheel"
    return None


@pytest.fixture(autouse=True)
def _fast_lane_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a test not marked slow: no CLI subprocess, browser, wheel build, waitress or socketserver listener.

    Other subprocesses stay allowed: the query workers of an in-process app
    (``app.test_client()``), ``python -c`` probes. Plain sockets stay allowed
    too: the tests that prove nothing connects out listen on one.
    """
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(what: str) -> None:
        require_slow(request, what)

    popen_init = subprocess.Popen.__init__

    def guarded_popen_init(self, args, *rest, **options):
        what = _forbidden_process(args)
        if what:
            refuse(what)
        popen_init(self, args, *rest, **options)

    def no_listener(*args, **kwargs):
        refuse("starts an HTTP server")

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded_popen_init)
    monkeypatch.setattr(socketserver.TCPServer, "server_activate", no_listener)
    import waitress

    monkeypatch.setattr(waitress, "create_server", no_listener)
    monkeypatch.setattr(waitress, "serve", no_listener)


#: Where the session's server runs its queries: the embedded store, or a store it is given with ``--store``.
BACKENDS = ("embedded", "oxigraph", "virtuoso")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked ``every_store`` run each server test once per backend (the HTTP API suite)."""
    if "server" in metafunc.fixturenames and metafunc.definition.get_closest_marker("every_store"):
        metafunc.parametrize("backend", BACKENDS, scope="session")


@pytest.fixture
def backend() -> str:
    return "embedded"


@pytest.fixture
def server(request: pytest.FixtureRequest, backend: str):
    """The session's real ``cyberframe serve`` (tests/sparql_support.py), started on first use: slow tests only.

    In a module marked ``every_store`` it is one server per backend: the embedded store, or
    ``serve --store`` in front of a store started for the session.
    """
    from sparql_support import shared_server, store_server

    return shared_server(request) if backend == "embedded" else store_server(request, backend)


@pytest.fixture
def oxigraph_store(request: pytest.FixtureRequest):
    """The session's Oxigraph server on 127.0.0.1 (tests/store_support.py), started on first use: slow tests only."""
    from store_support import shared_store

    return shared_store(request, "oxigraph")


@pytest.fixture
def virtuoso_store(request: pytest.FixtureRequest):
    """The session's Virtuoso on 127.0.0.1 (tests/store_support.py), started on first use; skips without Virtuoso."""
    from store_support import shared_store

    return shared_store(request, "virtuoso")
