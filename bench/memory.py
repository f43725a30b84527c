"""Memory and start-up of ``cyberframe serve`` with a 1M-triple ``--graph`` file, 1 against 4 query workers.

A synthetic N-Triples file of --triples triples (default 1,000,000) is
written to a temporary folder and served as an extra named graph. For each
configuration the server is started in a fresh process on a free 127.0.0.1
port; printed are the time until ``/health`` reports every query worker alive
("time to healthy"), and the memory of the whole process tree - the main
process, the HTTP processes and the query workers - as RSS and as PSS
(proportional set size: a page shared by k processes counts 1/k in each, so
the PSS sum is what the tree really costs). The first start with a new file
builds the shared store ("cold"); later starts open it ("warm"). Last, one
query worker is killed (SIGKILL) and the time until ``/health`` counts every
worker alive again is printed ("replaced"; an ASK query is sent every 0.1 s
meanwhile, for servers that only notice a dead worker when a query reaches it).

``--before DIR`` also runs another checkout's ``service/`` folder (for
example the main branch, where every worker loads its own in-memory copy) in
the same run, for comparison. Linux only (reads /proc).

    python bench/memory.py [--triples 1000000] [--before /path/to/checkout/service]

Bounded: every server is stopped (SIGTERM, then SIGKILL after 30 s); all
traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

GRAPH = "http://bench.example/graph/large"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)/sparql")


def write_graph(path: Path, triples: int) -> None:
    """Deterministic N-Triples: 10 predicates, a tenth of the objects IRIs, the rest literals."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(triples):
            subject = f"<http://bench.example/s/{i // 10}>"
            predicate = f"<http://bench.example/p/{i % 10}>"
            value = f"<http://bench.example/o/{i % 5000}>" if i % 10 == 0 else f'"value {i}"'
            out.write(f"{subject} {predicate} {value} .\n")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of *pid* in KiB."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def is_worker(pid: int) -> bool:
    try:
        return b"cyberframe.sparql.worker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def get(port: int, path: str, accept: str = "application/json") -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Result:
    label: str
    healthy_seconds: float
    main_rss: int
    main_pss: int
    worker_rss: int
    worker_pss: int
    workers: int
    processes: int
    replaced_seconds: float


def replacement_time(port: int, worker: int) -> float:
    """SIGKILL *worker*; seconds until ``/health`` counts every worker alive again (an ASK sent every 0.1 s)."""
    os.kill(worker, signal.SIGKILL)
    started = time.perf_counter()
    ask = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    time.sleep(0.05)
    while time.perf_counter() - started < 120:
        health = json.loads(get(port, "/health")[1])["workers"]
        if health["alive"] == health["size"] and health["lost"] + health["killed_on_timeout"] >= 1:
            return time.perf_counter() - started
        get(port, ask)
        time.sleep(0.1)
    return float("nan")


def run(label: str, source: Path, cache: Path, graph: Path, args: list[str], logs: Path) -> Result:
    env = {**os.environ, "PYTHONPATH": str(source), "CYBERFRAME_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", "cyberframe.cli", "serve", "--port", "0", "--quiet"]
    command += ["--graph", f"{GRAPH}={graph}", *args]
    log = logs / (re.sub(r"\W+", "-", label) + ".log")
    started = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    try:
        port = None
        while port is None:
            if process.poll() is not None:
                raise RuntimeError(f"{label}: server exited:\n{log.read_text()}")
            match = LISTENING.search(log.read_text())
            port = int(match.group(1)) if match else None
            time.sleep(0.02)
        while True:
            try:
                status, body = get(port, "/health")
                health = json.loads(body)
                if status == 200 and health["workers"]["alive"] == health["workers"]["size"]:
                    break
            except OSError:
                pass
            time.sleep(0.02)
        healthy = time.perf_counter() - started
        query = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <" + GRAPH + "> { ?s ?p ?o } }"
        status, body = get(port, "/sparql?" + urllib.parse.urlencode({"query": query}))
        assert status == 200, body[:300]
        count = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])
        time.sleep(1.0)  # let the processes settle
        tree = descendants(process.pid)
        workers = [pid for pid in tree if is_worker(pid)]
        others = [pid for pid in tree if pid not in workers]
        main = [memory_kib(pid) for pid in others]
        used = [memory_kib(pid) for pid in workers]
        replaced = replacement_time(port, workers[0])
        print(f"  ({label}: the graph answered {count} triples)", flush=True)
        return Result(
            label,
            healthy,
            sum(r for r, _ in main),
            sum(p for _, p in main),
            sum(r for r, _ in used),
            sum(p for _, p in used),
            len(workers),
            len(others),
            replaced,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--before", type=Path, help="another checkout's service/ folder to run first, for comparison")
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1] / "service"
    with tempfile.TemporaryDirectory(prefix="cyberframe-memory-") as tmp:
        tmpdir = Path(tmp)
        graph = tmpdir / "large.nt"
        write_graph(graph, args.triples)
        print(f"graph: {args.triples} triples, {graph.stat().st_size / 1e6:.0f} MB N-Triples; {os.cpu_count()} CPUs")
        plans: list[tuple[str, Path, list[str]]] = []
        if args.before:
            plans += [
                ("before, 1 worker", args.before, ["--workers", "1"]),
                ("before, 4 workers", args.before, ["--workers", "4"]),
            ]
        plans += [
            ("shared store cold, 1 HTTP x 1 worker", here, ["--http-workers", "1", "--workers", "1"]),
            ("shared store warm, 1 HTTP x 1 worker", here, ["--http-workers", "1", "--workers", "1"]),
            ("shared store warm, 1 HTTP x 4 workers", here, ["--http-workers", "1", "--workers", "4"]),
            ("shared store warm, 2 HTTP x 2 workers", here, ["--http-workers", "2", "--workers", "2"]),
        ]
        caches: dict[Path, Path] = {}
        results = []
        for label, source, extra in plans:
            if source not in caches:  # each checkout gets its own cache, its snapshot built before timing
                caches[source] = tmpdir / f"cache-{len(caches)}"
                env = {**os.environ, "PYTHONPATH": str(source), "CYBERFRAME_CACHE_DIR": str(caches[source])}
                subprocess.run(
                    [sys.executable, "-m", "cyberframe.cli", "build"], env=env, check=True, capture_output=True
                )
            print(f"{label} ...", flush=True)
            results.append(run(label, source, caches[source], graph, extra, tmpdir))
        mib = 1024
        print(
            f"\n{'configuration':40s} {'healthy':>8s} {'main+HTTP RSS':>14s} {'workers RSS':>12s} "
            f"{'total RSS':>10s} {'total PSS':>10s} {'replaced':>9s}"
        )
        for r in results:
            print(
                f"{r.label:40s} {r.healthy_seconds:7.2f}s {r.main_rss / mib:10.0f} MiB {r.worker_rss / mib:8.0f} MiB "
                f"{(r.main_rss + r.worker_rss) / mib:6.0f} MiB {(r.main_pss + r.worker_pss) / mib:6.0f} MiB"
                f" {r.replaced_seconds:8.2f}s   ({r.processes} main/HTTP, {r.workers} workers)"
            )


if __name__ == "__main__":
    main()
