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
import logging
from concurrent.futures import wait
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from dashboard import records
from dashboard.conductor import client, errors
from dashboard.conductor.client import CustomerQuery
from dashboard.customer_lists import fetch_bounded, remember_positions, side_by_side, sort_key
from dashboard.freshness import Fetched, cache_key, get_or_fetch
from dashboard.models import EndUser
from dashboard.services import KeyUnreadable, qbd, secret_for

logger = logging.getLogger("dashboard.search")

PAGE_SIZE = 50
MAX_TEXT_MATCHES = 600  # four calls of 150; past that, ask for a narrower search
# Sorts before any QuickBooks name (names never start with a space or control
# character), so the first page of a browse is ordered by Conductor too.
FIRST_NAME_FROM = "!"


@dataclass(frozen=True)
class Criteria:
    text: str = ""
    match: str = "contains"  # contains | starts | ends
    status: str = "active"  # active | inactive | all
    balance: str = ""  # "" | open | min
    min_balance: Decimal | None = None

    def query(self) -> CustomerQuery:
        balance = {}
        if self.balance == "open":
            balance["total_balance_greater_than"] = "0"
        elif self.balance == "min" and self.min_balance is not None:
            balance["total_balance_greater_than_or_equal_to"] = f"{self.min_balance:f}"
        name = {}
        if self.text:
            field = {"contains": "name_contains", "starts": "name_starts_with", "ends": "name_ends_with"}[self.match]
            name[field] = self.text
        return CustomerQuery(status=self.status, **name, **balance)


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
    end_user: EndUser, criteria: Criteria, after: str = "", *, refresh: bool = False
) -> Fetched[SearchPage]:
    """One page of results, from the cache while fresh (the page says how old)."""
    secret = secret_for(end_user)
    return get_or_fetch(
        cache_key("search", end_user.conductor_id, repr((criteria, after))),
        lambda: _search_company(secret, end_user.conductor_id, criteria, after),
        ttl=settings.SEARCH_CACHE_TTL,
        refresh=refresh,
    )


def _search_company(secret: str, end_user_id: str, criteria: Criteria, after: str) -> SearchPage:
    position = after.casefold()
    if criteria.text:
        matches, truncated, request_id = fetch_bounded(secret, end_user_id, criteria.query(), MAX_TEXT_MATCHES)
        matches.sort(key=sort_key)
        remember_positions(end_user_id, matches)
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
    page = qbd(end_user_id, client.list_customers, secret, end_user_id, query, limit=PAGE_SIZE + 1)
    rows = sorted(page.customers, key=sort_key)
    remember_positions(end_user_id, rows)
    following = [c for c in rows if sort_key(c) > position] if after else rows
    shown = following[:PAGE_SIZE]
    leftover = len(following) - len(shown)
    more = leftover > 0 or page.has_more
    remaining = page.remaining_count + leftover if page.remaining_count is not None else None
    return SearchPage(
        customers=shown,
        after=after,
        next_after=shown[-1].full_name if more and shown else None,
        remaining=remaining,
        total=None,
        truncated=False,
        request_id=page.request_id,
    )


# --- jump to a customer -----------------------------------------------------------


def find_by_full_name(end_user: EndUser, full_name: str) -> records.Customer | None:
    """The customer with exactly this full name, or None.

    Conductor fails the whole request on an unknown full name (it does not return an
    empty list), so that failure means "no such customer" here."""
    try:
        page = qbd(
            end_user.conductor_id,
            client.list_customers,
            secret_for(end_user),
            end_user.conductor_id,
            CustomerQuery(full_names=(full_name,)),
            limit=1,
        )
    except (errors.NotFoundError, errors.InvalidRequestError):
        return None
    wanted = full_name.casefold()
    return next((c for c in page.customers if c.full_name.casefold() == wanted), None)


# --- search across companies -------------------------------------------------------


@dataclass(frozen=True)
class CompanyResult:
    end_user: EndUser
    customers: list[records.Customer]
    has_more: bool
    error: str | None  # a short sentence when this company could not answer


PER_COMPANY_LIMIT = 10


def _search_one(secret: str, end_user_id: str, text: str, budget: float) -> records.CustomerPage:
    query = CustomerQuery(status="all", name_contains=text)
    return qbd(end_user_id, client.list_customers, secret, end_user_id, query, limit=PER_COMPANY_LIMIT, timeout=budget)


def search_all_companies(end_users: list[EndUser], text: str) -> list[CompanyResult]:
    """Ask every company at once; each gets the same time budget and its own error line.

    The total wait is about one company's budget, not the sum: the calls run side by
    side (bounded by the shared pool) and whoever has not answered when the budget is
    spent is reported as too slow, without holding up the others."""
    budget = settings.CROSS_COMPANY_SEARCH_BUDGET
    calls = {}
    results: dict[int, CompanyResult] = {}
    for end_user in end_users:
        try:
            secret = secret_for(end_user)
        except KeyUnreadable:
            results[end_user.pk] = CompanyResult(end_user, [], False, "Its stored API key cannot be read.")
            continue
        calls[end_user.pk] = side_by_side(_search_one, secret, end_user.conductor_id, text, budget)
    wait(calls.values(), timeout=budget + 0.5)
    for end_user in end_users:
        call = calls.get(end_user.pk)
        if call is None:
            continue
        if not call.done():
            call.cancel()
            results[end_user.pk] = CompanyResult(end_user, [], False, "It did not answer in time.")
            continue
        try:
            page = call.result()
        except errors.ConductorError as exc:
            results[end_user.pk] = CompanyResult(end_user, [], False, _short_reason(exc))
        else:
            results[end_user.pk] = CompanyResult(end_user, sorted(page.customers, key=sort_key), page.has_more, None)
    return [results[end_user.pk] for end_user in end_users]


def _short_reason(exc: errors.ConductorError) -> str:
    if isinstance(exc, errors.ConnectionNotSetUpError):
        return "QuickBooks setup is not finished."
    if isinstance(exc, errors.IntegrationConnectionError):
        return "QuickBooks is unreachable (" + (exc.user_facing_message or "offline") + ")"
    if isinstance(exc, (errors.RequestTimeoutError, errors.QuickBooksTimeoutError)):
        return "It did not answer in time."
    if isinstance(exc, (errors.AuthenticationError, errors.PermissionDeniedError)):
        return "Conductor refused its API key; ask an admin."
    return "It could not be searched: " + (exc.user_facing_message or exc.message)
