"""When a failed Conductor call is worth another try, and how long to wait first.

The client's loop applies it (dashboard/conductor/client.py): bounded by
CONDUCTOR_MAX_RETRIES and by the call's total time budget.
"""

import random

from dashboard.conductor import errors

# Retry only where another try can help: a connection that failed or was reset, a
# rate limit, Conductor's own 500/503. Never a QuickBooks connection error (the
# QuickBooks user must act first) and never a timeout (it would double the wait).
RETRY_STATUSES = {429, 500, 503}
MAX_RETRY_AFTER_SECONDS = 60


def backoff(retry: int) -> float:
    """The official SDKs' schedule, with jitter so retries from many threads spread out."""
    return float(min(0.5 * 2**retry, 8.0)) * random.uniform(0.75, 1.0)


def delay_before_retry(exc: errors.ConductorError, retry_after: str | None, retry: int) -> float | None:
    """Seconds to wait before trying again, or None when a retry cannot help."""
    if isinstance(exc, errors.ConnectError):
        return backoff(retry)
    if isinstance(exc, errors.IntegrationConnectionError) or exc.status not in RETRY_STATUSES:
        return None
    seconds = retry_after_seconds(retry_after)
    return seconds if seconds is not None else backoff(retry)


def retry_after_seconds(header: str | None) -> float | None:
    """A Retry-After in seconds when it is one we would honour (0 to 60 s), else None."""
    try:
        seconds = float(header) if header else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= MAX_RETRY_AFTER_SECONDS else None
