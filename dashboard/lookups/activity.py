"""What a customer owes and why: open invoices, open credits, unapplied payments and
recent payments, for the customer and every job below it, fetched side by side.

Which ids: the customer's own and its jobs' and sub-jobs' (the job tree's name-range
lookup), since every transaction belongs to exactly the customer or job it was made
for. What QuickBooks keeps as `totalBalance` is then, to the cent, the open invoices'
`balanceRemaining` less open credits (`creditRemaining`) and unapplied payments
(`unusedPayment`); `account.explain` does that sum and says whether it matches.

Read from the local copy once every kind of transaction has been copied (no call; as
of the copy's last confirmation). Until then, fetched once per customer and kept like
the record (fresh for CUSTOMER_CACHE_TTL, a stale copy when QuickBooks is out of reach).
What depends on today (overdue, aging) is worked out when the page is drawn, in the
deployment's TIME_ZONE.
"""

from collections.abc import Callable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from dashboard.account import Activity
from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch, mark_stale, peek
from dashboard.caching.side_by_side import start_lookup
from dashboard.conductor import records
from dashboard.conductor.client import ConductorClient, TransactionQuery
from dashboard.conductor.transactions import Document, ListPage, Payment, TransactionRow
from dashboard.customer_index import local_copy
from dashboard.lookups import job_tree
from dashboard.models import Company

# Bounds that keep one page's lookups finite: a customer with more than this many open
# invoices (or credit memos) is shown with the first ones and says so.
MAX_OPEN_ITEMS = 1000
# QuickBooks filters take repeated ids; more jobs than this are left out, and the page says so.
MAX_ENTITY_IDS = 100
RECENT_PAYMENT_DAYS = 180
RECENT_PAYMENTS_SHOWN = 20


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


def from_copy(company: Company, customer: records.Customer) -> tuple[Fetched[Activity], job_tree.Hierarchy] | None:
    """The activity and tree as the local copy holds them, or None when the copy does not
    hold the company's transactions yet (or not this customer). Never calls anything."""
    as_of = local_copy.transactions_as_of(company, customer.id)
    if as_of is None or not local_copy.holds_customer(company, customer.id):
        return None
    tree = job_tree.from_copy(company, customer)
    return held_activity(company, customer, tree, as_of), tree


def held_activity(
    company: Company, customer: records.Customer, tree: job_tree.Hierarchy, as_of: datetime
) -> Fetched[Activity]:
    """The activity as the copy holds it, for a customer (and tree) read from it, whose
    transactions were confirmed `as_of`."""
    everyone = (customer.id, *tree.descendant_ids)
    since = today() - timedelta(days=RECENT_PAYMENT_DAYS)
    held = local_copy.account(company, everyone, since)
    activity = Activity(
        customer_ids=everyone,
        open_invoices=_due_first(held.open_invoices),
        open_credits=held.open_credits,
        unapplied_payments=held.unapplied_payments,
        recent_payments=held.payments_since[:RECENT_PAYMENTS_SHOWN],
        since=since,
        incomplete=tree.jobs_truncated,
    )
    return Fetched.from_local_copy(activity, as_of)


def _due_first(invoices: tuple[Document, ...] | list[Document]) -> tuple[Document, ...]:
    return tuple(
        sorted(
            (d for d in invoices if d.balance_remaining),
            key=lambda d: (d.due_date or date.max, d.transaction_date or date.max, d.id),
        )
    )


def fetch_activity(
    company: Company, customer: records.Customer, *, refresh: bool = False
) -> tuple[Fetched[Activity], job_tree.Hierarchy]:
    """The customer's activity and its job tree: from the local copy when it holds them
    (unless a refresh asks QuickBooks), else looked up. Simultaneous requests for one
    customer share one set of calls."""
    if not refresh and (held := from_copy(company, customer)) is not None:
        return held

    def fetch() -> Activity:
        tree = job_tree.hierarchy(company, customer, refresh=refresh)
        return _fetch(company, customer, tree)

    fetched = get_or_fetch(_key(company, customer), fetch, ttl=settings.CUSTOMER_CACHE_TTL, refresh=refresh)
    tree = job_tree.cached_hierarchy(company, customer) or job_tree.hierarchy(company, customer)
    return fetched, tree


def _fetch(company: Company, customer: records.Customer, tree: job_tree.Hierarchy) -> Activity:
    conductor = company.conductor()
    everyone = (customer.id, *tree.descendant_ids)
    ids = everyone[:MAX_ENTITY_IDS]
    since = today() - timedelta(days=RECENT_PAYMENT_DAYS)

    # The lookups run side by side. Payments with money not yet applied are named by
    # /transactions (open receive payments); how much is unused is on the payments
    # themselves, which the recent payments usually include already.
    invoices = start_lookup(
        every_page,
        conductor.list_invoices,
        TransactionQuery(customer_ids=ids, payment_status="not_paid", include_line_items=False),
    )
    credits = start_lookup(
        every_page, conductor.list_credit_memos, TransactionQuery(customer_ids=ids, include_line_items=False)
    )
    recent = start_lookup(
        every_page, conductor.list_payments, TransactionQuery(customer_ids=ids, transaction_date_from=since)
    )
    open_payments: list[TransactionRow]
    open_payments, unapplied_cut = every_page(
        conductor.list_transactions,
        TransactionQuery(customer_ids=ids, transaction_types=("receive_payment",), payment_status="open"),
    )
    payments, _ = recent.result()
    unapplied = _unapplied_payments(conductor, open_payments, payments)
    open_invoices, invoices_cut = invoices.result()
    all_credits, credits_cut = credits.result()
    newest_first = sorted(payments, key=lambda p: (p.transaction_date or date.min, p.id), reverse=True)
    return Activity(
        customer_ids=ids,
        open_invoices=_due_first(open_invoices),
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


def every_page[T](call: Callable[..., ListPage[T]], query: TransactionQuery) -> tuple[list[T], bool]:
    """Every item of a list (`call`, a bound client's: `conductor.list_invoices`), walking
    its single-use cursor within this one request, up to MAX_OPEN_ITEMS; and whether it
    was cut short there."""
    items: list[T] = []
    cursor = None
    while True:
        page = call(query, cursor=cursor)
        items.extend(page.items)
        if not page.has_more or not page.next_cursor:
            return items, False
        if len(items) >= MAX_OPEN_ITEMS:
            return items, True
        cursor = page.next_cursor


def _unapplied_payments(
    conductor: ConductorClient, open_payments: list[TransactionRow], in_hand: list[Payment]
) -> list[Payment]:
    """The open payments with their unused amounts: read from the payments already in
    hand where they are there, the others fetched by id (a second round trip only then)."""
    known = {p.id: p for p in in_hand}
    missing = tuple(dict.fromkeys(r.transaction_id for r in open_payments if r.transaction_id not in known))
    for start in range(0, len(missing), 150):
        chunk = missing[start : start + 150]
        page = conductor.list_payments(TransactionQuery(ids=chunk), limit=len(chunk))
        known.update((p.id, p) for p in page.items)
    wanted = dict.fromkeys(r.transaction_id for r in open_payments)
    return [known[i] for i in wanted if i in known and known[i].unused_payment]
