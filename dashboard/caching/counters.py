"""A counter in the shared cache, for limits that every worker must see alike."""

from django.core.cache import cache


def count_up(key: str, timeout: float | None) -> int:
    """Add one to the counter at `key` and return the new count. A new counter starts at
    1 and lives `timeout` seconds from then (None: until evicted); adding does not extend it."""
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # it expired between the two calls
        cache.add(key, 1, timeout=timeout)
        return 1
