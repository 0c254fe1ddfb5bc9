"""What the customer page shows: the record (fresh from the cache, or fetched) and the
job tree around it, started together when the customer's place in the tree is known.

The view only checks access and the id, calls `open_customer`, and renders.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dashboard.caching.company_limit import page_budget
from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch, peek
from dashboard.conductor import client, records
from dashboard.lookups import job_tree
from dashboard.lookups.calls import call_company, secret_for
from dashboard.models import Company


@dataclass(frozen=True)
class CustomerPage:
    fetched: Fetched[records.Customer]
    tree: job_tree.Hierarchy

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
    secret = secret_for(company)
    return get_or_fetch(
        _customer_key(company, customer_id),
        lambda: call_company(company.conductor_id, client.retrieve_customer, secret, company.conductor_id, customer_id),
        ttl=settings.CUSTOMER_CACHE_TTL,
        refresh=refresh,
    )


def open_customer(company: Company, customer_id: str, *, refresh: bool = False) -> CustomerPage:
    """The record and its tree, within one page's budget for waiting on QuickBooks.
    Raises what the lookups raise (see problems.LOOKUP_FAILURES)."""
    with page_budget():
        fetched = None if refresh else fresh_customer(company, customer_id)
        early = None
        if fetched is None:
            # When the customer's place in the tree is known, its tree is looked up while
            # the record is fetched: one QuickBooks round trip for the page, not two.
            early = job_tree.start_early(company, customer_id, refresh=refresh)
            fetched = fetch_customer(company, customer_id, refresh=refresh)
        tree = job_tree.hierarchy(company, fetched.value, refresh=refresh, early=early)
    return CustomerPage(fetched, tree)


def rendered_body(page: CustomerPage, company: Company, render: Callable[[], str]) -> str:
    """The page's data sections, rendered once per fetched copy and job tree and then
    kept in the cache: a cached page then costs little more than a trivial one. What
    `render` draws must not depend on the viewer or the clock."""
    tree = page.tree
    tree_version = repr((tuple(j.id for j in tree.jobs), tree.jobs_truncated, tree.problem))
    key = cache_key("page", company.conductor_id, page.customer.id, repr(page.fetched.fetched_at), tree_version)
    html = cache.get(key)
    if not isinstance(html, str):
        html = render()
        cache.set(key, html, timeout=settings.CUSTOMER_CACHE_TTL)
    return html
