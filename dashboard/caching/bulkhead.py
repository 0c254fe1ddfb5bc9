"""A cap on concurrent Conductor calls per company.

QuickBooks Desktop answers one request at a time per company file; a burst of staff
must not stack dozens of calls on it, nor let one hanging company hold every web
thread. A call takes one of N slots for its company or, after a short wait, fails
with CompanyBusyError (a clear "try again in a moment" page) so the thread is free again.

Slots are cache keys taken with an atomic add and released on exit, leased for
longer than any call may take (so a crashed process cannot hold one for ever). With
the local-memory cache the cap holds per process; with Redis it holds across every
server sharing that cache.
"""

import random
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from dashboard.failures import CompanyBusyError


def _lease_seconds() -> int:
    return int(settings.CONDUCTOR_TOTAL_BUDGET + settings.CONDUCTOR_CONNECT_TIMEOUT + 5)


@contextmanager
def company_slot(company_id: str) -> Iterator[None]:
    size = settings.CONDUCTOR_MAX_CALLS_PER_COMPANY
    deadline = time.monotonic() + settings.CONDUCTOR_BULKHEAD_WAIT
    token = uuid.uuid4().hex
    key = None
    while key is None:
        # Start at a random slot so waiters do not all hammer slot 0.
        first = random.randrange(size)
        for i in range(size):
            candidate = f"bulkhead:{company_id}:{(first + i) % size}"
            if cache.add(candidate, token, timeout=_lease_seconds()):
                key = candidate
                break
        else:
            if time.monotonic() >= deadline:
                raise CompanyBusyError(f"{size} lookups are already running for this company.")
            time.sleep(random.uniform(0.01, 0.03))
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
