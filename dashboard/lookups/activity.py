"""What a customer owes and why: open invoices, open credits, unapplied payments and
recent payments, for the customer and every job below it, fetched side by side.

Which ids: the customer's own and its jobs' and sub-jobs' (the job tree's name-range
lookup), since every transaction belongs to exactly the customer or job it was made
for. What QuickBooks keeps as `totalBalance` is then, to the cent, the open invoices'
`balanceRemaining` less open credits (`creditRemaining`) and unapplied payments
(`unusedPayment`); `Activity.explanation` does that sum and says whether it matches.

Fetched once per customer and kept like the record (fresh for CUSTOMER_CACHE_TTL, a
stale copy when QuickBooks is out of reach); what depends on today (overdue, aging) is
worked out when the page is drawn, in the deployment's TIME_ZONE.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch, mark_stale, peek
from dashboard.conductor import client, records
from dashboard.conductor.client import TransactionQuery
from dashboard.conductor.transactions import Document, ListPage, Payment, TransactionRow
from dashboard.lookups import job_tree
from dashboard.lookups.calls import call_company, secret_for, start_lookup
from dashboard.models import Company

# Bounds that keep one page's lookups finite: a customer with more than this many open
# invoices (or credit memos) is shown with the first ones and says so.
MAX_OPEN_ITEMS = 1000
# QuickBooks filters take repeated ids; more jobs than this are left out, and the page says so.
MAX_ENTITY_IDS = 100
RECENT_PAYMENT_DAYS = 180
RECENT_PAYMENTS_SHOWN = 20
AGING_BUCKETS = ("Current", "1–30 days", "31–60 days", "61–90 days", "Over 90 days")


@dataclass(frozen=True)
class Activity:
    """What was fetched; nothing in it depends on today."""

    customer_ids: tuple[str, ...]  # the customer's own id first, then its jobs'
    open_invoices: tuple[Document, ...]
    open_credits: tuple[Document, ...]
    unapplied_payments: tuple[Payment, ...]
    recent_payments: tuple[Payment, ...]
    since: date  # recent payments are those from this day on
    incomplete: bool  # a bound was reached: some jobs or items are not included


@dataclass(frozen=True)
class Explanation:
    """The balance as a sum, beside QuickBooks' own figure."""

    open_invoices: Decimal
    credits: Decimal
    unapplied_payments: Decimal
    computed: Decimal
    quickbooks: Decimal | None  # None when QuickBooks sent no readable balance

    @property
    def matches(self) -> bool:
        return self.quickbooks is not None and self.computed == self.quickbooks

    @property
    def difference(self) -> Decimal | None:
        return None if self.quickbooks is None else self.quickbooks - self.computed


def explain(activity: Activity, quickbooks_balance: Decimal | None) -> Explanation:
    owed = sum((d.balance_remaining or Decimal(0) for d in activity.open_invoices), Decimal(0))
    credits = sum((d.credit_remaining or Decimal(0) for d in activity.open_credits), Decimal(0))
    unused = sum((p.unused_payment or Decimal(0) for p in activity.unapplied_payments), Decimal(0))
    return Explanation(owed, credits, unused, owed - credits - unused, quickbooks_balance)


def days_overdue(document: Document, today: date) -> int:
    """Days past the due date of an unpaid invoice (0: not overdue, or no due date)."""
    if document.due_date is None or not document.balance_remaining:
        return 0
    return max(0, (today - document.due_date).days)


def aging(invoices: tuple[Document, ...], today: date) -> list[tuple[str, Decimal]]:
    """Open amounts by how long past due: current, 1–30, 31–60, 61–90, over 90 days."""
    totals = [Decimal(0)] * len(AGING_BUCKETS)
    for invoice in invoices:
        late = days_overdue(invoice, today)
        bucket = 0 if late == 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
        totals[bucket] += invoice.balance_remaining or Decimal(0)
    return list(zip(AGING_BUCKETS, totals, strict=True))


def today() -> date:
    """Today in the deployment's TIME_ZONE: what "overdue" is judged against (the
    company computer's own zone is not available through the API)."""
    return timezone.localdate()


def _key(company: Company, customer: records.Customer) -> str:
    return cache_key("activity", company.conductor_id, customer.id, customer.full_name)


def fresh_activity(company: Company, customer: records.Customer) -> Fetched[Activity] | None:
    """The activity if a fresh copy is cached; never calls anything."""
    return peek(_key(company, customer), ttl=settings.CUSTOMER_CACHE_TTL)


def refresh_later(company: Company, customer: records.Customer, *, tree_too: bool) -> None:
    """The next request for the activity (and, with `tree_too`, the job tree it covers)
    fetches again: the customer page was refreshed, and its script asks next."""
    mark_stale(_key(company, customer))
    if tree_too:
        job_tree.forget(company, customer)


