"""Moving through a list of results from a customer page: "previous" and "next" in the
list a person came from, and "back to results" at the same place.

The list is named in the customer page's own address (`?in=<the list's address>&n=<its
place>`), never kept in a session: the page can be bookmarked, shared and reopened in
another tab. The list is drawn again from the local copy (the same search, the same
order); a list the copy cannot draw (a live search, a company whose first read has not
finished) offers only the way back."""

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.http import QueryDict
from django.urls import Resolver404, resolve, reverse

from dashboard.customer_index import search as customer_index
from dashboard.forms import CustomerSearchForm
from dashboard.lookups.search import PAGE_SIZE, best_per_company, index_in_step, search_by_criteria
from dashboard.models import Company
from dashboard.search_criteria import Status

# What a list is known by: (the company's Conductor id, the customer's id).
type Key = tuple[str, str]


@dataclass(frozen=True)
class Place:
    """Where a customer stands in the list a person came from."""

    back: str  # the list, at the page that holds the customer
    previous: str | None = None
    next: str | None = None
    position: int | None = None  # 1-based; None when the list cannot be drawn again
    total: int = 0


def list_address(raw: str) -> str | None:
    """The list's address as the page was given it, if it is one of ours: a path (never
    another site), the home search or a company's list."""
    if not raw.startswith("/") or raw.startswith("//") or len(raw) > 2000:
        return None
    try:
        match = resolve(urlsplit(raw).path)
    except Resolver404:
        return None
    return raw if match.url_name in ("home", "company") else None


def place(companies: dict[str, Company], raw: str, company: Company, customer_id: str, hint: int) -> Place | None:
    """The customer's place in the list at `raw` (companies: those the person may see)."""
    address = list_address(raw)
    if address is None:
        return None
    split = urlsplit(address)
    match = resolve(split.path)
    query = QueryDict(split.query)
    if match.url_name == "company":
        listed = companies.get(match.kwargs["conductor_id"])
        keys = _company_list(listed, query) if listed is not None else None
    else:
        keys = _home_list(list(companies.values()), query)
    here = (company.conductor_id, customer_id)
    if not keys or here not in keys:
        return Place(back=address)
    # The same customer twice (a job listed under two searches' rows) is found at the hint.
    at = hint if 0 <= hint < len(keys) and keys[hint] == here else keys.index(here)
    return Place(
        back=_back(split.path, query, match.url_name == "company", at, here),
        previous=_at(address, keys, at - 1),
        next=_at(address, keys, at + 1),
        position=at + 1,
        total=len(keys),
    )


def _at(address: str, keys: list[Key], at: int) -> str | None:
    if not 0 <= at < len(keys):
        return None
    conductor_id, customer_id = keys[at]
    return reverse("customer", args=[conductor_id, customer_id]) + "?" + urlencode({"in": address, "n": at})


def _back(path: str, query: QueryDict, paged: bool, at: int, here: Key) -> str:
    query = query.copy()
    if paged:  # a company's list shows PAGE_SIZE a page: the page that holds the customer
        query["page"] = str(at // PAGE_SIZE + 1)
    encoded = query.urlencode()
    return f"{path}{'?' + encoded if encoded else ''}#r-{here[0]}-{here[1]}"


def _company_list(company: Company, query: QueryDict) -> list[Key] | None:
    if company.pk not in index_in_step([company]) or query.get("live"):
        return None
    form = CustomerSearchForm(query or None)
    if form.is_bound and not form.is_valid() and not form.usable_despite_errors():
        return None
    found = search_by_criteria(company, form.criteria(), 0, customer_index.MAX_CANDIDATES, explain=False)
    return [(company.conductor_id, hit.id) for hit in found.hits]


def _home_list(companies: list[Company], query: QueryDict) -> list[Key] | None:
    """The home search's ranked list, as the home page draws it from the copies: each
    company's best PER_COMPANY_LIMIT, best first across companies."""
    text = query.get("q", "").strip()
    if not text or query.get("live"):
        return None
    ready = index_in_step(companies)
    indexed = [company for company in companies if company.pk in ready]
    if len(indexed) < len(companies):
        return None  # part of the list came from QuickBooks: not drawn again
    found = customer_index.search(indexed, text, status=Status.ALL, limit=customer_index.MAX_CANDIDATES, explain=False)
    # The home page lists matches before matches by spelling (a stable sort keeps the rank).
    shown = sorted(best_per_company(found.hits), key=lambda hit: hit.typo)
    return [(hit.company.conductor_id, hit.id) for hit in shown]
