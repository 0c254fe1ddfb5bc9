"""What finding and the job tree share: bounded list fetches, calls side by side, the
name order, and a memory of where each customer sits in the customer:job tree.

The memory (customer id -> full name, level, parent) is filled from every list and
record the dashboard sees. It lets the customer page start the job tree's lookups at the
same time as the record's, when it already knows the customer's full name: one
QuickBooks round trip instead of two.
"""

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dashboard import records
from dashboard.conductor import client
from dashboard.conductor.client import CustomerQuery
from dashboard.freshness import cache_key
from dashboard.services import qbd

# Side-by-side Conductor calls (ancestors beside jobs, companies beside each other),
# shared by every request of the process. Sized to the web threads, so a full worker
# never queues here; the bound keeps a burst from opening unbounded threads.
_executor = ThreadPoolExecutor(max_workers=settings.CONDUCTOR_FANOUT_THREADS, thread_name_prefix="conductor")


def side_by_side(fn, *args):
    """Run fn in the pool inside a copy of this request's context (its log notes)."""
    return _executor.submit(contextvars.copy_context().run, fn, *args)


def sort_key(customer) -> str:
    # Conductor compares names case-insensitively; so do we, or pages would overlap.
    return customer.full_name.casefold()


def fetch_bounded(
    secret: str, end_user_id: str, query: CustomerQuery, most: int, timeout: float | None = None
) -> tuple[list[records.Customer], bool, str | None]:
    """Every match up to `most`, following the cursor; whether more were left; and the
    last call's request id."""
    found: list[records.Customer] = []
    cursor = None
    while True:
        page = qbd(
            end_user_id, client.list_customers, secret, end_user_id, query, limit=150, cursor=cursor, timeout=timeout
        )
        found.extend(page.customers)
        if not page.has_more or not page.next_cursor:
            return found, False, page.request_id
        if len(found) >= most:
            return found[:most], True, page.request_id
        cursor = page.next_cursor


@dataclass(frozen=True)
class Position:
    """Where a customer sits in the tree: all the job tree's lookups need."""

    id: str
    full_name: str
    sublevel: int
    parent: records.Ref | None


# Names change rarely and a wrong guess only costs a wasted lookup (it is checked
# against the record), so positions are kept for a week.
POSITION_TTL = 7 * 24 * 3600


def remember_positions(end_user_id: str, customers) -> None:
    cache.set_many(
        {
            cache_key("position", end_user_id, c.id): Position(c.id, c.full_name, c.sublevel, c.parent)
            for c in customers
        },
        timeout=POSITION_TTL,
    )


def known_position(end_user_id: str, customer_id: str) -> Position | None:
    return cache.get(cache_key("position", end_user_id, customer_id))
