"""The serving processes under pressure: a killed worker, sixteen clients at once, SIGTERM with clients connected.

Each test starts its own ``cyberframe serve`` on 127.0.0.1 (tests/sparql_support.py)
and checks the exact status, a bounded time and that the service is still up
(docs/serving.md, "Process model").
"""

from __future__ import annotations

import os
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sparql_support import Server, child_processes, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds worker processes in /proc"),
]

#: 4,000 x 1,000 solutions counted: about a second of work, whose answer is known exactly.
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?a WHERE { ?a ?b ?c } LIMIT 4000 } "
    "{ SELECT ?d WHERE { ?d ?e ?f } LIMIT 1000 } }"
)


def _workers_of(pid: int) -> list[int]:
    """The query worker processes among the descendants of *pid* (validation workers preload modules; these don't)."""
    return child_processes(pid, deep=True, excluding=b'"preload": ["')


def _wait_for(predicate, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def test_health_counts_a_killed_worker_at_once_and_it_is_replaced(request, tmp_path: Path) -> None:
    """SIGKILL to an idle worker: /health says so without any query, and the pool is whole again within seconds."""
    server = start_server(request, ["--http-workers", "1", "--workers", "2", "--quiet"], tmp_path / "serve.log")
    try:
        workers = _wait_for(lambda: len(_workers_of(server.process.pid)) == 2 and _workers_of(server.process.pid), 10)
        assert workers and len(workers) == 2
        health = server.get(path="/health").json()["workers"]
        assert (health["alive"], health["lost"]) == (2, 0)
        os.kill(workers[0], signal.SIGKILL)
        killed = time.monotonic()
        seen = _wait_for(lambda: server.get(path="/health").json()["workers"]["lost"] == 1, 2.0)
        assert seen, "the dead worker was not noticed"
        assert time.monotonic() - killed < 1.0, "noticed late"
        whole = _wait_for(lambda: server.get(path="/health").json()["workers"]["alive"] == 2, 5.0)
        assert whole, "no replacement within 5 s"
        health = server.get(path="/health").json()
        assert health["status"] == "ok" and health["workers"]["processes_started"] == 3
        assert workers[0] not in _workers_of(server.process.pid)
        assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }")[0]["n"]
    finally:
        assert server.stop() == 0


def test_sixteen_clients_of_uncached_queries_wait_in_the_queue(request, tmp_path: Path) -> None:
    """16 clients, each sending distinct (never cached) queries: every one is answered 200, none 503."""
    server = start_server(request, ["--workers", "2", "--quiet"], tmp_path / "serve.log")
    try:

        def client(number: int) -> list[int]:
            statuses = []
            for round_ in range(4):
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRLEN(STR(?o)) > {number * 4 + round_}) }}"
                statuses.append(server.query(query, timeout=30).status)
            return statuses

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = [s for result in pool.map(client, range(16)) for s in result]
        elapsed = time.monotonic() - started
        assert statuses == [200] * 64, {s: statuses.count(s) for s in set(statuses)}
        assert elapsed < 60
        assert server.get(path="/health").status == 200
    finally:
        assert server.stop() == 0


def test_real_overload_is_answered_503_with_retry_after_promptly(request, tmp_path: Path) -> None:
    """One worker busy, room for one waiting query: of five more slow queries one waits, four get 503 at once."""
    args = ["--http-workers", "1", "--workers", "1", "--max-waiting", "1", "--cache-mb", "0", "--quiet"]
    server = start_server(request, args, tmp_path / "serve.log")
    try:

        def timed(number: int) -> tuple[int, str | None, float]:
            t0 = time.monotonic()
            response = server.query(SLOW + f" # client {number}", timeout=30)
            return response.status, response.header("Retry-After"), time.monotonic() - t0

        with ThreadPoolExecutor(max_workers=6) as pool:
            first = pool.submit(timed, 0)
            assert _wait_for(lambda: server.get(path="/health").json()["workers"]["busy"] == 1, 10)
            results = list(pool.map(timed, range(1, 6)))
            assert first.result()[0] == 200
        at_once = [r for r in results if r[0] == 503 and r[1] == "1" and r[2] < 2.0]
        assert len(at_once) == 4, results  # the queue (one place) was full: refused without waiting
        waited = [r for r in results if r not in at_once]
        # the one that waited got the worker after the first query (or, on a crowded machine, its time ran out)
        assert len(waited) == 1 and waited[0][0] in (200, 503), results
        assert server.get(path="/health").status == 200
        assert server.select("SELECT (COUNT(*) AS ?n) WHERE { ?s a ?t }")[0]["n"]
    finally:
        assert server.stop() == 0


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/sparql-results+json\r\n\r\n".encode()


def test_sigterm_drains_in_flight_requests_and_closes_idle_keep_alive(request, tmp_path: Path) -> None:
    """SIGTERM: the query in progress is answered in full, an idle keep-alive connection is closed, exit 0."""
    import urllib.parse

    args = ["--http-workers", "1", "--workers", "1", "--cache-mb", "0", "--quiet"]
    server: Server = start_server(request, args, tmp_path / "serve.log")
    slow_path = "/sparql?" + urllib.parse.urlencode({"query": SLOW})
    workers = _wait_for(lambda: _workers_of(server.process.pid), 10)
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=20) as idle,
            socket.create_connection(("127.0.0.1", server.port), timeout=20) as busy,
        ):
            idle.sendall(_request(server.port, "/health"))
            assert _read_response(idle).startswith(b"HTTP/1.1 200")
            t0 = time.monotonic()
            busy.sendall(_request(server.port, slow_path))
            time.sleep(0.3)  # the slow query is now running in the worker
            server.process.send_signal(signal.SIGTERM)
            answer = _read_response(busy)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            assert b'"4000000"' in answer, "the in-flight query was answered in full"
            assert time.monotonic() - t0 < 15
            idle.settimeout(5)
            assert idle.recv(1) == b"", "the idle keep-alive connection is closed, not left open"
        assert server.process.wait(15) == 0
    finally:
        server.stop()
    assert "stopped" in server.log_text()
    assert workers and _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 5)
