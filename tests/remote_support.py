"""Fault injection between ``cyberframe serve --store`` and its store: a TCP proxy that can hang.

The proxy forwards every byte between the service and a real store until
:meth:`StoreProxy.hang` is called; from then on it forwards nothing more on
any connection, old or new (a store that has stopped answering), and records
when the service closes each connection it was waiting on, which is how the
tests see that a request past the time limit was cancelled.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OxigraphServer:
    """``oxigraph serve`` on 127.0.0.1 with a temporary location; stops and starts again on the same port."""

    def __init__(self, location: Path, port: int | None = None) -> None:
        self.location = location
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def load(self, path: Path, graph: str | None = None) -> None:
        """Bulk-load an RDF file while stopped (``oxigraph load``), into *graph* if given."""
        into = ["--graph", graph] if graph else []
        subprocess.run([OXIGRAPH, "load", "--location", str(self.location), "--file", str(path), *into],
                       check=True, capture_output=True, timeout=300)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [OXIGRAPH, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.05)
        raise RuntimeError("oxigraph serve did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)
        self.process = None


OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))


def dataset_nquads(directory: Path) -> Path:
    """The built dataset as N-Quads (``cyberframe export --format nq``)."""
    target = directory / "cyberframe.nq"
    subprocess.run([sys.executable, "-m", "cyberframe.cli", "export", "--format", "nq", "-q", "-o", str(target)],
                   check=True, timeout=300)
    return target
