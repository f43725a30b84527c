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
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))
sys.path.insert(0, str(ROOT / "tests"))

from cyberframe.knowledge import open_knowledge_graph  # noqa: E402
from cyberframe.named_queries import QueryCatalogue, load_catalogue  # noqa: E402
from cyberframe.sparql.remote import ACCEPT_GRAPH, ACCEPT_RESULTS, bind_values  # noqa: E402
from cyberframe.sparql.worker import substitutions_of  # noqa: E402
from sparql_http import start_cyberframe  # noqa: E402
from store_support import OxigraphServer, free_port, load_into  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    kg = open_knowledge_graph()
    graphs = sorted(kg.graph_iri(name).value for name in kg.manifest.graphs)
    catalogue = load_catalogue()
    checker = QueryCatalogue(kg)
    with tempfile.TemporaryDirectory() as home:
        store = OxigraphServer(Path(home), free_port())
        store.prepare()
        store.start()
        ours = None
        try:
            began = time.perf_counter()
            load_into(store)
            print(f"load: {time.perf_counter() - began:.2f} s for {sum(kg.manifest.graphs.values())} triples")
            ours = start_cyberframe("serve-store", Path(home), ["--store", store.query_url, "--cache-mb", "0",
                                                                 "--http-workers", "1", "--quiet"])
            through = http.client.HTTPConnection("127.0.0.1", ours.port, timeout=60)
            direct = http.client.HTTPConnection("127.0.0.1", store.port, timeout=60)
            fields = [(name, graph) for graph in graphs for name in ("default-graph-uri", "named-graph-uri")]
            print(f"{'query':32s} {'cyberframe ms':>14s} {'direct ms':>10s} {'ratio':>6s}")
            totals = [0.0, 0.0]
            for name, query in sorted(catalogue.items()):
                given = dict(query.example)
                text = bind_values(query.sparql, substitutions_of(checker.bind(query, given)))  # as the service does
                body = urllib.parse.urlencode([("query", text), *fields]).encode("ascii")
                graph = query.form in ("CONSTRUCT", "DESCRIBE")
                headers = {"Content-Type": "application/x-www-form-urlencoded",
                           "Accept": ACCEPT_GRAPH if graph else ACCEPT_RESULTS}
                path = f"/queries/{name}?{urllib.parse.urlencode(given)}"
                accept = "application/n-triples" if graph else JSON
                ours_times, direct_times = [], []
                for _ in range(args.repeat):  # alternate, so that the machine's load falls on both alike
                    ours_times.append(_timed(through, "GET", path, None, {"Accept": accept}))
                    direct_times.append(_timed(direct, "POST", "/query", body, headers))
                a, b = statistics.median(ours_times) * 1000, statistics.median(direct_times) * 1000
                totals[0] += a
                totals[1] += b
                print(f"{name:32s} {a:14.2f} {b:10.2f} {a / b:6.2f}")
            print(f"{'the mix (sum of medians)':32s} {totals[0]:14.2f} {totals[1]:10.2f} {totals[0] / totals[1]:6.2f}")
        finally:
            if ours is not None:
                ours.stop()
            store.stop()


if __name__ == "__main__":
    main()
