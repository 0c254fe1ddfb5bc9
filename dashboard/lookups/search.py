"""Finding customers: search within a company, paging by name, jump-to, and search
across companies. (The job tree around one customer is in job_tree.py.)

Conductor's list cursor is single-use, shared by every page of one query and expires
ten seconds after the last answer, so nothing here hands a cursor to the browser. A
page's position is our own: the last full name shown.
- Browsing (no name text): Conductor pages by name itself (nameFrom = that full name,
  skipping the row that equals it), one call per page.
- A text search cannot use nameFrom (QuickBooks has one name filter per query), so it
  fetches the matches once, bounded, walking the cursor within this request, sorts
  them by full name and positions after the last name shown.
"""

import dataclasses
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import wait
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from dashboard.caching.company_limit import page_budget
from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch
from dashboard.caching.side_by_side import start_lookup
from dashboard.conductor import errors, records
from dashboard.conductor.client import ConductorClient, CustomerQuery
from dashboard.customer_index import search as customer_index
from dashboard.customer_index.models import CompanySync, IndexedCustomer
from dashboard.failures import KeyUnreadableError
from dashboard.listed import Listed
from dashboard.lookups.customer_lists import fetch_bounded, remember_positions, sort_key
from dashboard.models import Company
from dashboard.problems import LOOKUP_FAILURES, LookupFailure, problem_for
from dashboard.search_criteria import (
    DEFAULT_BALANCE,
    DEFAULT_MATCH,
    DEFAULT_ORDER,
    DEFAULT_STATUS,
    BalanceFilter,
    Match,
    Order,
    Status,
)

PAGE_SIZE = 50
MAX_TEXT_MATCHES = 600  # four calls of 150; past that, ask for a narrower search
# Sorts before any QuickBooks name (names never start with a space or control
# character), so the first page of a browse is ordered by Conductor too.
FIRST_NAME_FROM = "!"


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    match: Match = DEFAULT_MATCH
    status: Status = DEFAULT_STATUS
    balance: BalanceFilter = DEFAULT_BALANCE
    min_balance: Decimal | None = None  # with BalanceFilter.AT_LEAST
    order: Order = DEFAULT_ORDER

    def query(self) -> CustomerQuery:
        text = self.text or None
        return CustomerQuery(
            status=self.status,
            name_contains=text if self.match == Match.CONTAINS else None,
            name_starts_with=text if self.match == Match.STARTS else None,
            name_ends_with=text if self.match == Match.ENDS else None,
            total_balance_greater_than="0" if self.balance == BalanceFilter.OPEN else None,
            total_balance_greater_than_or_equal_to=(
                f"{self.min_balance:f}"
                if self.balance == BalanceFilter.AT_LEAST and self.min_balance is not None
                else None
            ),
        )


@dataclass(frozen=True)
class SearchPage:
    customers: list[records.Customer]
    after: str  # the position this page started from ("" = the start)
    next_after: str | None  # the last full name shown, when more follow
    remaining: int | None  # how many follow this page, when known
    total: int | None  # matches in all, when known (text searches)
    truncated: bool  # a text search stopped at MAX_TEXT_MATCHES
    request_id: str | None = None  # Conductor's id for the (last) call behind it


def search_company(
    company: Company, criteria: Criteria, after: str = "", *, refresh: bool = False
) -> Fetched[SearchPage]:
    """One page of results, from the cache while fresh (the page says how old)."""
    with page_budget():
        conductor = company.conductor()
        return get_or_fetch(
            cache_key("search", company.conductor_id, repr((criteria, after))),
            lambda: _search_company(conductor, criteria, after),
            ttl=settings.SEARCH_CACHE_TTL,
            refresh=refresh,
        )


def _search_company(conductor: ConductorClient, criteria: Criteria, after: str) -> SearchPage:
    position = after.casefold()
    if criteria.text:
        matches, truncated, request_id = fetch_bounded(conductor, criteria.query(), MAX_TEXT_MATCHES)
        matches.sort(key=sort_key)
        remember_positions(conductor.end_user_id, matches)
        following = [c for c in matches if sort_key(c) > position] if after else matches
        shown = following[:PAGE_SIZE]
        remaining = len(following) - len(shown)
        return SearchPage(
            customers=shown,
            after=after,
            next_after=shown[-1].full_name if remaining else None,
            remaining=remaining,
            total=len(matches),
            truncated=truncated,
            request_id=request_id,
        )

    query = dataclasses.replace(criteria.query(), name_from=after or FIRST_NAME_FROM)
    # One more than a page: the first row may be the one the position names.
    page = conductor.list_customers(query, limit=PAGE_SIZE + 1)
    rows = sorted(page.customers, key=sort_key)
    remember_positions(conductor.end_user_id, rows)
    following = [c for c in rows if sort_key(c) > position] if after else rows
    shown = following[:PAGE_SIZE]
    leftover = len(following) - len(shown)
    more = leftover > 0 or page.has_more
    following_count = page.remaining_count + leftover if page.remaining_count is not None else None
    return SearchPage(
        customers=shown,
        after=after,
        next_after=shown[-1].full_name if more and shown else None,
        remaining=following_count,
        total=None,
        truncated=False,
        request_id=page.request_id,
    )


