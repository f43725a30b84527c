"""Real SPARQL stores for the tests: an Oxigraph server and Virtuoso open source, on 127.0.0.1 only.

Each is a subprocess listening on free 127.0.0.1 ports, with its data in a
temporary folder. :meth:`StoreServer.stop` and :meth:`StoreServer.start` stop
it and start it again on the same port and folder (the fault tests); the data
survives. A session starts each at most once (per xdist worker), on first use
by a slow test, and stops it and deletes its folder when the session ends; the
process is also killed when the test run dies (``PR_SET_PDEATHSIG`` with
SIGKILL, which reaches a paused process too), so no store is left behind.
:meth:`StoreServer.paused` freezes it (SIGSTOP): connections are still
accepted, nothing is answered, as from a store that hangs. :class:`StoreProxy`
sits between a service and its store and can stop forwarding on every
connection, recording when the service gives up on one (a cancelled request).

- Oxigraph server: ``oxigraph serve --location DIR --bind 127.0.0.1:PORT
  --union-default-graph`` (the PyPI package ``oxigraph``, a test dependency).
  Query endpoint ``/query``, Graph Store endpoint ``/store``, no login.
- Virtuoso open source 7 (Debian's ``virtuoso-opensource``, installed by
  ``.ci/run``; without ``virtuoso-t`` the Virtuoso tests skip saying so): a
  generated ``virtuoso.ini`` puts the database in the folder, the SQL and HTTP
  listeners on free 127.0.0.1 ports and ``DirsAllowed`` on the folder only; a
  first run with ``+pwdold dba +pwddba`` sets the dba password, then the server
  starts. Query endpoint ``/sparql``, authenticated Graph Store endpoint
  ``/sparql-graph-crud-auth`` (HTTP Digest), where dba may write: it holds
  every role, ``SPARQL_UPDATE`` included.
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import require_slow

START_TIMEOUT = 60.0
VIRTUOSO = shutil.which("virtuoso-t")
VIRTUOSO_PASSWORD = "cf-test-dba-4d1b"  # the dba password of the test Virtuoso (a throwaway local database)
NO_VIRTUOSO = "virtuoso-t not found: install Debian's virtuoso-opensource (.ci/run does) to run the Virtuoso tests"


def _killed_with_parent() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: even a paused store goes


def _stopped(pid: int) -> bool:
    """Whether every thread of *pid* is stopped (state T in /proc)."""
    states = set()
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        with contextlib.suppress(OSError):
            states.add(stat.read_text().rpartition(")")[2].split()[0])
    return bool(states) and states <= {"T", "t"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StoreServer:
    """A store subprocess on 127.0.0.1 with its data in *location*; ``start()`` and ``stop()`` as often as needed."""

    name: str
    location: Path
    port: int
    query_path: str
    gsp_path: str
    user: str | None = None
    password: str | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + self.query_path

    @property
    def gsp_url(self) -> str:
        return self.base + self.gsp_path

    @property
    def log(self) -> Path:
        return self.location / "server.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Work before the first start (configuration, passwords)."""

    def load_args(self) -> list[str]:
        """The ``cyberframe load`` options that reach this store (with its login, if it has one)."""
        args = ["--store", self.query_url]
        if self.user is not None and self.password is not None:
            args += ["--user", self.user, "--password", self.password]
        return args

    def start(self) -> None:
        """Start the server and return when it answers ``ASK {}``."""
        if self.running:
            return
        with open(self.log, "a", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.location,
                preexec_fn=_killed_with_parent,  # a killed test run leaves no store behind
            )
        deadline = time.monotonic() + START_TIMEOUT
        query = self.query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError, urllib.error.HTTPError):
                request = urllib.request.Request(query, headers={"Accept": "application/sparql-results+json"})
                with urllib.request.urlopen(request, timeout=5) as answer:
                    if answer.status == 200:
                        return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within *timeout*; return once the port is free."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Freeze the server (SIGSTOP) for the ``with`` block: it accepts connections and answers nothing."""
        assert self.process is not None and self.running, f"{self.name} is not running"
        self.process.send_signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        # the signal is delivered asynchronously: wait until the kernel shows every thread stopped
        while not _stopped(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        try:
            yield
        finally:
            self.process.send_signal(signal.SIGCONT)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class OxigraphServer(StoreServer):
    """``oxigraph serve`` with a persistent location; the default graph is the union of the named graphs,
    as in the embedded store."""

    def __init__(self, location: Path, port: int) -> None:
        super().__init__("Oxigraph server", location, port, "/query", "/store")

    def command(self) -> list[str]:
        binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        data = self.location / "data"
        return [binary, "serve", "--location", str(data), "--bind", f"127.0.0.1:{self.port}", "--union-default-graph"]


class VirtuosoServer(StoreServer):
    """Virtuoso open source with its database in *location*, the SQL listener on *sql_port*, dba's password set."""

    def __init__(self, location: Path, port: int, sql_port: int) -> None:
        super().__init__(
            "Virtuoso", location, port, "/sparql", "/sparql-graph-crud-auth", user="dba", password=VIRTUOSO_PASSWORD
        )
        self.sql_port = sql_port

    @property
    def ini(self) -> Path:
        return self.location / "virtuoso.ini"

    def command(self) -> list[str]:
        assert VIRTUOSO is not None
        return [VIRTUOSO, "+foreground", "+configfile", str(self.ini)]

    def prepare(self) -> None:
        """Write virtuoso.ini, create the database and set dba's password (Virtuoso's first run: it then exits)."""
        assert VIRTUOSO is not None
        (self.location / "www").mkdir(exist_ok=True)  # the HTTP server's file root: empty
        self.ini.write_text(virtuoso_ini(self.location, self.port, self.sql_port), encoding="utf-8")
        with open(self.log, "a", encoding="utf-8") as log:
            subprocess.run(
                [*self.command(), "+pwdold", "dba", "+pwddba", VIRTUOSO_PASSWORD],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.location,
                timeout=START_TIMEOUT,
                check=True,
                preexec_fn=_killed_with_parent,
            )


def virtuoso_ini(location: Path, http_port: int, sql_port: int) -> str:
    """A minimal virtuoso.ini: everything in *location*, both listeners on 127.0.0.1, files only under *location*."""
    return f"""\
[Database]
DatabaseFile = {location}/virtuoso.db
ErrorLogFile = {location}/virtuoso.log
LockFile = {location}/virtuoso.lck
TransactionFile = {location}/virtuoso.trx
xa_persistent_file = {location}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {location}/virtuoso-temp.db
TransactionFile = {location}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = {location}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
CheckpointInterval = 0
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {location}/www
ServerThreads = 8
EnabledDavVSP = 0
HTTPProxyEnabled = 0

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


_stores: dict[str, StoreServer] = {}


def shared_store(request: pytest.FixtureRequest, kind: str) -> StoreServer:
    """The session's *kind* store ("oxigraph" or "virtuoso"), started on first use (slow tests only).

    It is stopped and its folder deleted when the session ends. Without Virtuoso installed, "virtuoso" skips.
    """
    require_slow(request, f"starts a {kind} store server")
    if kind == "virtuoso" and VIRTUOSO is None:
        pytest.skip(NO_VIRTUOSO)
    if kind not in _stores:
        location = Path(tempfile.mkdtemp(prefix=f"cyberframe-{kind}-"))
        store: StoreServer
        if kind == "oxigraph":
            store = OxigraphServer(location, free_port())
        elif kind == "virtuoso":
            store = VirtuosoServer(location, free_port(), free_port())
        else:
            raise ValueError(f"no store kind {kind!r}")

        def finish(store: StoreServer = store) -> None:
            store.stop()
            _stores.pop(kind, None)
            shutil.rmtree(store.location, ignore_errors=True)

        request.config.add_cleanup(finish)
        store.prepare()
        store.start()
        _stores[kind] = store
    store = _stores[kind]
    store.start()  # a test that stopped it and failed before starting it again
    return store


def load_dataset(store: StoreServer, kg) -> None:
    """Put every named graph of *kg* into *store* in-process, through the library (no CLI)."""
    import pyoxigraph as ox

    from cyberframe.triplestore import StoreClient, StoreConfig, expected_counts

    config = StoreConfig.from_options(store.query_url, gsp=store.gsp_url, user=store.user, password=store.password)
    with StoreClient(config) as client:
        for iri in expected_counts(kg.manifest.graphs):
            client.put_graph(iri, kg.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(iri)) or b"")


def load_into(store: StoreServer, *args: str) -> None:
    """``cyberframe load`` into *store*, as an operator runs it (a subprocess); *args* are more options."""
    command = [sys.executable, "-m", "cyberframe.cli", "load", *store.load_args(), *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"cyberframe load exited {done.returncode}:\n{done.stderr}")


class StoreProxy:
    """A threaded TCP proxy on 127.0.0.1 in front of *target* (host, port)."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self.hanging = threading.Event()
        self.hung_since = 0.0
        self.closed_while_hanging: list[float] = []  # seconds from hang() to the service closing a connection
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def hang(self) -> None:
        """Stop forwarding anything, on every connection."""
        self.hung_since = time.monotonic()
        self.hanging.set()

    def resume(self) -> None:
        self.hanging.clear()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            for source, sink, from_client in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(source, sink, from_client), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.hanging.is_set():
                    continue  # swallowed: the store "never answers"
                sink.sendall(data)
        except OSError:
            pass
        if from_client and self.hanging.is_set():
            with self._lock:
                self.closed_while_hanging.append(time.monotonic() - self.hung_since)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                end.close()