def fetch_activity(
    company: Company, customer: records.Customer, *, refresh: bool = False
) -> tuple[Fetched[Activity], job_tree.Hierarchy]:
    """The customer's activity and its job tree (looked up first when not cached).
    Simultaneous requests for one customer share one set of calls."""

    def fetch() -> Activity:
        tree = job_tree.hierarchy(company, customer, refresh=refresh)
        return _fetch(company, customer, tree)

    fetched = get_or_fetch(_key(company, customer), fetch, ttl=settings.CUSTOMER_CACHE_TTL, refresh=refresh)
    tree = job_tree.cached_hierarchy(company, customer) or job_tree.hierarchy(company, customer)
    return fetched, tree


def _fetch(company: Company, customer: records.Customer, tree: job_tree.Hierarchy) -> Activity:
    secret, company_id = secret_for(company), company.conductor_id
    everyone = (customer.id, *tree.descendant_ids)
    ids = everyone[:MAX_ENTITY_IDS]
    since = today() - timedelta(days=RECENT_PAYMENT_DAYS)

    def all_of[T](call: Callable[..., ListPage[T]], query: TransactionQuery) -> tuple[list[T], bool]:
        return every_page(secret, company_id, call, query)

    # The lookups run side by side. Payments with money not yet applied are named by
    # /transactions (open receive payments); how much is unused is on the payments
    # themselves, which the recent payments usually include already.
    invoices = start_lookup(
        all_of,
        client.list_invoices,
        TransactionQuery(customer_ids=ids, payment_status="not_paid", include_line_items=False),
    )
    credits = start_lookup(
        all_of, client.list_credit_memos, TransactionQuery(customer_ids=ids, include_line_items=False)
    )
    recent = start_lookup(all_of, client.list_payments, TransactionQuery(customer_ids=ids, transaction_date_from=since))
    open_payments: list[TransactionRow]
    open_payments, unapplied_cut = all_of(
        client.list_transactions,
        TransactionQuery(customer_ids=ids, transaction_types=("receive_payment",), payment_status="open"),
    )
    payments, _ = recent.result()
    unapplied = _unapplied_payments(secret, company_id, open_payments, payments)
    open_invoices, invoices_cut = invoices.result()
    all_credits, credits_cut = credits.result()
    newest_first = sorted(payments, key=lambda p: (p.transaction_date or date.min, p.id), reverse=True)
    return Activity(
        customer_ids=ids,
        open_invoices=tuple(
            sorted(
                (d for d in open_invoices if d.balance_remaining),
                key=lambda d: (d.due_date or date.max, d.transaction_date or date.max, d.id),
            )
        ),
        open_credits=tuple(d for d in all_credits if d.credit_remaining),
        unapplied_payments=tuple(unapplied),
        recent_payments=tuple(newest_first[:RECENT_PAYMENTS_SHOWN]),
        since=since,
        incomplete=len(everyone) > len(ids)
        or tree.problem is not None
        or tree.jobs_truncated
        or invoices_cut
        or credits_cut
        or unapplied_cut,
    )


def every_page[T](
    secret: str, company_id: str, call: Callable[..., ListPage[T]], query: TransactionQuery
) -> tuple[list[T], bool]:
    """Every item of a list, walking its single-use cursor within this one request, up
    to MAX_OPEN_ITEMS; and whether it was cut short there."""
    items: list[T] = []
    cursor = None
    while True:
        page = call_company(company_id, call, secret, company_id, query, cursor=cursor)
        items.extend(page.items)
        if not page.has_more or not page.next_cursor:
            return items, False
        if len(items) >= MAX_OPEN_ITEMS:
            return items, True
        cursor = page.next_cursor


def _unapplied_payments(
    secret: str, company_id: str, open_payments: list[TransactionRow], in_hand: list[Payment]
) -> list[Payment]:
    """The open payments with their unused amounts: read from the payments already in
    hand where they are there, the others fetched by id (a second round trip only then)."""
    known = {p.id: p for p in in_hand}
    missing = tuple(dict.fromkeys(r.transaction_id for r in open_payments if r.transaction_id not in known))
    for start in range(0, len(missing), 150):
        chunk = missing[start : start + 150]
        page = call_company(
            company_id, client.list_payments, secret, company_id, TransactionQuery(ids=chunk), limit=len(chunk)
        )
        known.update((p.id, p) for p in page.items)
    wanted = dict.fromkeys(r.transaction_id for r in open_payments)
    return [known[i] for i in wanted if i in known and known[i].unused_payment]