# --- the customer index ------------------------------------------------------------


def index_in_step(companies: Sequence[Company]) -> dict[int, datetime]:
    """company pk -> when its index was last in step, for the companies whose index is
    ready (one full read done)."""
    states = (
        CompanySync.objects.ready()
        .filter(company__in=companies, in_step_at__isnull=False)
        .values_list("company_id", "in_step_at")
    )
    return {company_pk: in_step_at for company_pk, in_step_at in states if in_step_at is not None}


@dataclass(frozen=True)
class IndexPage:
    """One page of a company search answered from the index."""

    customers: list[customer_index.Hit]
    total: int
    page: int
    has_next: bool
    in_step_at: datetime | None  # None: the first sync has not finished, so partly read


def index_has_rows(company: Company) -> bool:
    return IndexedCustomer.objects.filter(company=company).exists()


def search_by_criteria(
    company: Company, criteria: Criteria, offset: int, limit: int, *, explain: bool = True
) -> customer_index.Found:
    """A company page's search, asked of the index."""
    return customer_index.search(
        [company],
        criteria.text,
        match=criteria.match,
        status=criteria.status,
        open_balance=criteria.balance == BalanceFilter.OPEN,
        min_total_balance=criteria.min_balance if criteria.balance == BalanceFilter.AT_LEAST else None,
        order=criteria.order,
        offset=offset,
        limit=limit,
        explain=explain,
    )


