"""The cost of ``cyberframe serve --store``: the named-query mix through cyberframe vs sent to the store directly.

An Oxigraph server is started on a free 127.0.0.1 port with a temporary
location and the dataset (``cyberframe load``); ``cyberframe serve --store``
is started in front of it with its answer cache off (``--cache-mb 0``), so
every request reaches the store. Each named query of queries/ runs with its
example parameters:

* through cyberframe: ``GET /queries/{name}?{example}`` (admission, parameter
  checks, the VALUES binding, the protocol request, parsing and writing the
  answer again);
* directly: the very request cyberframe sends to the store (same text with the
  same VALUES block, same dataset parameters, same Accept).

Printed per query: the median latency of each over ``--repeat`` sequential
requests on one keep-alive connection, and their ratio; then the ratio of the
sums (the mix). Bounded: every server is stopped at the end; all traffic stays
on 127.0.0.1.

    python bench/store_overhead.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))
sys.path.insert(0, str(ROOT / "tests"))

import pyoxigraph as ox  # noqa: E402

from cyberframe.knowledge import open_knowledge_graph  # noqa: E402
from cyberframe.named_queries import QueryCatalogue, load_catalogue  # noqa: E402
from cyberframe.sparql.remote import ACCEPT_GRAPH, ACCEPT_RESULTS, bind_values  # noqa: E402

OXIGRAPH = str(Path(sys.executable).with_name("oxigraph"))
JSON = "application/sparql-results+json"


def _timed(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None,
           headers: dict[str, str]) -> float:
    began = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    data = answer.read()
    took = time.perf_counter() - began
    if answer.status != 200:
        raise RuntimeError(f"{method} {path}: HTTP {answer.status}: {data[:300]!r}")
    return took


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_port(port: int, timeout: float = 120.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    kg = open_knowledge_graph()
    graphs = sorted(kg.graph_iri(name).value for name in kg.manifest.graphs)
    catalogue = load_catalogue()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as home:
        try:
            store_port = _free_port()
            processes.append(subprocess.Popen(
                [OXIGRAPH, "serve", "--location", f"{home}/db", "--bind", f"127.0.0.1:{store_port}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _wait_port(store_port)
            store_url = f"http://127.0.0.1:{store_port}/query"
            began = time.perf_counter()
            subprocess.run([sys.executable, "-m", "cyberframe.cli", "load", "--store", store_url],
                           check=True, cwd=ROOT, stderr=subprocess.DEVNULL)
            print(f"load: {time.perf_counter() - began:.2f} s for {sum(kg.manifest.graphs.values())} triples")
            log = Path(home) / "serve.log"
            with open(log, "w") as handle:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "cyberframe.cli", "serve", "--port", "0", "--store", store_url,
                     "--cache-mb", "0", "--http-workers", "1", "--quiet"],
                    stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT))
            deadline = time.monotonic() + 120
            port = None
            while port is None and time.monotonic() < deadline:
                found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text())
                port = int(found.group(1)) if found else None
                time.sleep(0.1)
            if port is None:
                raise RuntimeError(log.read_text())
            ours = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            direct = http.client.HTTPConnection("127.0.0.1", store_port, timeout=60)
            fields = [(name, graph) for graph in graphs for name in ("default-graph-uri", "named-graph-uri")]
            print(f"{'query':32s} {'cyberframe ms':>14s} {'direct ms':>10s} {'ratio':>6s}")
            totals = [0.0, 0.0]
            checker = QueryCatalogue(kg)
            for name, query in sorted(catalogue.items()):
                given = dict(query.example)
                bound = checker.bind(query, given)  # checked as the service checks them
                substitutions = sorted(
                    (var.value, "iri" if isinstance(term, ox.NamedNode) else "literal", term.value)
                    for var, term in bound.items()
                )
                text = bind_values(query.sparql, substitutions)
                body = urllib.parse.urlencode([("query", text), *fields]).encode("ascii")
                graph = query.form in ("CONSTRUCT", "DESCRIBE")
                headers = {"Content-Type": "application/x-www-form-urlencoded",
                           "Accept": ACCEPT_GRAPH if graph else ACCEPT_RESULTS}
                path = f"/queries/{name}?{urllib.parse.urlencode(given)}"
                ours_times, direct_times = [], []
                accept = "application/n-triples" if graph else JSON
                for _ in range(args.repeat):  # alternate, so that the machine's load falls on both alike
                    ours_times.append(_timed(ours, "GET", path, None, {"Accept": accept}))
                    direct_times.append(_timed(direct, "POST", "/query", body, headers))
                a, b = statistics.median(ours_times) * 1000, statistics.median(direct_times) * 1000
                totals[0] += a
                totals[1] += b
                print(f"{name:32s} {a:14.2f} {b:10.2f} {a / b:6.2f}")
            print(f"{'the mix (sum of medians)':32s} {totals[0]:14.2f} {totals[1]:10.2f} {totals[0] / totals[1]:6.2f}")
        finally:
            for process in processes:
                process.terminate()
                process.wait(30)


if __name__ == "__main__":
    main()
