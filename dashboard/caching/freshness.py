"""Cached Conductor data that says how old it is, with stale copies for offline times.

An entry is fresh for its TTL. It stays in the cache much longer (STALE_MAX_AGE): when
QuickBooks or Conductor cannot be reached, a copy younger than that is shown instead
of an error page, with a banner saying so and when it was fetched. A refresh skips
the fresh copy but still falls back to a stale one if the fetch fails.

Entries hold parsed records only: a card number has already been cut to its last four
digits by the parser, so no cache entry ever holds more.
"""

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from dashboard.caching.coalescing import coalesced
from dashboard.conductor import errors
from dashboard.failures import CompanyBusyError

T = TypeVar("T")

# Failures where an older copy beats an error page: the data is not wrong, only out of
# reach right now (QuickBooks offline or slow, Conductor unreachable or limiting us, or
# too many lookups already waiting on this company).
UNREACHABLE = (
    errors.IntegrationConnectionError,
    errors.ConnectError,
    errors.RequestTimeoutError,
    errors.RateLimitError,
    CompanyBusyError,
)

# Raised whenever a cached record's shape changes, or old entries must go (v3: records
# kept before request ids were checked may hold whatever an upstream put there; v4:
# entries are `Entry`, no longer tuples).
KEY_VERSION = "v4"


@dataclass(frozen=True)
class Entry:
    """What the cache holds for one key: the value, when it was fetched (epoch seconds),
    and whether a Refresh asked that it be fetched again (kept meanwhile as a fallback)."""

    value: Any
    fetched_at: float
    stale: bool = False

    def age(self) -> float:
        return time.time() - self.fetched_at


def _entry(key: str) -> Entry | None:
    found = cache.get(key)
    return found if isinstance(found, Entry) else None


@dataclass(frozen=True)
class Fetched[T]:
    value: T
    fetched_at: float  # epoch seconds
    from_cache: bool
    stale_because: errors.ConductorError | CompanyBusyError | None = None  # set when shown despite a failure
    from_copy: bool = False  # read from the local copy, as of fetched_at

    @property
    def fetched_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.fetched_at, tz=UTC)

    @classmethod
    def from_local_copy(cls, value: T, as_of: datetime) -> "Fetched[T]":
        """What the local copy holds, as of when QuickBooks last confirmed it."""
        return cls(value, as_of.timestamp(), from_cache=True, from_copy=True)


_SAFE_PART = re.compile(r"[A-Za-z0-9_.-]{1,80}", re.ASCII)


def cache_key(*parts: str) -> str:
    """A key valid for every cache backend: any part that is not a short plain token
    (upstream text, search input) is replaced by its hash."""
    safe = [p if _SAFE_PART.fullmatch(p) else hashlib.sha256(p.encode()).hexdigest()[:32] for p in parts]
    return ":".join(["dash", KEY_VERSION, *safe])


def peek(key: str, *, ttl: float) -> Fetched | None:
    """The cached value if it is still fresh, else None; never calls anything."""
    entry = _entry(key)
    if entry is not None and entry.age() < ttl and not entry.stale:
        return Fetched(entry.value, entry.fetched_at, from_cache=True)
    return None


def mark_stale(key: str) -> None:
    """The next lookup fetches again, while the copy stays as a stale fallback (a
    Refresh of the page it belongs to)."""
    entry = _entry(key)
    if entry is not None:
        cache.set(key, replace(entry, stale=True), timeout=settings.STALE_MAX_AGE)


def publish(key: str, value: object) -> Entry:
    """Store a value fetched now, where every process sharing the cache finds it."""
    entry = Entry(value, time.time())
    cache.set(key, entry, timeout=settings.STALE_MAX_AGE)
    return entry


def get_or_fetch[T](key: str, fetch: Callable[[], T], *, ttl: float, refresh: bool = False) -> Fetched[T]:
    """The cached value if fresh (and not refreshing); else one coalesced fetch."""
    # Anything stored from this moment on was fetched for this request too: a process that
    # published between the look below and the wait for its lock is not fetched after.
    asked_at = time.time()
    if not refresh:
        fresh = peek(key, ttl=ttl)
        if fresh is not None:
            return fresh

    def fetch_and_store() -> Entry:
        return publish(key, fetch())

    def published(since: float) -> Entry | None:
        found = _entry(key)
        return found if found is not None and found.fetched_at >= min(since, asked_at) else None

    try:
        entry = coalesced(
            key,
            fetch_and_store,
            published=published,
            lock_seconds=settings.CONDUCTOR_TOTAL_BUDGET + settings.CONDUCTOR_CONNECT_TIMEOUT,
        )
    except UNREACHABLE as exc:
        fallback = _entry(key)
        if fallback is not None and fallback.age() < settings.STALE_MAX_AGE:
            return Fetched(fallback.value, fallback.fetched_at, from_cache=True, stale_because=exc)
        raise
    return Fetched(entry.value, entry.fetched_at, from_cache=False)