def search_index(company: Company, criteria: Criteria, page: int, in_step_at: datetime | None) -> IndexPage:
    found = search_by_criteria(company, criteria, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    return IndexPage(found.hits, found.total, page, found.total > page * PAGE_SIZE, in_step_at)


@dataclass(frozen=True)
class CompanySearch:
    """What a company page's search found, and where: from the customer index where it
    is ready (no call at all), else asked of QuickBooks; when QuickBooks cannot answer,
    the failure, with what the index holds (partly read, perhaps) beside it."""

    in_step_at: datetime | None  # when the company's index was last in step; None: not ready
    index_page: IndexPage | None = None
    live: Fetched[SearchPage] | None = None
    failure: LookupFailure | None = None


def find_customers(
    company: Company, criteria: Criteria, *, after: str = "", page: int = 1, live: bool = False, refresh: bool = False
) -> CompanySearch:
    """A company page's search: `live` asks QuickBooks even where the index is ready;
    `after` pages a live search by name, `page` a search of the index."""
    in_step_at = index_in_step([company]).get(company.pk)
    if in_step_at is not None and not live:
        return CompanySearch(in_step_at, index_page=search_index(company, criteria, page, in_step_at))
    try:
        fetched = search_company(company, criteria, after, refresh=refresh)
    except LOOKUP_FAILURES as exc:
        held = search_index(company, criteria, page, in_step_at) if index_has_rows(company) else None
        return CompanySearch(in_step_at, index_page=held, failure=exc)
    return CompanySearch(in_step_at, live=fetched)


def find_in_index(company: Company, full_name: str) -> str | None:
    """The id of the customer with exactly this full name, from the index."""
    row = IndexedCustomer.objects.filter(company=company, full_name__iexact=full_name).first()
    return row.customer_id if row else None


# --- jump to a customer -----------------------------------------------------------


def first_name_matches(company: Company, text: str) -> list[records.Customer]:
    """Up to two customers whose name contains `text`, asked of QuickBooks (for a company
    whose index is not ready): one is where the jump box goes, two mean a list."""
    page = company.conductor().list_customers(CustomerQuery(status="all", name_contains=text), limit=2)
    return list(page.customers)


def find_by_full_name(company: Company, full_name: str) -> records.Customer | None:
    """The customer with exactly this full name, or None.

    Conductor fails the whole request on an unknown full name (it does not return an
    empty list), so that failure means "no such customer" here."""
    try:
        page = company.conductor().list_customers(CustomerQuery(full_names=(full_name,)), limit=1)
    except (errors.NotFoundError, errors.InvalidRequestError):
        return None
    wanted = full_name.casefold()
    return next((c for c in page.customers if c.full_name.casefold() == wanted), None)


# --- search across companies -------------------------------------------------------


@dataclass(frozen=True)
class CompanyResult:
    company: Company
    customers: Sequence[Listed]
    has_more: bool
    error: str | None  # a short sentence when this company could not answer
    # From the index: when it was last in step (None: searched live in QuickBooks).
    in_step_at: datetime | None = None
    total: int = 0  # found in all (a live search: those on its first page)


@dataclass(frozen=True)
class AllCompaniesResult:
    """A search of every company: each company's part, and every customer shown ranked
    across companies (the index's matches best first, then those QuickBooks found by
    name, then matches by spelling)."""

    companies: list[CompanyResult]  # in the companies' order
    ranked: list[tuple[Company, Listed]]

    @property
    def unanswered(self) -> list[CompanyResult]:
        return [result for result in self.companies if result.error]

    @property
    def found(self) -> int:
        """Customers found, shown or not (at least: a live search says only "more")."""
        return sum(result.total for result in self.companies)

    @property
    def found_at_least(self) -> bool:
        return any(result.has_more and result.in_step_at is None for result in self.companies)


PER_COMPANY_LIMIT = 10
TOO_SLOW = "It did not answer in time."


def _search_one(conductor: ConductorClient, text: str, budget: float) -> records.CustomerPage:
    query = CustomerQuery(status="all", name_contains=text)
    return conductor.list_customers(query, limit=PER_COMPANY_LIMIT, timeout=budget)


def best_per_company(hits: list[customer_index.Hit]) -> list[customer_index.Hit]:
    """Each company's first PER_COMPANY_LIMIT hits, in the order given (best first across
    companies): what a search across companies shows."""
    kept: Counter[int] = Counter()
    shown = []
    for hit in hits:
        if kept[hit.company.pk] < PER_COMPANY_LIMIT:
            kept[hit.company.pk] += 1
            shown.append(hit)
    return shown


def search_all_companies(companies: list[Company], text: str, *, live: bool = False) -> AllCompaniesResult:
    """Every company, every status: from the customer index where it is ready (no call
    at all), else asked live, all at once, each with the same time budget and its own
    error line.

    The total wait is about one company's budget, not the sum: the calls run side by
    side (bounded by the shared pool) and whoever has not answered when the budget is
    spent is reported as too slow, without holding up the others. `live` asks
    QuickBooks (by name) even where the index is ready."""
    budget = settings.CROSS_COMPANY_SEARCH_BUDGET
    calls = {}
    results: dict[int, CompanyResult] = {}
    in_step = {} if live else index_in_step(companies)
    indexed = [company for company in companies if company.pk in in_step]
    ranked_hits: list[customer_index.Hit] = []
    if indexed:
        # One query over every indexed company, best matches first, then by company.
        found = customer_index.search(
            indexed, text, status=Status.ALL, limit=customer_index.MAX_CANDIDATES, explain=False
        )
        # What matched is worked out for the rows shown, not for every candidate.
        ranked_hits = customer_index.with_reasons(best_per_company(found.hits), text)
        for company in indexed:
            total = sum(1 for hit in found.hits if hit.company.pk == company.pk)
            shown = [hit for hit in ranked_hits if hit.company.pk == company.pk]
            results[company.pk] = CompanyResult(
                company, shown, total > len(shown), None, in_step[company.pk], total=total
            )
    for company in companies:
        if company.pk in results:
            continue
        try:
            conductor = company.conductor()
        except KeyUnreadableError as exc:
            results[company.pk] = CompanyResult(company, [], False, problem_for(exc).summary)
            continue
        calls[company.pk] = start_lookup(_search_one, conductor, text, budget)
    wait(calls.values(), timeout=budget + 0.5)
    for company in companies:
        call = calls.get(company.pk)
        if call is None:
            continue
        if not call.done():
            call.cancel()
            results[company.pk] = CompanyResult(company, [], False, TOO_SLOW)
            continue
        try:
            page = call.result()
        except LOOKUP_FAILURES as exc:
            results[company.pk] = CompanyResult(company, [], False, problem_for(exc).summary)
        else:
            customers = sorted(page.customers, key=sort_key)
            results[company.pk] = CompanyResult(company, customers, page.has_more, None, total=len(customers))
    in_order = [results[company.pk] for company in companies]
    by_name = sorted(
        (
            (result.company, customer)
            for result in in_order
            if result.in_step_at is None
            for customer in result.customers
        ),
        key=lambda pair: pair[1].full_name.casefold(),
    )
    matches = [(hit.company, hit) for hit in ranked_hits if not hit.typo]
    by_spelling = [(hit.company, hit) for hit in ranked_hits if hit.typo]
    return AllCompaniesResult(in_order, [*matches, *by_name, *by_spelling])
