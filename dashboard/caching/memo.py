"""What this process worked out recently, kept in its own memory: for values whose key
names everything they depend on (a version), so a key never has two values and nothing
here is ever stale. The shared cache still holds them for the other workers; this only
spares a page opened again the shared cache's read and unpickling, which were a fifth
of such a page's time.

Bounded (least recently used go first), so a worker's memory stays flat however many
customers are opened."""

import threading
from collections import OrderedDict
from collections.abc import Hashable


class Memo:
    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._entries:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
