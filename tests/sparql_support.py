"""A real ``cyberframe serve`` for the SPARQL tests: started once per session, stopped at its end.

The server listens on a free 127.0.0.1 port (``--port 0``; the port is read
from its log), serves the three W3C protocol test graphs as extra named graphs,
and has a short query time limit and a small row cap so that the limit tests
run fast. Tests get it through the ``server`` fixture (tests/conftest.py),
which calls :func:`shared_server`; every network call in the SPARQL tests goes
to 127.0.0.1 and carries a timeout.

Starting a server makes a test slow: :func:`start_server` and
:func:`shared_server` fail a test that is not marked ``slow``. Under
pytest-xdist each worker starts its own session server (its own port and log).
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import require_slow

ROOT = Path(__file__).resolve().parents[1]
W3C = Path(__file__).resolve().parent / "w3c"
W3C_GRAPHS = {f"http://kasei.us/2009/09/sparql/data/data{n}.rdf": W3C / f"data{n}.nt" for n in (1, 2, 3)}
GRAPH = "https://w3id.org/cyberframe/graph/"
TIMEOUT = 2.0  # the session server's per-query time limit, seconds
MAX_ROWS = 5000  # its row cap
STORE_TIMEOUT = 15.0  # the time limit of the session servers in front of a store server
START_TIMEOUT = 90.0  # a cold snapshot build is part of the first start
HTTP_TIMEOUT = 15.0

PREFIXES = """PREFIX cf: <https://w3id.org/cyberframe/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

_LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/sparql")


