"""Cache backends that fail soft: a cache that cannot answer (Redis away, a disk shard that
is no longer a database) behaves as an empty cache that keeps nothing, and says so in the
log once, instead of taking every page and sign-in down with it.

Everything the dashboard keeps in the cache can be done without it, only less well:
sessions are written through to the database (`cached_db`), a record is fetched again
instead of read, simultaneous opens are coalesced per process only (an `add` that cannot
be answered is taken as the lock won), learned limits start again from their defaults,
and the per-address count of refused requests starts again. Readiness (`/readyz`) asks
each backend whether it really answers (`readiness_problem`).
"""

import logging
import threading
from contextlib import suppress
from typing import Any

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

logger = logging.getLogger("dashboard.cache")

# Caches (by location) whose last call failed, in this process: the failure is logged when
# it starts and when it ends, not once per call and thread.
_failing: set[str] = set()
_failing_lock = threading.Lock()


class FailSoft(BaseCache):
    """Mixin for a cache backend: its `unavailable` exceptions become misses."""

    unavailable: tuple[type[BaseException], ...] = ()
    location = ""

    def recover(self, exc: BaseException) -> None:
        """A backend's chance to mend itself after a failure (a disk shard rebuilt)."""

    def readiness_problem(self) -> str | None:
        """What keeps the cache from answering now, in words for the log; None when it answers."""
        raise NotImplementedError

    def _soft(self, operation: str) -> "_Soft":
        """Runs one cache call: `with self._soft("get"): return …` then the miss's answer."""
        return _Soft(self, operation)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        with self._soft("get"):
            return super().get(key, default, version=version)
        return default

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        with self._soft("get_many"):
            return super().get_many(keys, version=version)
        return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        with self._soft("has_key"):
            return super().has_key(key, version=version)
        return False

    def set(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> Any:
        with self._soft("set"):
            return super().set(key, value, timeout=timeout, version=version)
        return False

    def set_many(self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> list[Any]:
        with self._soft("set_many"):
            return super().set_many(data, timeout=timeout, version=version)
        return list(data)

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with self._soft("add"):
            return super().add(key, value, timeout=timeout, version=version)
        # Taken as added: a lock no cache can hold is this caller's (it then does the work
        # itself), and a counter no cache can keep starts again at one.
        return True

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with self._soft("touch"):
            return super().touch(key, timeout=timeout, version=version)
        return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        with self._soft("delete"):
            return super().delete(key, version=version)
        return False

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        with self._soft("delete_many"):
            super().delete_many(keys, version=version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        with self._soft("incr"):
            return super().incr(key, delta, version=version)
        raise ValueError(f"Key {key!r} not found.")  # what Django's own backends say of a key they do not hold

    def decr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self.incr(key, -delta, version=version)

    def clear(self) -> None:
        with self._soft("clear"):
            super().clear()


class _Soft:
    """Swallows the backend's `unavailable` exceptions (the caller then answers as a miss),
    logging when failures start and when they end, and lets the backend mend itself."""

    def __init__(self, backend: FailSoft, operation: str) -> None:
        self.backend = backend
        self.operation = operation

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, traceback: object) -> bool:
        location = self.backend.location
        if exc is None:
            if location in _failing:
                with _failing_lock:
                    if location in _failing:
                        _failing.discard(location)
                        logger.warning("cache answers again")
            return False
        if not isinstance(exc, self.backend.unavailable):
            return False
        with _failing_lock:
            first = location not in _failing
            _failing.add(location)
        if first:
            logger.warning(
                "cache %s failed (%s: %s): pages go on without it until it answers again",
                self.operation,
                type(exc).__name__,
                str(exc)[:200],
            )
        with suppress(*self.backend.unavailable):  # not mended yet: the next call tries again
            self.backend.recover(exc)
        return True


class RedisCache(FailSoft, DjangoRedisCache):
    """Django's Redis backend, failing soft while Redis cannot be reached."""

    # Not only away (connection refused, timed out): full (OOM), read-only (a replica after
    # a failover), loading. Whatever Redis says, a page goes on without it.
    unavailable = (redis.exceptions.RedisError,)

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.location = f"redis:{server}"

    def readiness_problem(self) -> str | None:
        try:
            self._cache.get_client(write=True).ping()
        except self.unavailable as exc:
            return f"Redis does not answer ({type(exc).__name__}: {str(exc)[:200]})"
        return None
