"""What the customer page shows at once: the record and the job tree around it from the
local copy, without asking QuickBooks (the page's script then asks for a live check).

Only a customer the copy does not hold (a company on its first read, a customer created
a minute ago) is read live: the record (fresh from the cache, or fetched) and, when it
costs no extra round trip, the job tree around it; the record is then copied. That
record never waits for anything else: a tree that would need a second round trip, and
the account activity, reach the page through its script (views/activity.py).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dashboard.account import Activity
from dashboard.caching.company_limit import page_budget
from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch, peek
from dashboard.caching.memo import Memo
from dashboard.conductor import records
from dashboard.customer_index import local_copy
from dashboard.customer_index.rows import store_customers
from dashboard.lookups import activity, job_tree
from dashboard.models import Company

# Pages from the copy and their rendered parts, by version, in this process too (see
# memo.py): the customers on people's screens right now (a page is opened again by its
# live check's redraw, by Back, by a colleague), not every customer of the day, so a
# worker's memory stays where it was.
_pages_here = Memo(entries=32)
_html_here = Memo(entries=128)


@dataclass(frozen=True)
class CustomerPage:
    fetched: Fetched[records.Customer]
    tree: job_tree.Hierarchy | None  # None: not known yet without a second round trip
    from_copy: bool = False  # read from the local copy, as of fetched.fetched_at
    # From the copy: the account activity too (None when the copy does not hold the
    # company's transactions yet).
    activity: Fetched[Activity] | None = None

    @property
    def customer(self) -> records.Customer:
        return self.fetched.value


def _customer_key(company: Company, customer_id: str) -> str:
    return cache_key("customer", company.conductor_id, customer_id)


def fresh_customer(company: Company, customer_id: str) -> Fetched[records.Customer] | None:
    """The customer if a fresh copy is cached; None means fetch_customer would call."""
    return peek(_customer_key(company, customer_id), ttl=settings.CUSTOMER_CACHE_TTL)


def fetch_customer(company: Company, customer_id: str, *, refresh: bool = False) -> Fetched[records.Customer]:
    """The customer, from the cache while fresh; simultaneous misses share one call."""
    conductor = company.conductor()
    return get_or_fetch(
        _customer_key(company, customer_id),
        lambda: conductor.retrieve_customer(customer_id),
        ttl=settings.CUSTOMER_CACHE_TTL,
        refresh=refresh,
    )


def customer_record(company: Company, customer_id: str, *, refresh: bool = False) -> Fetched[records.Customer]:
    """The record alone: from the copy when it holds it (unless a refresh asks), else
    fetched."""
    if not refresh and (held := local_copy.customer(company, customer_id)) is not None:
        return Fetched.from_local_copy(held.value, held.as_of)
    return fetch_customer(company, customer_id, refresh=refresh)


def open_customer(company: Company, customer_id: str, *, refresh: bool = False) -> CustomerPage:
    """The record, and its tree when that costs no second round trip, within one page's
    budget for waiting on QuickBooks. Raises what the lookups raise (see
    problems.LOOKUP_FAILURES). From the copy when it holds the customer (unless a
    refresh asks QuickBooks)."""
    if not refresh and (from_copy := _from_copy(company, customer_id)) is not None:
        return from_copy
    with page_budget():
        fetched = None if refresh else fresh_customer(company, customer_id)
        early = None
        if fetched is None:
            # When the customer's place in the tree is known, its tree is looked up while
            # the record is fetched: still one QuickBooks round trip for the page.
            early = job_tree.start_early(company, customer_id, refresh=refresh)
            fetched = fetch_customer(company, customer_id, refresh=refresh)
        tree = None
        if early is not None:
            tree = job_tree.hierarchy(company, fetched.value, refresh=refresh, early=early)
        elif not refresh:
            tree = job_tree.cached_hierarchy(company, fetched.value)
    if not fetched.from_cache and fetched.value.source and local_copy.customers_ready(company):
        # Live, then copied: a customer created a minute ago opens from the copy next time.
        store_customers(company, [fetched.value], fetched.fetched_at_datetime)
    return CustomerPage(fetched, tree)


def _from_copy(company: Company, customer_id: str) -> CustomerPage | None:
    """The whole page's data from the copy: worked out once per version of what it shows
    (see local_copy.customer_version) and day, then kept in the cache, so a page opened
    again costs two small queries instead of reading and parsing the copy again."""
    version = local_copy.customer_version(company, customer_id)
    if version is None:
        return None
    key = cache_key("copy-page", company.conductor_id, customer_id, repr(version), activity.today().isoformat())
    kept = _pages_here.get(key)
    if kept is None and isinstance(kept := cache.get(key), CustomerPage):
        _pages_here.put(key, kept)
    if isinstance(kept, CustomerPage):
        return kept
    held = local_copy.customer_for_page(company, customer_id)
    if held is None:
        return None
    found = held.record.value
    tree = job_tree.from_copy(company, found)
    as_of = held.transactions_as_of
    page = CustomerPage(
        Fetched.from_local_copy(found, held.record.as_of),
        tree,
        from_copy=True,
        activity=None if as_of is None else activity.held_activity(company, found, tree, as_of),
    )
    cache.set(key, page, timeout=settings.CUSTOMER_CACHE_TTL)
    _pages_here.put(key, page)
    return page


def rendered_once(render: Callable[[], str], *version: str) -> str:
    """A part of a page rendered once per `version` (which must name everything the
    part shows) and then kept in the cache: a cached page then costs little more than
    a trivial one. What `render` draws must not depend on the viewer."""
    key = cache_key("html", *version)
    html = _html_here.get(key)
    if isinstance(html, str):
        return html
    html = cache.get(key)
    if not isinstance(html, str):
        html = render()
        cache.set(key, html, timeout=settings.CUSTOMER_CACHE_TTL)
    _html_here.put(key, html)
    return html


def forget() -> None:
    """Drop what this process kept of pages and their parts (tests start from nothing)."""
    _pages_here.clear()
    _html_here.clear()