def sparql_with(template: str, **iris: str) -> str:
    """Put IRIs into a query template (``$name`` placeholders), each written as an RDF term by pyoxigraph.

    Not string formatting of raw values: an IRI that is not one raises instead of changing the query.
    """
    return string.Template(template).substitute({name: str(ox.NamedNode(iri)) for name, iri in iris.items()})


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass
class Server:
    """A running ``cyberframe serve`` subprocess."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.base}/sparql"

    def request(
        self,
        method: str,
        path: str = "/sparql",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = HTTP_TIMEOUT,
    ) -> Response:
        """One raw HTTP/1.1 request (http.client adds no Content-Type of its own)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def get(self, params: dict | list | None = None, path: str = "/sparql", **kwargs) -> Response:
        query = "?" + urllib.parse.urlencode(params or {}, doseq=True) if params else ""
        return self.request("GET", path + query, **kwargs)

    def query(self, sparql: str, accept: str = "application/sparql-results+json", **params) -> Response:
        """GET ``/sparql?query=...`` with an Accept header."""
        return self.get({"query": sparql, **params}, headers={"Accept": accept})

    def select(self, sparql: str, **params) -> list[dict[str, str]]:
        """SELECT in JSON; rows as {variable: value}. Fails on anything but 200."""
        response = self.query(sparql, **params)
        assert response.status == 200, response.text
        return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]

    def settle(self, timeout: float = 60.0) -> None:
        """Wait until every query worker is alive and idle again (after tests that keep them busy or kill them)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = self.request("GET", "/health").json()["workers"]
            if not workers["started"] or workers["idle"] == workers["alive"] == workers["size"]:
                return
            time.sleep(0.1)
        raise AssertionError(f"the query workers did not settle within {timeout} s: {workers}")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it has not stopped within *timeout*; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_server(
    request: pytest.FixtureRequest, args: list[str], log: Path, env: dict[str, str] | None = None
) -> Server:
    """Start ``cyberframe serve --port 0 ARGS`` and wait until ``/health`` says it is ready (slow tests only)."""
    require_slow(request, "starts a `cyberframe serve` process")
    command = [sys.executable, "-m", "cyberframe.cli", "serve", "--host", "127.0.0.1", "--port", "0", *args]
    handle = open(log, "w", encoding="utf-8")  # noqa: SIM115 - the server writes to it for its whole life
    process = subprocess.Popen(
        command,
        stdout=handle,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        preexec_fn=_die_with_parent,  # a killed test run leaves no server behind
    )
    handle.close()
    deadline = time.monotonic() + START_TIMEOUT
    port = None
    while port is None:
        if process.poll() is not None:
            raise RuntimeError(f"cyberframe serve exited with {process.returncode}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"cyberframe serve did not start within {START_TIMEOUT} s:\n{log.read_text()}")
        match = _LISTENING.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            port = int(match.group(1))
        else:
            time.sleep(0.05)
    server = Server(process, port, log)
    while True:
        try:
            if server.request("GET", "/health", timeout=2).status == 200:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"cyberframe serve never became ready:\n{log.read_text()}")
        time.sleep(0.05)


_servers: dict[str, Server] = {}


def shared_server(request: pytest.FixtureRequest) -> Server:
    """The session's server, started on first use and stopped when the session ends (slow tests only)."""
    require_slow(request, "uses the session's `cyberframe serve`")
    if "main" not in _servers:
        log_dir = request.config.rootpath / ".pytest_cache" / "cyberframe-serve"
        log_dir.mkdir(parents=True, exist_ok=True)
        # one HTTP process: /health figures and single flight are per process, and these tests count them
        args = ["--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "2", "--http-workers", "1"]
        for iri, path in W3C_GRAPHS.items():
            args += ["--graph", f"{iri}={path}"]
        # one log per xdist worker: the port is read from it, so two servers must not share one
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        server = start_server(request, args, log_dir / f"{worker}.log")
        _servers["main"] = server
        request.config.add_cleanup(server.stop)
    return _servers["main"]


def store_server(request: pytest.FixtureRequest, backend: str) -> Server:
    """A session server like :func:`shared_server` whose queries run on a store server (``serve --store``).

    The store is the session's (tests/store_support.py: ``oxigraph`` or ``virtuoso``), given the dataset and
    the W3C graphs by ``cyberframe load --graph``; the server serves the same W3C graphs with ``--graph``.
    """
    require_slow(request, f"uses the session's `cyberframe serve --store` on {backend}")
    if backend not in _servers:
        from store_support import load_into, shared_store

        store = shared_store(request, backend)
        graphs = [f"--graph={iri}={path}" for iri, path in W3C_GRAPHS.items()]
        load_into(store, *graphs)
        # a disk-backed store sorts the whole dataset in seconds, not milliseconds: a longer limit
        args = ["--store", store.query_url, "--timeout", str(STORE_TIMEOUT), "--max-rows", str(MAX_ROWS),
                "--http-workers", "1", *graphs]
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        log = request.config.rootpath / ".pytest_cache" / "cyberframe-serve" / f"{worker}-{backend}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        server = start_server(request, args, log)
        _servers[backend] = server
        request.config.add_cleanup(server.stop)
    return _servers[backend]


@contextmanager
def listening() -> Iterator[tuple[int, list]]:
    """A TCP listener on 127.0.0.1 that records every connection made to it: (port, addresses seen)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    seen: list = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, address = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            seen.append(address)
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def child_processes(
    pid: int, command_part: bytes = b"cyberframe.sparql.worker", *, deep: bool = False, excluding: bytes | None = None
) -> list[int]:
    """Live processes under *pid* whose command line holds *command_part* and not *excluding* (from /proc).

    Its children only, or with *deep* every descendant (the query workers of gunicorn's HTTP processes).
    """
    parents: dict[int, int] = {}
    matching = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        parents[int(entry.name)] = int(parent)
        if state != "Z" and command_part in command and (excluding is None or excluding not in command):
            matching.append(int(entry.name))

    def under(child: int) -> bool:
        ancestor = parents.get(child, 0)
        while ancestor > 1:
            if ancestor == pid:
                return True
            if not deep:
                return False
            ancestor = parents.get(ancestor, 0)
        return False

    return [child for child in matching if under(child)]
