"""Answers of a read-only dataset, kept: an LRU cache bounded in bytes, with single flight.

The dataset never changes while the service runs (docs/architecture.md), so the
answer to the same query, dataset and format is the same bytes every time; it
is safe to keep it for as long as memory allows. Concurrent requests for an
answer that is being computed wait for that one computation instead of
starting their own ("single flight"), and share its failure too, so N copies
of a runaway query occupy one worker, not N.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


@dataclass
class Answer:
    """A finished response body and what the HTTP layer needs to send it."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        """The body gzip-compressed (computed once; ``mtime=0`` keeps it byte-stable)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        return len(self.body) + len(self._gzipped or b"") + 256


class FlightsFull(Exception):
    """Too many requests already wait for answers being computed."""


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.answer: Answer | None = None
        self.error: BaseException | None = None


class AnswerCache:
    """Least-recently-used answers up to *max_bytes* in all; bigger single answers are not kept."""

    def __init__(self, max_bytes: int, max_entry_bytes: int, max_waiters: int = 16) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.max_waiters = max_waiters
        self._entries: OrderedDict[Hashable, tuple[Answer, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._waiters = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[0]

    def put(self, key: Hashable, answer: Answer, key_size: int = 0) -> None:
        """Keep *answer*; *key_size* is what the key weighs (the query text), counted with the answer."""
        size = answer.size + key_size
        if size > min(self.max_entry_bytes, self.max_bytes):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (answer, size)
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted

    def get_or_compute(
        self, key: Hashable, compute: Callable[[], Answer], wait: float, key_size: int = 0
    ) -> Answer:
        """The cached answer, or the result of *compute* - run once however many ask at the same time.

        A request that joins a computation in flight waits at most *wait*
        seconds for it, then computes on its own; if :attr:`max_waiters`
        requests wait already, it raises :class:`FlightsFull` instead.
        """
        answer = self.get(key)
        if answer is not None:
            return answer
        with self._lock:
            self.misses += 1
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
            elif self._waiters >= self.max_waiters:
                raise FlightsFull(f"{self._waiters} requests already wait for answers in progress")
            else:
                self._waiters += 1
        assert flight is not None
        if not leader:
            try:
                finished = flight.done.wait(wait)
            finally:
                with self._lock:
                    self._waiters -= 1
            if finished:
                if flight.error is not None:
                    raise flight.error
                assert flight.answer is not None
                return flight.answer
            return compute()
        try:
            answer = compute()
            flight.answer = answer
            if self.max_bytes > 0 and answer.status == 200:  # a refusal or failure may pass: never kept
                self.put(key, answer, key_size)
            return answer
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    def status(self) -> dict[str, int]:
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }
