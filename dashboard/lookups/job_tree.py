"""The customer:job tree around one customer: its ancestors (linked by id, resolved in
one fullNames lookup) and its direct jobs, fetched side by side.

QuickBooks has no "children of" filter: a customer's jobs are the customers whose full
name starts with its own followed by ":", found with an inclusive name range.
"""

import logging
from concurrent.futures import Future
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from dashboard.caching.company_limit import has_room
from dashboard.caching.freshness import cache_key
from dashboard.caching.side_by_side import start_lookup
from dashboard.conductor import records
from dashboard.conductor.client import ConductorClient, CustomerQuery
from dashboard.customer_index import local_copy
from dashboard.lookups.customer_lists import Position, fetch_bounded, known_position, remember_positions, sort_key
from dashboard.models import Company
from dashboard.problems import LOOKUP_FAILURES, problem_for

logger = logging.getLogger("dashboard.lookups.job_tree")

MAX_JOBS = 300


@dataclass(frozen=True)
class Ancestor:
    name: str
    full_name: str
    customer_id: str | None


@dataclass(frozen=True)
class Hierarchy:
    ancestors: list[Ancestor]
    jobs: list[records.Customer]
    jobs_truncated: bool
    problem: str | None  # why part of the tree could not be loaded
    # Every job and sub-job below the customer (what its account activity covers).
    descendant_ids: tuple[str, ...] = ()


# Where a customer sits in the tree: its record, or what a list remembered of it.
type Place = records.Customer | Position
# The tree's lookups, started before the record arrived, and the place they asked about.
type EarlyTree = Future[tuple[Hierarchy, Place]]


def _ancestor_names(customer: Place) -> list[tuple[str, str]]:
    parts = customer.full_name.split(":")
    return [(parts[i], ":".join(parts[: i + 1])) for i in range(len(parts) - 1)]


def _parent_link(customer: Place) -> dict[str, str]:
    """The parent's id comes with the customer itself: no lookup needed for it."""
    parent = customer.parent
    if parent and parent.id and parent.full_name:
        return {parent.full_name.casefold(): parent.id}
    return {}


def _resolve_full_names(conductor: ConductorClient, full_names: list[str]) -> dict[str, str]:
    """full name (casefolded) -> id, for all of them in one fullNames lookup."""
    page = conductor.list_customers(CustomerQuery(full_names=tuple(full_names)), limit=min(150, len(full_names)))
    return {c.full_name.casefold(): c.id for c in page.customers}


def _subtree(conductor: ConductorClient, customer: Place) -> tuple[list[records.Customer], bool, tuple[str, ...]]:
    """The direct jobs, whether the lookup was cut short, and every descendant's id."""
    # Every descendant's full name starts with "<full name>:"; ";" is the character
    # after ":", so this inclusive range holds exactly the subtree.
    query = CustomerQuery(status="all", name_from=customer.full_name + ":", name_to=customer.full_name + ";")
    found, truncated, _ = fetch_bounded(conductor, query, MAX_JOBS)
    prefix = customer.full_name.casefold() + ":"
    below = [c for c in found if sort_key(c).startswith(prefix)]
    jobs = [c for c in below if c.sublevel == customer.sublevel + 1]
    return sorted(jobs, key=sort_key), truncated, tuple(c.id for c in below)


def start_early(company: Company, customer_id: str, *, refresh: bool = False) -> EarlyTree | None:
    """Start the tree's lookups before the record arrives, when the customer's place in
    the tree is already known (it was in a list or a tree seen before) and the tree is
    not cached, and the company has a free place now. Returns the running lookup, or None."""
    position = known_position(company.conductor_id, customer_id)
    if position is None or (not refresh and cache.get(_tree_key(company.conductor_id, position)) is not None):
        return None
    if not has_room(company.conductor_id):
        # Pages are queueing for this company: the record goes first, and the tree after
        # it only if the page is still being answered.
        return None
    return start_lookup(_hierarchy, company.conductor(), position)


def _tree_key(conductor_id: str, position: Place) -> str:
    return cache_key("tree", conductor_id, position.id, position.full_name)


def provisional(customer: records.Customer) -> Hierarchy:
    """The tree as far as the record alone tells it, before any lookup: the ancestors by
    name, the parent linked (its id comes with the record), no jobs yet."""
    known = _parent_link(customer)
    ancestors = [Ancestor(name, full, known.get(full.casefold())) for name, full in _ancestor_names(customer)]
    return Hierarchy(ancestors, [], False, None)


def from_copy(company: Company, customer: records.Customer) -> Hierarchy:
    """The tree as the local copy holds it: no call, nothing left out but past MAX_JOBS."""
    below = local_copy.below(company, customer.full_name)
    jobs = sorted((c for c in below if c.sublevel == customer.sublevel + 1), key=sort_key)
    names = _ancestor_names(customer)
    known = local_copy.ids_by_full_name(company, [full for _, full in names])
    known.update(_parent_link(customer))
    ancestors = [Ancestor(name, full, known.get(full.casefold())) for name, full in names]
    return Hierarchy(ancestors, jobs[:MAX_JOBS], len(jobs) > MAX_JOBS, None, tuple(c.id for c in below))


def forget(company: Company, customer: records.Customer) -> None:
    """Drop the cached tree, so the next lookup asks QuickBooks again."""
    cache.delete(_tree_key(company.conductor_id, customer))


def cached_hierarchy(company: Company, customer: records.Customer) -> Hierarchy | None:
    """The tree if it is cached; never calls anything."""
    cached = cache.get(_tree_key(company.conductor_id, customer))
    return cached if isinstance(cached, Hierarchy) else None


def hierarchy(
    company: Company, customer: records.Customer, *, refresh: bool = False, early: EarlyTree | None = None
) -> Hierarchy:
    """Ancestors with their ids and the direct jobs, fetched side by side.

    `early` is the lookup start_early began for this customer; it is used when the
    record confirms the full name and level it was started with. A failure here never
    breaks the customer page: it is reported as a problem and the page shows what it has
    (the parent's link comes with the customer itself). Only a complete tree is cached,
    for as long as the customer record."""
    key = _tree_key(company.conductor_id, customer)
    cached = None if refresh else cache.get(key)
    if isinstance(cached, Hierarchy):
        return cached
    tree: Hierarchy | None = None
    if early is not None:
        tree, started_for = early.result()
        if (started_for.full_name, started_for.sublevel) != (customer.full_name, customer.sublevel):
            tree = None  # renamed or moved since: the early lookup asked about another place
    if tree is None:
        tree, _ = _hierarchy(company.conductor(), customer)
    remember_positions(company.conductor_id, [customer, *tree.jobs])
    if tree.problem is None:
        cache.set(key, tree, timeout=settings.CUSTOMER_CACHE_TTL)
    return tree


def _hierarchy(conductor: ConductorClient, customer: Place) -> tuple[Hierarchy, Place]:
    """The tree around `customer` (a record or a Position), and what it was asked for."""
    names = _ancestor_names(customer)
    known = _parent_link(customer)
    unknown = [full for _, full in names if full.casefold() not in known]
    # The ancestors' lookup runs beside the jobs' lookup, which runs in this thread.
    ancestors_call = start_lookup(_resolve_full_names, conductor, unknown) if unknown else None

    problems = []
    try:
        jobs, truncated, descendant_ids = _subtree(conductor, customer)
    except LOOKUP_FAILURES as exc:
        logger.warning("jobs of %s not loaded: %s", customer.id, exc)
        jobs, truncated, descendant_ids = [], False, ()
        problems.append(f"Jobs could not be loaded: {problem_for(exc).summary}")
    if ancestors_call:
        try:
            known.update(ancestors_call.result())
        except LOOKUP_FAILURES as exc:
            logger.warning("ancestors of %s not resolved: %s", customer.id, exc)
            problems.insert(0, "The links of higher-level customers could not be loaded.")
    ancestors = [Ancestor(name, full, known.get(full.casefold())) for name, full in names]
    return Hierarchy(ancestors, jobs, truncated, " ".join(problems) or None, descendant_ids), customer
