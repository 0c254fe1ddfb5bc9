"""What finding and the job tree share: bounded list fetches, the name order, and a memory of where each customer sits in the customer:job tree.

The memory (customer id -> full name, level, parent) is filled from every list and
record the dashboard sees. It lets the customer page start the job tree's lookups at the
same time as the record's, when it already knows the customer's full name: one
QuickBooks round trip instead of two.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache

from dashboard.caching.freshness import cache_key
from dashboard.conductor import records
from dashboard.conductor.client import ConductorClient, CustomerQuery


def sort_key(customer: "records.Customer | Position") -> str:
    # Conductor compares names case-insensitively; so do we, or pages would overlap.
    return customer.full_name.casefold()


def fetch_bounded(
    conductor: ConductorClient, query: CustomerQuery, most: int, timeout: float | None = None
) -> tuple[list[records.Customer], bool, str | None]:
    """Every match up to `most`, following the cursor; whether more were left; and the
    last call's request id."""
    found: list[records.Customer] = []
    cursor = None
    while True:
        page = conductor.list_customers(query, limit=150, cursor=cursor, timeout=timeout)
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


def remember_positions(conductor_id: str, customers: "Iterable[records.Customer | Position]") -> None:
    cache.set_many(
        {
            cache_key("position", conductor_id, c.id): Position(c.id, c.full_name, c.sublevel, c.parent)
            for c in customers
        },
        timeout=POSITION_TTL,
    )


def known_position(conductor_id: str, customer_id: str) -> Position | None:
    position = cache.get(cache_key("position", conductor_id, customer_id))
    return position if isinstance(position, Position) else None
