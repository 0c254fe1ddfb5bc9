"""Request coalescing: simultaneous requests for the same data share one upstream call.

Within a process, the first caller for a key runs the fetch and the others wait for
its result (or its exception). Across processes, the leader also takes a lock in the
cache; a process that finds the lock taken waits for the leader's result to appear in
the cache instead of calling Conductor itself. With the local-memory cache that second
step is per process; with Redis it spans every server. A request waits for another's
call only as long as its own budget lasts (request_budget.py): then it is a timeout, not
a second call of its own.
"""

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

from dashboard import request_budget
from dashboard.conductor import errors


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


_lock = threading.Lock()
_flights: dict[str, _Flight] = {}


def coalesced(
    key: str, fetch: Callable[[], Any], *, published: Callable[[float], Any | None], lock_seconds: float
) -> Any:
    """Run `fetch` once for all concurrent callers of `key`.

    `published(since)` returns the result another process stored after `since` (epoch
    seconds), or None; `fetch` itself must store what it returns, so that other
    processes can find it."""
    with _lock:
        existing = _flights.get(key)
        leader = existing is None
        flight = _flights[key] = _Flight() if existing is None else existing
    if not leader:
        if not flight.done.wait(request_budget.remaining()):  # None: as long as the leader takes
            raise errors.RequestTimeoutError("Conductor did not answer in time.")
        if flight.error is not None:
            raise flight.error
        return flight.result
    try:
        flight.result = _across_processes(key, fetch, published, lock_seconds)
        return flight.result
    except BaseException as exc:
        flight.error = exc
        raise
    finally:
        flight.done.set()
        with _lock:
            _flights.pop(key, None)


def lock_key(key: str) -> str:
    """The cache key a process holds while it fetches `key` for every process."""
    return f"lock:{key}"


def _across_processes(
    key: str, fetch: Callable[[], Any], published: Callable[[float], Any | None], lock_seconds: float
) -> Any:
    held = lock_key(key)
    since = time.time()
    left = request_budget.remaining()
    # Waiting for another process's call ends with this request's own budget, if sooner.
    wait = lock_seconds if left is None else min(left, lock_seconds)
    out_of_budget = wait < lock_seconds
    deadline = request_budget.clock() + wait
    while True:
        if cache.add(held, 1, timeout=int(lock_seconds) + 1):
            try:
                # The previous holder may have published just before letting go.
                result = published(since)
                return result if result is not None else fetch()
            finally:
                cache.delete(held)
        result = published(since)
        if result is not None:
            return result
        if request_budget.clock() >= deadline:
            if out_of_budget:  # the leader is slow, and this request cannot wait longer
                raise errors.RequestTimeoutError("Conductor did not answer in time.")
            return fetch()  # the leader vanished: do not wait for ever
        time.sleep(random.uniform(0.01, 0.03))
