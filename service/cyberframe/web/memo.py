"""A small least-recently-used memo bounded in entries and in bytes, for what a request may add to memory.

The web process remembers a few things per distinct request (a GET's query
plan, whether a path names a route). Clients choose those keys, so every such
memo here is bounded twice: in entries and in the bytes its keys and values
take, as the caller measures them; an item larger than a share of the budget
is not kept at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class BoundedMemo(Generic[V]):
    """LRU of at most *max_entries* items taking at most *max_bytes* together (thread-safe)."""

    def __init__(self, max_entries: int, max_bytes: int, max_item_bytes: int | None = None) -> None:
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = max_bytes // 16 if max_item_bytes is None else max_item_bytes
        self.bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: V, size: int) -> bool:
        """Keep *value* under *key*, *size* bytes for both; False (nothing kept) if it is over the item bound."""
        if size > self.max_item_bytes:
            return False
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped
        return True
