"""Helpers of the hardening tests: timing, the server's memory, a listener.

Every test of this kind asserts the exact status, a bound on the time the
answer took, that the service still answers ``/health`` afterwards, and, where
a hostile request could make the service connect somewhere, that a listener on
127.0.0.1 saw no connection.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from typing import TypeVar

from sparql_support import Server
from sparql_support import listening as listener  # re-exported for the tests here

__all__ = ["assert_up", "listener", "raw_request", "rss_bytes", "timed", "tree_rss_bytes"]

T = TypeVar("T")


def timed(call: Callable[[], T]) -> tuple[T, float]:
    """The result of *call* and the seconds it took."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def assert_up(server: Server) -> None:
    """The service is still running and answers ``/health`` at once."""
    assert server.process.poll() is None, "the server exited"
    health, seconds = timed(lambda: server.request("GET", "/health", timeout=10))
    assert health.status == 200 and seconds < 5, (health.status, seconds)


def rss_bytes(pid: int) -> int:
    """Resident memory of process *pid* (``VmRSS`` in /proc, Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def descendants(pid: int) -> list[int]:
    """Every process below *pid* (HTTP worker processes, query workers), from /proc."""
    found: list[int] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as listing:
                    children = [int(child) for child in listing.read().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of *pid* and every process below it: whatever processes serve HTTP are counted.

    Validation workers are left out: they start in the background after the server is up and load the SHACL
    engines, so their arrival would read as growth; no request of these tests reaches them."""
    total = 0
    for member in (pid, *descendants(pid)):
        try:
            with open(f"/proc/{member}/cmdline", "rb") as cmdline:
                if b'"preload": ["' in cmdline.read():
                    continue
            total += rss_bytes(member)
        except (OSError, RuntimeError):
            continue  # gone meanwhile
    return total


def raw_request(port: int, head: bytes, timeout: float = 15.0) -> tuple[int, bytes]:
    """Send *head* (a request line and headers, bytes as they are) and read the answer: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]
