"""``POST /validate`` is bounded: admission before the body is read, parsing and validation in a worker
under a time and a memory limit (docs/validation.md, "Limits"), over real HTTP against a dedicated server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from sparql_support import Server, child_processes, start_server

pytestmark = pytest.mark.slow  # a dedicated `cyberframe serve`

TIME_LIMIT = 15.0
NESTED_LEVELS = (1 << 20) // 2 - 8
#: 1 MiB of nested Turtle collections: ``<a> <p> ((((...))))``, about a million triples.
NESTED = ("<a> <p> " + "(" * NESTED_LEVELS + ")" * NESTED_LEVELS + " .").encode("ascii")
SMALL = b"<https://example.org/a> <https://example.org/p> 1 .\n"
TURTLE = {"Content-Type": "text/turtle", "Accept": "application/json"}


@pytest.fixture(scope="module")
def bounded(request, tmp_path_factory) -> Iterator[Server]:
    args = [
        "--http-workers", "1",  # one HTTP process, so one validation pool, and its memory is the one measured
        "--validate-timeout", str(TIME_LIMIT), "--validate-concurrency", "1", "--validate-memory-mb", "1536",
    ]
    server = start_server(request, args, tmp_path_factory.mktemp("limits") / "serve.log")
    yield server
    server.stop()


def _ready(server: Server) -> None:
    """Wait until a small validation succeeds (the pool has started, or replaced a stopped worker)."""
    deadline = time.monotonic() + 90
    while True:
        response = server.request("POST", "/validate", SMALL, TURTLE, timeout=60)
        if response.status == 200 or time.monotonic() > deadline:
            assert response.status == 200, response.body[:300]
            return
        time.sleep(0.5)


def _http_process(server: Server) -> int:
    """The process that reads requests: the server itself, or (gunicorn) its one HTTP worker process."""
    return next(iter(child_processes(server.process.pid, b"cyberframe.cli")), server.process.pid)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


class Sampler(threading.Thread):
    """The peak resident size of one process, sampled every 20 ms while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, _rss_kib(pid), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _rss_kib(self.pid))


def test_nested_collections_are_answered_within_the_limit_and_the_main_process_stays_small(bounded):
    assert len(NESTED) <= 1 << 20
    _ready(bounded)
    pid = _http_process(bounded)
    before = _rss_kib(pid)
    sampler = Sampler(pid)
    sampler.start()
    started = time.monotonic()
    response = bounded.request("POST", "/validate", NESTED, TURTLE, timeout=120)
    elapsed = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    assert response.status in (413, 503), response.body[:300]
    assert "limit" in response.text, response.text
    assert elapsed < TIME_LIMIT + 10, elapsed
    growth_mib = (sampler.peak - before) / 1024
    print(f"main process: {before / 1024:.0f} MiB before, peak {sampler.peak / 1024:.0f} MiB ({growth_mib:+.1f} MiB)")
    assert growth_mib < 50, growth_mib
    _ready(bounded)  # the service goes on validating


def test_busy_is_answered_at_once_before_the_body_is_parsed(bounded):
    """One worker, held by a request whose body is still arriving: the next request is 503 with Retry-After at
    once, its body never read; the held request then completes normally."""
    _ready(bounded)
    held = socket.create_connection(("127.0.0.1", bounded.port), timeout=30)
    try:
        head = (
            f"POST /validate HTTP/1.1\r\nHost: 127.0.0.1:{bounded.port}\r\nContent-Type: text/turtle\r\n"
            f"Accept: application/json\r\nContent-Length: {len(SMALL)}\r\nConnection: close\r\n\r\n"
        )
        held.sendall(head.encode("ascii") + SMALL[:10])  # the worker is reserved; the rest of the body waits
        time.sleep(0.5)
        started = time.monotonic()
        response = bounded.request("POST", "/validate", NESTED, TURTLE)
        elapsed = time.monotonic() - started
        assert response.status == 503 and response.header("Retry-After"), response.body[:300]
        assert "busy" in response.text
        assert elapsed < 3.0, elapsed
        held.sendall(SMALL[10:])
        answer = b""
        while chunk := held.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    finally:
        held.close()
    _ready(bounded)
