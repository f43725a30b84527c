"""SPARQL over HTTP: cyberframe serve against the Oxigraph server and rdflib-endpoint, side by side.

Every server is started here on a free 127.0.0.1 port with the same data (the
knowledge graph's N-Quads, union default graph) and gets the same fixed mix
of representative queries over keep-alive HTTP/1.1 connections, from client
processes that speak raw HTTP (so that the client costs as little CPU as
possible on this 2-core machine). Before measuring, each server's answers to
the mix are checked against cyberframe's (same number of rows or triples).

Printed per server and concurrency: requests per second, p50 and p99
latency, errors; then the ratios the issue asks for. cyberframe runs twice,
both as shipped (``cyberframe serve``: gunicorn, one HTTP process per CPU, one
access-log line per request, here to a file): with its answer cache, and with
``--cache-mb 0``, where every request goes through a query worker process.

    pip install -e '.[bench]'
    python bench/sparql_http.py [--duration 5] [--connections 1 8] [--rounds 3] [--servers ...]

All servers are started first and stay up; with ``--rounds N`` every server
is measured N times, alternately, and the median round is reported (a shared
machine's changing load then falls on all servers alike).

Bounded: each run lasts --duration seconds (rdflib-endpoint: --slow-duration),
all traffic goes to 127.0.0.1, and every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PREFIXES = (
    "PREFIX cf: <https://w3id.org/cyberframe/ontology#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"

#: The fixed mix: (name, SPARQL, Accept). Typical questions of architects and tool builders.
MIX: list[tuple[str, str, str]] = [
    (
        "functions",
        PREFIXES + "SELECT ?f ?n ?l WHERE { ?f a cf:Function ; skos:notation ?n ; skos:prefLabel ?l } ORDER BY ?n",
        JSON,
    ),
    (
        "detect-subcategories",
        PREFIXES
        + "SELECT ?s ?n ?c WHERE { ?s a cf:Subcategory ; skos:notation ?n ; skos:broader ?c . "
        + "?c skos:broader ?f . ?f skos:notation 'DE' } ORDER BY ?n",
        JSON,
    ),
    (
        "controls-for-detect",
        PREFIXES
        + "SELECT DISTINCT ?ctl ?n WHERE { ?s a cf:Subcategory ; skos:broader/skos:broader ?f ; cf:references ?ctl . "
        + "?f skos:notation 'DE' . ?ctl a cf:Control ; skos:notation ?n } ORDER BY ?n",
        JSON,
    ),
    (
        "controls-by-theme",
        PREFIXES
        + "SELECT ?t (COUNT(DISTINCT ?c) AS ?k) WHERE { ?c cf:theme/skos:notation ?t } GROUP BY ?t ORDER BY ?t",
        JSON,
    ),
    (
        "label-search",
        PREFIXES
        + "SELECT ?x ?l WHERE { ?x skos:prefLabel ?l FILTER(CONTAINS(LCASE(STR(?l)), 'access')) } ORDER BY ?x",
        JSON,
    ),
    (
        "ask",
        PREFIXES + "ASK { <https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/8.16> cf:theme ?t }",
        JSON,
    ),
    ("describe-control", "DESCRIBE <https://w3id.org/cyberframe/id/control/iso-iec-27002-2022/5.15>", TURTLE),
    (
        "construct-category",
        PREFIXES
        + "CONSTRUCT { ?s skos:prefLabel ?l ; skos:broader ?c } WHERE { ?s skos:broader ?c ; skos:prefLabel ?l "
        + "FILTER(?c = <https://w3id.org/cyberframe/id/category/PR.AC>) }",
        TURTLE,
    ),
    (
        "triples-per-graph",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        JSON,
    ),
]


@dataclass
class Target:
    """A server under test: how to reach it and how to stop it."""

    name: str
    port: int
    path: str
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http(port: int, method: str, path: str, body: bytes | None = None, headers=None, timeout: float = 60.0):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", body, headers or {}, method=method)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def wait_until_up(port: int, path: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Return when the server answers ``ASK {}``; kill it and raise if it does not within *timeout*."""
    deadline = time.monotonic() + timeout
    query = path + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with contextlib.suppress(OSError):
            if http(port, "GET", query, headers={"Accept": JSON}, timeout=5)[0] == 200:
                return
        time.sleep(0.1)
    process.kill()
    process.wait(5)
    raise RuntimeError("server did not come up")


