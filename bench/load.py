"""Load and soak: 32 clients against a real ``cyberframe serve`` on 127.0.0.1, a mix of every kind of request.

The server is started here (``cyberframe serve`` as shipped, access log to a
file) and gets, from ``--clients`` concurrent keep-alive HTTP/1.1 clients
(threads spread over ``--processes`` client processes), a fixed mix of

* ``cached``: the queries of bench/sparql_http.py on ``/sparql`` (the same
  texts over and over, so answered from the answer cache after the first),
* ``uncached``: the same queries made distinct per request (a numbered
  comment), so every one runs in a query worker,
* ``named``: ``/queries/{name}`` with each named query's example parameters,
* ``pages``: the home page, search, controls, an entity page, the editor's
  results page.

Printed: requests per second, p50 and p99 latency per kind and overall, the
answers that were not 200 by kind and status (with whether every 503 carried
``Retry-After``), requests that got no answer within ``--hang`` seconds, and
the server's resident memory (main process and query workers) after the
warm-up and at the end. The targets: no errors for cached traffic,
overload answered 503 with Retry-After and never a hang, RSS growth under 10%.

    python bench/load.py [--duration 30] [--clients 32]
    python bench/load.py --soak 20000          # a fixed number of requests instead of a duration

Bounded: a run lasts --duration seconds (or --soak requests, each client
stopping after its share), all traffic goes to 127.0.0.1, and the server is
stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sparql_http import MIX, Target, start_cyberframe

PAGES = [
    "/",
    "/search?q=monitoring",
    "/controls",
    "/id/function/PR",
    "/id/control/iso-iec-27002-2022/8.16",
    "/sparql/results?query="
    + urllib.parse.quote("SELECT ?f WHERE { ?f a <https://w3id.org/cyberframe/ontology#Function> }"),
]
#: How many of each kind one round of the mix sends.
WEIGHTS = {"cached": 4, "uncached": 1, "named": 2, "pages": 2}


@dataclass
class Tally:
    """What one client saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> count
    retry_missing: int = 0
    hangs: int = 0

    def add(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.statuses.update(other.statuses)
        self.retry_missing += other.retry_missing
        self.hangs += other.hangs


def named_paths(port: int) -> list[str]:
    """``/queries/{name}`` with example parameters for every named query, from the catalogue's JSON."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/queries", headers={"Accept": "application/json"})
    listing = json.loads(connection.getresponse().read())
    connection.close()
    paths = []
    for query in listing["queries"] if isinstance(listing, dict) else listing:
        url = query.get("example_url") or query.get("url")
        if url:
            parts = urllib.parse.urlsplit(url)
            paths.append(parts.path + ("?" + parts.query if parts.query else ""))
    return paths


def round_of_requests(named: list[str]) -> list[tuple[str, str, str]]:
    """One round of the mix: (kind, path or ``uncached:`` template, Accept)."""
    out: list[tuple[str, str, str]] = []
    for i in range(max(len(MIX), len(named), len(PAGES))):
        _, query, accept = MIX[i % len(MIX)]
        out += [("cached", "/sparql?" + urllib.parse.urlencode({"query": query}), accept)] * WEIGHTS["cached"]
        out += [("uncached", query, accept)] * WEIGHTS["uncached"]
        if named:
            out += [("named", named[i % len(named)], "application/sparql-results+json, text/turtle;q=0.9")] * WEIGHTS[
                "named"
            ]
        out += [("pages", PAGES[i % len(PAGES)], "text/html")] * WEIGHTS["pages"]
    return out


def _client(port: int, mix, client: int, until: float, count: int | None, hang: float, tally: Tally) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=hang)
    sent = 0
    index = client * 7
    while (count is None and time.perf_counter() < until) or (count is not None and sent < count):
        kind, target, accept = mix[index % len(mix)]
        index += 1
        sent += 1
        if kind == "uncached":
            distinct = f"{target}\n# load {client}-{sent}-{time.time_ns()}"
            target = "/sparql?" + urllib.parse.urlencode({"query": distinct})
        started = time.perf_counter()
        try:
            connection.request("GET", target, headers={"Accept": accept})
            response = connection.getresponse()
            response.read()
        except TimeoutError:
            tally.hangs += 1
            connection.close()
            continue
        except (OSError, http.client.HTTPException):
            tally.statuses[(kind, "connection error")] += 1
            connection.close()
            continue
        tally.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        tally.statuses[(kind, response.status)] += 1
        if response.status == 503 and response.getheader("Retry-After") is None:
            tally.retry_missing += 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
    connection.close()


def _process(port: int, mix, first: int, threads: int, duration: float, count: int | None, hang: float, out) -> None:
    tallies = [Tally() for _ in range(threads)]
    until = time.perf_counter() + duration
    workers = [
        threading.Thread(target=_client, args=(port, mix, first + i, until, count, hang, tallies[i]))
        for i in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Tally()
    for tally in tallies:
        total.add(tally)
    out.put(total)


def rss(pid: int) -> int:
    """Resident bytes of process *pid* (/proc, Linux); 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process below *pid*: HTTP worker processes, query workers."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def cache_bytes(port: int) -> int:
    """Bytes the answer cache holds (``/health``), so that RSS growth can be told from the cache filling."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/health", headers={"Accept": "application/json"})
        return int(json.loads(connection.getresponse().read()).get("cache", {}).get("bytes", 0))
    except (OSError, ValueError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def memory(pid: int) -> tuple[int, int]:
    """Resident bytes of the server's main process and of every process below it (HTTP and query workers)."""
    return rss(pid), sum(rss(child) for child in descendants(pid))


def run(target: Target, mix, clients: int, processes: int, duration: float, soak: int | None, hang: float):
    processes = max(1, min(processes, clients))
    share = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    count = None if soak is None else -(-soak // clients)
    out: multiprocessing.Queue = multiprocessing.Queue()
    started = time.perf_counter()
    procs = []
    first = 0
    for threads in share:
        work = (target.port, mix, first, threads, duration, count, hang, out)
        procs.append(multiprocessing.Process(target=_process, args=work))
        first += threads
    for proc in procs:
        proc.start()
    total = Tally()
    for _ in procs:
        total.add(out.get(timeout=(duration if soak is None else 3600) + hang + 300))
    for proc in procs:
        proc.join(10)
    return total, time.perf_counter() - started


def _growth(before: int, after: int) -> str:
    return f"{(after - before) / before * 100:+.1f}%" if before else "n/a"


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000 if ordered else float("nan")


def report(total: Tally, seconds: float) -> None:
    every = [x for values in total.latencies.values() for x in values]
    print(f"\n{len(every)} answers in {seconds:.1f} s: {len(every) / seconds:.1f} req/s")
    print(f"  {'kind':9s} {'answers':>8s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s}")
    for kind in [*WEIGHTS, "all"]:
        values = every if kind == "all" else total.latencies.get(kind, [])
        if not values:
            continue
        print(
            f"  {kind:9s} {len(values):8d} {len(values) / seconds:8.1f} "
            f"{statistics.median(values) * 1000:8.1f} {_ms(values, 0.99):8.1f}"
        )
    errors = {key: n for key, n in sorted(total.statuses.items(), key=str) if key[1] != 200}
    print("not 200, by kind and status: " + (", ".join(f"{k} {s}: {n}" for (k, s), n in errors.items()) or "none"))
    if any(status == 503 for _, status in errors):
        print(f"  503 without Retry-After: {total.retry_missing}")
    print(f"hangs (no answer within the client timeout): {total.hangs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (ignored with --soak)")
    parser.add_argument("--soak", type=int, default=None, help="send this many requests in all instead")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--processes", type=int, default=4, help="client processes the clients are spread over")
    parser.add_argument("--hang", type=float, default=30.0, help="seconds after which a request counts as hung")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before the first RSS reading")
    parser.add_argument("--serve-args", default="", help="extra cyberframe serve arguments, e.g. '--workers 2'")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cyberframe-load-") as tmp:
        target = start_cyberframe("cyberframe", Path(tmp), args.serve_args.split())
        try:
            pid = target.process.pid
            mix = round_of_requests(named_paths(target.port))
            kinds = Counter(kind for kind, _, _ in mix)
            print(f"server: cyberframe serve {args.serve_args}(pid {pid}, 127.0.0.1:{target.port})")
            print(f"machine: {os.cpu_count()} CPUs; clients: {args.clients} keep-alive connections")
            print("mix per round: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
            run(target, mix, args.clients, args.processes, args.warmup, None, args.hang)
            main_before, workers_before = memory(pid)
            print(
                f"RSS after warm-up: main {main_before / 2**20:.1f} MiB, "
                f"processes below it {workers_before / 2**20:.1f} MiB; "
                f"answer cache {cache_bytes(target.port) / 2**20:.1f} MiB"
            )
            total, seconds = run(target, mix, args.clients, args.processes, args.duration, args.soak, args.hang)
            report(total, seconds)
            main_after, workers_after = memory(pid)
            print(
                f"RSS at the end: main {main_after / 2**20:.1f} MiB ({_growth(main_before, main_after)}), "
                f"processes below it {workers_after / 2**20:.1f} MiB ({_growth(workers_before, workers_after)}); "
                f"answer cache {cache_bytes(target.port) / 2**20:.1f} MiB"
            )
        finally:
            target.stop()


if __name__ == "__main__":
    main()
