"""A least-recently-used cache bounded in entries and bytes, shared by the request threads.

Everything the hub caches (parsed cards, parsed result files, tree nodes) is keyed by a content
digest, so entries never go stale; the bounds only keep hostile or huge inputs from growing memory.
"""

from __future__ import annotations

import collections
import threading


class BoundedCache:
    """A least-recently-used map bounded both in entries and in (estimated) bytes."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: collections.OrderedDict[str, tuple[object, int]] = collections.OrderedDict()
        self.bytes = 0
        self._lock = threading.Lock()  # requests run in several threads

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: str, value: object, size: int) -> None:
        with self._lock:
            if key in self._items:
                self.bytes -= self._items.pop(key)[1]
            if size > self.max_bytes:
                return  # larger than the whole cache: recomputed on each use instead
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.max_entries or self.bytes > self.max_bytes:
                self.bytes -= self._items.popitem(last=False)[1][1]