def start_cyberframe(name: str, logs: Path, extra: list[str]) -> Target:
    port = free_port()
    command = [sys.executable, "-m", "cyberframe.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    with open(logs / f"{name}.log", "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    wait_until_up(port, "/sparql", process)
    return Target(name, port, "/sparql", process)


def start_oxigraph(data: Path, logs: Path) -> Target:
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    port = free_port()
    with open(logs / "oxigraph.log", "w") as log:
        process = subprocess.Popen(
            [binary, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            http(port, "POST", "/store", data.read_bytes(), {"Content-Type": "application/n-quads"})
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                process.wait(5)
                raise
            time.sleep(0.1)
    wait_until_up(port, "/query", process)
    return Target("oxigraph server (in memory)", port, "/query", process)


def start_rdflib_endpoint(data: Path, logs: Path) -> Target:
    binary = shutil.which("rdflib-endpoint") or str(Path(sys.executable).with_name("rdflib-endpoint"))
    port = free_port()
    with open(logs / "rdflib-endpoint.log", "w") as log:
        process = subprocess.Popen(
            [binary, "serve", "--host", "127.0.0.1", "--port", str(port), str(data)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    wait_until_up(port, "/", process, timeout=180)
    return Target("rdflib-endpoint", port, "/", process)


def answer_size(target: Target, query: str, accept: str) -> int | str:
    """Rows of a SELECT, 1/0 for ASK, triples of a graph: to check that the servers agree."""
    path = target.path + "?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(f"http://127.0.0.1:{target.port}{path}", headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=120) as response:
        body, content_type = response.read(), response.headers.get("Content-Type", "").split(";")[0]
    if accept == TURTLE:
        import rdflib

        xml = body.lstrip().startswith(b"<?xml")  # rdflib-endpoint labels RDF/XML as text/turtle
        try:
            size = len(rdflib.Graph().parse(data=body, format="xml" if xml else "turtle"))
        except Exception as exc:  # report, do not stop the run
            return f"unparseable {content_type}: {type(exc).__name__}"
        if content_type != TURTLE or xml:
            print(f"  note: asked for Turtle, got {'RDF/XML' if xml else content_type} labelled {content_type}")
        return size
    payload = json.loads(body)
    return int(payload["boolean"]) if "boolean" in payload else len(payload["results"]["bindings"])


# -- load generation -------------------------------------------------------


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bool]:
    """Read one HTTP/1.1 response from *sock*; (status, server wants to close)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head_end = buffer.index(b"\r\n\r\n")
    head = bytes(buffer[:head_end]).decode("latin-1").split("\r\n")
    del buffer[: head_end + 4]
    status = int(head[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
    if "content-length" in headers:
        size = int(headers["content-length"])
        while len(buffer) < size:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            buffer += chunk
        del buffer[:size]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            while b"\r\n" not in buffer:
                buffer += sock.recv(65536)
            line_end = buffer.index(b"\r\n")
            size = int(bytes(buffer[:line_end]).split(b";")[0], 16)
            del buffer[: line_end + 2]
            while len(buffer) < size + 2:
                buffer += sock.recv(65536)
            del buffer[: size + 2]
            if size == 0:
                break
    return status, headers.get("connection", "").lower() == "close"


def _client(port: int, requests: list[bytes], offset: int, warmup: int, duration: float, results) -> None:
    def connect() -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    sock, buffer = connect(), bytearray()
    latencies, errors, index = [], 0, offset
    for _ in range(warmup):
        for request in requests:
            sock.sendall(request)
            _, close = _read_response(sock, buffer)
            if close:
                sock.close()
                sock, buffer = connect(), bytearray()
    end = time.perf_counter() + duration
    while True:
        started = time.perf_counter()
        if started >= end:
            break
        sock.sendall(requests[index % len(requests)])
        index += 1
        status, close = _read_response(sock, buffer)
        latencies.append(time.perf_counter() - started)
        if status != 200:
            errors += 1
        if close:
            sock.close()
            sock, buffer = connect(), bytearray()
    sock.close()
    results.put((latencies, errors))


@dataclass
class Measurement:
    requests: int
    seconds: float
    p50: float
    p99: float
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds


def measure(target: Target, connections: int, duration: float) -> Measurement:
    requests = []
    for _, query, accept in MIX:
        target_path = target.path + "?" + urllib.parse.urlencode({"query": query})
        requests.append(
            f"GET {target_path} HTTP/1.1\r\nHost: 127.0.0.1:{target.port}\r\nAccept: {accept}\r\n\r\n".encode()
        )
    results = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=_client, args=(target.port, requests, i, 1, duration, results))
        for i in range(connections)
    ]
    for client in clients:
        client.start()
    gathered = [results.get(timeout=duration + 300) for _ in clients]
    for client in clients:
        client.join(10)
    latencies = sorted(x for lat, _ in gathered for x in lat)
    if not latencies:
        return Measurement(0, duration, float("nan"), float("nan"), sum(e for _, e in gathered))
    return Measurement(
        requests=len(latencies),
        seconds=duration,  # every client measures for exactly this long, after its warm-up round
        p50=statistics.median(latencies),
        p99=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors=sum(e for _, e in gathered),
    )


@contextlib.contextmanager
def started(start, *args) -> Iterator[Target | None]:
    try:
        target = start(*args)
    except (OSError, RuntimeError) as exc:
        print(f"  (not measured: {exc})", flush=True)
        yield None
        return
    try:
        yield target
    finally:
        target.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--slow-duration", type=float, default=10.0, help="seconds per rdflib-endpoint measurement")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=1, help="measure every server this many times, alternately")
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["cyberframe", "cyberframe-nocache", "oxigraph", "rdflib-endpoint"],
    )
    args = parser.parse_args()

    from cyberframe.knowledge import open_knowledge_graph

    kg = open_knowledge_graph()
    with tempfile.TemporaryDirectory(prefix="cyberframe-bench-") as tmp:
        tmpdir = Path(tmp)
        data = tmpdir / "data.nq"
        import pyoxigraph

        data.write_bytes(kg.store.dump(format=pyoxigraph.RdfFormat.N_QUADS))
        print(f"data: {len(kg.store)} quads; mix of {len(MIX)} queries: {', '.join(n for n, _, _ in MIX)}")
        print(f"machine: {os.cpu_count()} CPUs; client: raw HTTP/1.1 keep-alive, one process per connection\n")
        starters = {
            "cyberframe": (start_cyberframe, "cyberframe (cache)", tmpdir, []),
            "cyberframe-nocache": (start_cyberframe, "cyberframe (no cache)", tmpdir, ["--cache-mb", "0"]),
            "oxigraph": (start_oxigraph, data, tmpdir),
            "rdflib-endpoint": (start_rdflib_endpoint, data, tmpdir),
        }
        expected: list[int | str] | None = None
        targets: list[tuple[str, Target]] = []
        with contextlib.ExitStack() as stack:
            for key in args.servers:
                start, *start_args = starters[key]
                label = start_args[0] if start is start_cyberframe else key
                target = stack.enter_context(started(start, *start_args))
                if target is None:
                    print(f"{label}: not measured", flush=True)
                    continue
                sizes = [answer_size(target, q, a) for _, q, a in MIX]
                if expected is None:
                    expected = sizes
                elif sizes != expected:
                    print(f"{label}: answer sizes {sizes} differ from the first server's {expected}")
                targets.append((key, target))
            # Every server stays up (idle) while the others are measured, round after round: on a shared
            # machine, a change of load then falls on every server alike instead of on one.
            runs: dict[tuple[str, int], list[Measurement]] = {}
            for round_ in range(args.rounds):
                for key, target in targets:
                    print(f"{target.name} (round {round_ + 1} of {args.rounds}):", flush=True)
                    duration = args.slow_duration if key == "rdflib-endpoint" else args.duration
                    for connections in args.connections:
                        m = measure(target, connections, duration)
                        runs.setdefault((target.name, connections), []).append(m)
                        print(
                            f"  {connections:2d} conn: {m.throughput:9.1f} req/s  p50 {m.p50 * 1000:8.2f} ms  "
                            f"p99 {m.p99 * 1000:8.2f} ms  ({m.requests} requests, {m.errors} errors)",
                            flush=True,
                        )
        table = {key: sorted(ms, key=lambda m: m.throughput)[len(ms) // 2] for key, ms in runs.items()}
        if args.rounds > 1:
            print("\nmedian round (by throughput):")
            for (name, connections), m in table.items():
                print(
                    f"  {name:32s} {connections:2d} conn: {m.throughput:9.1f} req/s  p50 {m.p50 * 1000:8.2f} ms  "
                    f"p99 {m.p99 * 1000:8.2f} ms  ({m.errors} errors)"
                )
        _ratios(table, args.connections)


def _ratios(table: dict[tuple[str, int], Measurement], levels: list[int]) -> None:
    names = {name for name, _ in table}
    oxigraph = "oxigraph server (in memory)"
    rdflib = "rdflib-endpoint"
    print("\nratios (cyberframe / other):")
    for name in sorted(n for n in names if n.startswith("cyberframe")):
        for level in levels:
            ours = table.get((name, level))
            if ours is None:
                continue
            parts = []
            if (oxigraph, level) in table:
                other = table[(oxigraph, level)]
                parts.append(
                    f"throughput {ours.throughput / other.throughput:5.2f}x oxigraph, p99 {ours.p99 / other.p99:5.2f}x"
                )
            if (rdflib, level) in table:
                parts.append(f"throughput {ours.throughput / table[(rdflib, level)].throughput:7.1f}x rdflib-endpoint")
            print(f"  {name:32s} {level:2d} conn: " + "; ".join(parts))


if __name__ == "__main__":
    main()
