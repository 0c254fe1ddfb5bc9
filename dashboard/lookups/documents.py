"""One transaction as the customer received it, a customer's full history, and invoices
by number. A transaction the local copy holds is read from it (no call; as of the copy's
last confirmation); any other (older than the copy's window, or a company still on its
first read) is fetched, and kept like the customer record (fresh for
CUSTOMER_CACHE_TTL, a stale copy when QuickBooks is out of reach).
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from django.conf import settings

from dashboard.caching.freshness import Fetched, cache_key, get_or_fetch
from dashboard.conductor import errors, records
from dashboard.conductor.client import ConductorClient, TransactionQuery
from dashboard.conductor.transactions import Document, ListPage, Payment, TransactionRow
from dashboard.customer_index import local_copy, transaction_sync
from dashboard.lookups import job_tree
from dashboard.lookups.activity import MAX_ENTITY_IDS, MAX_OPEN_ITEMS, every_page
from dashboard.models import Company

# How many invoices one number may list before the page says "and more".
MAX_INVOICES_BY_NUMBER = 50


def _only(found: tuple[Document, ...], document_id: str) -> Document:
    """The one document a lookup by id returned (Conductor answers an unknown id with
    an error; an empty list would be a contract breach, read as "not found")."""
    for document in found:
        if document.id == document_id:
            return document
    raise errors.NotFoundError("QuickBooks returned no transaction with this id.")


def _held[T](company: Company, kind: str, transaction_id: str, parsed: type[T]) -> Fetched[T] | None:
    """The transaction as the local copy holds it, or None."""
    held = local_copy.document(company, transaction_id, kind)
    if held is None or not isinstance(held.value, parsed):
        return None
    return Fetched.from_local_copy(held.value, held.as_of)


def _copy_first[T: (Document, Payment)](
    company: Company, kind: str, transaction_id: str, parsed: type[T], refresh: bool, fetch: Callable[[], Fetched[T]]
) -> Fetched[T]:
    """From the local copy when it holds the transaction (unless a refresh asks
    QuickBooks); else fetched, then copied when the copy holds the company's
    transactions: a refresh, or a transaction the copy did not hold, opens from the copy
    next time."""
    if not refresh and (held := _held(company, kind, transaction_id, parsed)):
        return held
    fetched = fetch()
    if not fetched.from_cache and local_copy.transactions_ready(company) is not None:
        transaction_sync.store(
            company, kind, [fetched.value], fetched.fetched_at_datetime, transaction_sync.window_start()
        )
    return fetched


def fetch_invoice(company: Company, invoice_id: str, *, refresh: bool = False) -> Fetched[Document]:
    """An invoice with the payments and credits applied to it."""
    return _copy_first(
        company,
        "invoice",
        invoice_id,
        Document,
        refresh,
        lambda: _listed_with_links(company, "invoice", ConductorClient.list_invoices, invoice_id, refresh),
    )


def fetch_credit_memo(company: Company, memo_id: str, *, refresh: bool = False) -> Fetched[Document]:
    """A credit memo with the invoices it was applied to."""
    return _copy_first(
        company,
        "credit_memo",
        memo_id,
        Document,
        refresh,
        lambda: _listed_with_links(company, "credit_memo", ConductorClient.list_credit_memos, memo_id, refresh),
    )


def _listed_with_links(
    company: Company,
    kind: str,
    list_call: Callable[..., ListPage[Document]],
    document_id: str,
    refresh: bool,
) -> Fetched[Document]:
    """One document with its linked transactions: the retrieve endpoint takes no options,
    so it is listed by id with includeLinkedTransactions. `list_call` is the client's
    list (ConductorClient.list_invoices, say)."""
    query = TransactionQuery(ids=(document_id,), include_linked_transactions=True)
    conductor = company.conductor()
    return get_or_fetch(
        cache_key(kind, company.conductor_id, document_id),
        lambda: _only(list_call(conductor, query, limit=1).items, document_id),
        ttl=settings.CUSTOMER_CACHE_TTL,
        refresh=refresh,
    )


def fetch_sales_receipt(company: Company, receipt_id: str, *, refresh: bool = False) -> Fetched[Document]:
    return _copy_first(
        company,
        "sales_receipt",
        receipt_id,
        Document,
        refresh,
        lambda: _retrieved(company, "sales_receipt", ConductorClient.retrieve_sales_receipt, receipt_id, refresh),
    )


def fetch_payment(company: Company, payment_id: str, *, refresh: bool = False) -> Fetched[Payment]:
    """A payment with the invoices it was applied to."""
    return _copy_first(
        company,
        "receive_payment",
        payment_id,
        Payment,
        refresh,
        lambda: _retrieved(company, "payment", ConductorClient.retrieve_payment, payment_id, refresh),
    )


def _retrieved[T](
    company: Company, kind: str, retrieve_call: Callable[..., T], transaction_id: str, refresh: bool
) -> Fetched[T]:
    """One transaction from its retrieve endpoint (`retrieve_call`, the client's), through
    the cache."""
    conductor = company.conductor()
    return get_or_fetch(
        cache_key(kind, company.conductor_id, transaction_id),
        lambda: retrieve_call(conductor, transaction_id),
        ttl=settings.CUSTOMER_CACHE_TTL,
        refresh=refresh,
    )


@dataclass(frozen=True)
class HistoryFilter:
    """The activity page's filters, as its query string holds them."""

    transaction_type: str = ""  # "" = every type
    status: str = "either"  # open | closed | either
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class History:
    rows: tuple[TransactionRow, ...]  # newest first
    incomplete: bool  # more than MAX_OPEN_ITEMS matched, or jobs were left out
    # Listed from the local copy: its four kinds, closed ones from this day on (date.min:
    # the filter asked nothing older). None: read from QuickBooks.
    copy_from: date | None = None


def fetch_history(
    company: Company, customer: records.Customer, wanted: HistoryFilter, *, refresh: bool = False, live: bool = False
) -> Fetched[History]:
    """Every transaction of the customer and its jobs that the filter lets through: from
    the local copy when it can list them (unless `live` or a refresh asks QuickBooks),
    else fetched whole (bounded) and paged on our side, so links never carry a cursor."""
    if not (refresh or live) and (held := _history_from_copy(company, customer, wanted)) is not None:
        return held
    conductor = company.conductor()

    def fetch() -> History:
        tree = job_tree.hierarchy(company, customer, refresh=refresh)
        everyone = (customer.id, *tree.descendant_ids)
        query = TransactionQuery(
            customer_ids=everyone[:MAX_ENTITY_IDS],
            transaction_types=(wanted.transaction_type,) if wanted.transaction_type else (),
            payment_status=wanted.status,
            transaction_date_from=wanted.date_from,
            transaction_date_to=wanted.date_to,
        )
        rows, cut = every_page(conductor.list_transactions, query)
        newest_first = sorted(rows, key=lambda r: (r.transaction_date or date.min, r.transaction_id), reverse=True)
        return History(tuple(newest_first[:MAX_OPEN_ITEMS]), cut or len(everyone) > MAX_ENTITY_IDS)

    key = cache_key("history", company.conductor_id, customer.id, customer.full_name, repr(wanted))
    return get_or_fetch(key, fetch, ttl=settings.CUSTOMER_CACHE_TTL, refresh=refresh)


def _history_from_copy(company: Company, customer: records.Customer, wanted: HistoryFilter) -> Fetched[History] | None:
    first_day = local_copy.serves_history(company, wanted.transaction_type, wanted.status, wanted.date_from)
    as_of = local_copy.transactions_as_of(company, customer.id)
    if first_day is None or as_of is None or not local_copy.holds_customer(company, customer.id):
        return None
    tree = job_tree.from_copy(company, customer)
    asked = local_copy.HistoryWanted(
        customer_ids=(customer.id, *tree.descendant_ids),
        kind=wanted.transaction_type,
        status=wanted.status,
        date_from=None if first_day == date.min else max(wanted.date_from or first_day, first_day),
        date_to=wanted.date_to,
    )
    rows = local_copy.history(company, asked)
    if wanted.status != "open" and first_day != date.min:
        # Open ones older than the window are held too: listed with the rest.
        older = local_copy.history(company, replace(asked, status="open", date_from=None, date_to=first_day))
        rows = sorted(
            {
                r.transaction_id: r
                for r in (*rows, *older)
                if r.transaction_date is None or not wanted.date_to or r.transaction_date <= wanted.date_to
            }.values(),
            key=lambda r: (r.transaction_date or date.min, r.transaction_id),
            reverse=True,
        )
    history = History(tuple(rows[:MAX_OPEN_ITEMS]), len(rows) > MAX_OPEN_ITEMS, copy_from=first_day)
    return Fetched.from_local_copy(history, as_of)


def find_invoices_by_number(conductor: ConductorClient, ref_number: str) -> tuple[Document, ...]:
    """Invoices with exactly this number (case-sensitive; numbers are not unique).
    Conductor answers a number nobody has with an error, not an empty list: that error
    means "none" here."""
    query = TransactionQuery(ref_numbers=(ref_number,), include_line_items=False)
    try:
        page = conductor.list_invoices(query, limit=MAX_INVOICES_BY_NUMBER)
    except (errors.NotFoundError, errors.InvalidRequestError):
        return ()
    return tuple(d for d in page.items if d.ref_number == ref_number)
