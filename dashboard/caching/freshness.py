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
from dataclasses import dataclass
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
# kept before request ids were checked may hold whatever an upstream put there).
KEY_VERSION = "v3"


@dataclass(frozen=True)
class Fetched[T]:
    value: T
    fetched_at: float  # epoch seconds
    from_cache: bool
    stale_because: errors.ConductorError | CompanyBusyError | None = None  # set when shown despite a failure

    @property
    def fetched_at_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.fetched_at, tz=UTC)


_SAFE_PART = re.compile(r"[A-Za-z0-9_.-]{1,80}", re.ASCII)


def cache_key(*parts: str) -> str:
    """A key valid for every cache backend: any part that is not a short plain token
    (upstream text, search input) is replaced by its hash."""
    safe = [p if _SAFE_PART.fullmatch(p) else hashlib.sha256(p.encode()).hexdigest()[:32] for p in parts]
    return ":".join(["dash", KEY_VERSION, *safe])


def peek(key: str, *, ttl: float) -> Fetched | None:
    """The cached value if it is still fresh, else None; never calls anything."""
    entry = cache.get(key)
    if entry is not None and time.time() - entry[1] < ttl and not entry[2:]:
        return Fetched(entry[0], entry[1], from_cache=True)
    return None


def mark_stale(key: str) -> None:
    """The next lookup fetches again, while the copy stays as a stale fallback (a
    Refresh of the page it belongs to). Entries are (value, fetched_at[, stale])."""
    entry = cache.get(key)
    if entry is not None:
        cache.set(key, (entry[0], entry[1], True), timeout=settings.STALE_MAX_AGE)


def get_or_fetch[T](key: str, fetch: Callable[[], T], *, ttl: float, refresh: bool = False) -> Fetched[T]:
    """The cached value if fresh (and not refreshing); else one coalesced fetch."""
    if not refresh:
        fresh = peek(key, ttl=ttl)
        if fresh is not None:
            return fresh

    def fetch_and_store() -> tuple[Any, float]:
        value = fetch()
        stored = (value, time.time())
        cache.set(key, stored, timeout=settings.STALE_MAX_AGE)
        return stored

    def published(since: float) -> tuple[Any, float] | None:
        found = cache.get(key)
        return found if found is not None and found[1] >= since else None

    try:
        value, fetched_at = coalesced(
            key,
            fetch_and_store,
            published=published,
            lock_seconds=settings.CONDUCTOR_TOTAL_BUDGET + settings.CONDUCTOR_CONNECT_TIMEOUT,
        )
    except UNREACHABLE as exc:
        entry = cache.get(key)
        if entry is not None and time.time() - entry[1] < settings.STALE_MAX_AGE:
            return Fetched(entry[0], entry[1], from_cache=True, stale_because=exc)
        raise
    return Fetched(value, fetched_at, from_cache=False)
