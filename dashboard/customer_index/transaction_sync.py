"""Keeping a company's copied transactions in step: what support reads of an account.

What the copy holds: every **open** invoice, credit memo with credit left and payment with
money not yet applied, whatever its age, and every invoice, payment, credit memo and
sales receipt dated within the history window (MIRROR_HISTORY_DAYS), each with its line
items and linked transactions.

- **First read, per kind**: the kind's list within the window, then its open ones from
  before the window. A kind read in full is noted; a first read stopped anywhere
  resumes with the kinds it had not finished (a kind is one cursor walk or two, and a
  cursor does not outlive a stop).
- **Incremental**: `/transactions` across the four kinds, updated since the latest
  `updatedAt` stored (less an overlap for clock skew), then only those read by `ids`
  from their own lists; deletions from `deleted-transactions` (90 days: older copies
  are read in full again). An idle company costs two requests here.
- Cursor walks never pause long for people (a cursor dies about ten seconds after its
  last page); one that dies anyway is walked again from the start. Storing is an upsert,
  so a row read twice is kept once.

The syncer (sync.py) owns the lease and the people-first pauses: it hands in `ask`, and
`ask_ahead` to have a walk's next page asked for while the last one is stored.
"""

import logging
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from dashboard.conductor import errors
from dashboard.conductor.client import ConductorClient, TransactionQuery
from dashboard.conductor.transactions import Document, ListPage, Payment
from dashboard.customer_index.compact_json import compact
from dashboard.customer_index.models import CompanySync, CopiedTransaction
from dashboard.models import Company

logger = logging.getLogger("dashboard.customer_index")

Kind = CopiedTransaction.Kind
# Read again behind a bound taken on our clock (QuickBooks' may differ), for customers
# and transactions alike.
OVERLAP = timedelta(minutes=5)
# How long QuickBooks lists deletions: a copy checked longer ago is read in full.
DELETIONS_KEPT = timedelta(days=90)
PAGE = 150
# A cursor walk that loses its cursor (a pause past its life) starts again this often.
WALK_ATTEMPTS = 3

type Copied = Document | Payment
# How the syncer makes a call: people first, the lease renewed, the request counted.
# `within_walk` says a cursor is waiting on this call (the pause must stay short).
type Ask = Callable[..., Any]
# The same, started on a thread of its own: its answer comes back as a Future.
type AskAhead = Callable[..., Future[Any]]


@dataclass(frozen=True)
class KindReads:
    """How one kind is read: its list, and the options that bring what its page shows."""

    list_call: Callable[..., ListPage[Any]]
    linked: bool  # includeLinkedTransactions (invoices and credit memos only take it)


READS = {
    Kind.INVOICE: KindReads(ConductorClient.list_invoices, linked=True),
    Kind.PAYMENT: KindReads(ConductorClient.list_payments, linked=False),
    Kind.CREDIT_MEMO: KindReads(ConductorClient.list_credit_memos, linked=True),
    Kind.SALES_RECEIPT: KindReads(ConductorClient.list_sales_receipts, linked=False),
}
ALL_KINDS = tuple(READS)


def kinds_not_read(kinds_read: Mapping[str, object] | None) -> list[str]:
    """The kinds of transaction the copy has not read in full yet (given a company's
    transaction_kinds_read), in ALL_KINDS' order."""
    return [kind for kind in ALL_KINDS if kind not in (kinds_read or {})]


def window_start(today: date | None = None) -> date:
    """The first day of the history window: older transactions are kept only while open."""
    return (today or timezone.localdate()) - timedelta(days=settings.MIRROR_HISTORY_DAYS)


def open_amount(record: Copied) -> Decimal:
    """What is still open on it: an invoice's balance left, a credit memo's credit left,
    a payment's money not applied. A voided one has its amounts at zero."""
    if isinstance(record, Payment):
        return record.unused_payment or Decimal(0)
    if record.kind == "invoice":
        return record.balance_remaining or Decimal(0)
    if record.kind == "credit_memo":
        return record.credit_remaining or Decimal(0)
    return Decimal(0)  # a sales receipt is paid on the spot


def keeps(record: Copied, first_day: date) -> bool:
    """Whether the copy holds it: open, or dated within the window (or undated)."""
    return open_amount(record) != 0 or record.transaction_date is None or record.transaction_date >= first_day


def store(
    company: Company, kind: str, found: tuple[Copied, ...] | list[Copied], seen_at: datetime, first_day: date
) -> tuple[int, int]:
    """The transactions written into the copy, or taken out of it when closed and from
    before the window; how many of each."""
    kept = [r for r in found if keeps(r, first_day)]
    dropped = [r.id for r in found if not keeps(r, first_day)]
    rows = [
        CopiedTransaction(
            company=company,
            transaction_id=r.id,
            kind=kind,
            customer_id=((r.customer.id if r.customer else None) or "")[:40],
            ref_number=(r.ref_number or "")[:100],
            transaction_date=r.transaction_date,
            is_open=open_amount(r) != 0,
            updated_at=r.updated_at,
            seen_at=seen_at,
            record=compact(dict(r.source)),
        )
        for r in kept
        if r.source  # a record read back from the cache has no source to copy
    ]
    if rows:
        CopiedTransaction.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["company", "transaction_id"],
            update_fields=[
                "kind",
                "customer_id",
                "ref_number",
                "transaction_date",
                "is_open",
                "updated_at",
                "seen_at",
                "record",
            ],
        )
    removed = 0
    if dropped:
        removed = CopiedTransaction.objects.filter(company=company, transaction_id__in=dropped).delete()[0]
    return len(rows), removed


def _answered(ask: Ask) -> AskAhead:
    """ask_ahead for a caller without a thread to spare: the call made at once, its
    answer (or error) handed back as a finished Future."""

    def at_once(call: Callable[..., Any], *args: object, **kwargs: object) -> Future[Any]:
        answer: Future[Any] = Future()
        try:
            answer.set_result(ask(call, *args, **kwargs))
        except Exception as exc:  # handed back whole, as a thread's Future would
            answer.set_exception(exc)
        return answer

    return at_once


class TransactionSync:
    def __init__(
        self,
        company: Company,
        state: CompanySync,
        conductor: ConductorClient,
        ask: Ask,
        ask_ahead: AskAhead | None = None,
    ) -> None:
        self.company, self.state, self.conductor, self.ask = company, state, conductor, ask
        self.ask_ahead = ask_ahead or _answered(ask)
        self.first_day = window_start()
        self.full_started: datetime | None = None
        # What an incremental read met: the customers (and jobs) whose transactions
        # changed, whose balances the syncer reads again (QuickBooks need not move a
        # customer's updatedAt for a new invoice), and the payments it read.
        self.customers_touched: set[str] = set()
        self.payments_read: list[Payment] = []
        self.stored = 0
        self.deleted = 0

    # --- storing ---------------------------------------------------------------------

    def store(self, kind: str, found: tuple[Copied, ...] | list[Copied], seen_at: datetime) -> None:
        self.customers_touched.update(r.customer.id for r in found if r.customer and r.customer.id)
        self.payments_read += [r for r in found if isinstance(r, Payment)]
        stored, dropped = store(self.company, kind, found, seen_at, self.first_day)
        self.stored += stored
        self.deleted += dropped

    # --- reads -----------------------------------------------------------------------

    def _pages(
        self, list_call: Callable[..., ListPage[Any]], query: TransactionQuery, **options: object
    ) -> Iterator[tuple[Any, ...]]:
        """Every page of one list (`list_call`, the client's), by its cursor, within one
        walk; a walk whose cursor died is started again (what it met before is met again,
        and stored or collected once)."""
        for attempt in range(WALK_ATTEMPTS):
            cursor = None
            try:
                coming = self.ask_ahead(list_call, self.conductor, query, cursor=None, within_walk=False, **options)
                while True:
                    page = coming.result()
                    more = page.has_more and bool(page.next_cursor)
                    if more:
                        # The next page is asked for while this one is stored: a walk
                        # costs about one round trip per page, not a round trip plus our
                        # writes. Still one request at a time.
                        cursor = page.next_cursor
                        coming = self.ask_ahead(
                            list_call, self.conductor, query, cursor=cursor, within_walk=True, **options
                        )
                    yield page.items
                    if not more:
                        return
            except errors.InvalidRequestError:
                if cursor is None or attempt == WALK_ATTEMPTS - 1:
                    raise
                logger.info("cursor lost in %s; walking it again", self.company.conductor_id)

    def _walk(self, kind: str, query: TransactionQuery) -> Iterator[tuple[Copied, ...]]:
        """Every page of one kind's list, with what its page shows (lines, links)."""
        reads = READS[Kind(kind)]
        query = replace(query, include_line_items=True, include_linked_transactions=reads.linked or None)
        yield from self._pages(reads.list_call, query, limit=PAGE)

    def _open_ids_before_window(self, kind: str) -> list[str]:
        """Ids of the kind's open transactions dated before the window (/transactions)."""
        query = TransactionQuery(
            transaction_types=(kind,), payment_status="open", transaction_date_to=self.first_day - timedelta(days=1)
        )
        rows = (row for items in self._pages(ConductorClient.list_transactions, query) for row in items)
        return list(dict.fromkeys(row.transaction_id for row in rows))

    def read_by_ids(self, kind: str, ids: list[str], seen_at: datetime) -> None:
        """These transactions from their own list, 150 a request. One id QuickBooks no
        longer has fails the whole request: then each is read alone, and the missing
        ones leave the copy."""
        reads = READS[Kind(kind)]
        for start in range(0, len(ids), PAGE):
            chunk = tuple(ids[start : start + PAGE])
            query = TransactionQuery(
                ids=chunk, include_line_items=True, include_linked_transactions=reads.linked or None
            )
            try:
                page = self.ask(reads.list_call, self.conductor, query, limit=len(chunk))
                self.store(kind, page.items, seen_at)
            except (errors.NotFoundError, errors.InvalidRequestError):
                if len(chunk) == 1:
                    gone = CopiedTransaction.objects.filter(company=self.company, transaction_id=chunk[0])
                    self.deleted += gone.delete()[0]
                    continue
                for one in chunk:
                    self.read_by_ids(kind, [one], seen_at)

    def full(self, kind: str) -> None:
        """The kind read in full: within the window, then the open ones before it; what
        the copy held of the kind and did not see is gone."""
        started = timezone.now()
        state = self.state
        if state.transaction_deletions_checked_at is None:
            state.transaction_deletions_checked_at = started
            state.save(update_fields=["transaction_deletions_checked_at"])
        for items in self._walk(kind, TransactionQuery(transaction_date_from=self.first_day)):
            self.store(kind, items, timezone.now())
        if kind == Kind.INVOICE:
            older = TransactionQuery(payment_status="not_paid", transaction_date_to=self.first_day - timedelta(days=1))
            for items in self._walk(kind, older):
                self.store(kind, items, timezone.now())
        elif kind in (Kind.CREDIT_MEMO, Kind.PAYMENT):
            self.read_by_ids(kind, self._open_ids_before_window(kind), timezone.now())
        unseen = CopiedTransaction.objects.filter(company=self.company, kind=kind, seen_at__lt=started)
        self.deleted += unseen.delete()[0]
        state.transaction_kinds_read = {**state.transaction_kinds_read, kind: started.isoformat()}
        state.save(update_fields=["transaction_kinds_read"])

    def changed_since(self, since: datetime, customer_ids: tuple[str, ...] = ()) -> list[str]:
        """Whatever of the four kinds changed since `since` (of these customers only, when
        given): named by /transactions, read by id from each kind's list. Returns the ids
        read."""
        query = TransactionQuery(transaction_types=ALL_KINDS, updated_after=since, customer_ids=customer_ids)
        held = dict(
            CopiedTransaction.objects.filter(company=self.company, updated_at__gte=since).values_list(
                "transaction_id", "updated_at"
            )
        )
        wanted: dict[str, list[str]] = {}
        for items in self._pages(ConductorClient.list_transactions, query):
            for row in items:
                # The overlap names again what the copy already holds as it is now.
                unchanged = row.updated_at is not None and held.get(row.transaction_id) == row.updated_at
                if row.transaction_type in READS and not unchanged:
                    wanted.setdefault(row.transaction_type, []).append(row.transaction_id)
        seen_at = timezone.now()
        for kind, ids in wanted.items():
            self.read_by_ids(kind, list(dict.fromkeys(ids)), seen_at)
        # A payment changes the invoices it is applied to: read them too, whether or not
        # QuickBooks moved their updatedAt.
        read = list(dict.fromkeys(i for ids in wanted.values() for i in ids))
        applied = [
            target.transaction_id
            for payment in self.payments_read
            for target in payment.applied_to
            if target.transaction_type in (None, Kind.INVOICE) and target.transaction_id not in read
        ]
        if applied:
            self.read_by_ids(Kind.INVOICE, list(dict.fromkeys(applied)), seen_at)
        return read + applied

    def deletions(self) -> None:
        checked_at = timezone.now()
        last = self.state.transaction_deletions_checked_at or checked_at
        gone = self.ask(ConductorClient.list_deleted_transactions, self.conductor, ALL_KINDS, last - OVERLAP)
        if gone:
            ids = [d.id for d in gone]
            held = CopiedTransaction.objects.filter(company=self.company, transaction_id__in=ids)
            self.customers_touched.update(held.exclude(customer_id="").values_list("customer_id", flat=True))
            self.deleted += held.delete()[0]
        self.state.transaction_deletions_checked_at = checked_at
        self.state.save(update_fields=["transaction_deletions_checked_at"])

    def out_of_window(self) -> None:
        """Closed transactions the window has moved past leave the copy (no request)."""
        old = CopiedTransaction.objects.filter(company=self.company, is_open=False, transaction_date__lt=self.first_day)
        self.deleted += old.delete()[0]

    # --- a sync ---------------------------------------------------------------------

    def needs_full(self) -> bool:
        state = self.state
        deletions_lost = (
            state.transaction_deletions_checked_at is not None
            and state.transaction_deletions_checked_at < timezone.now() - DELETIONS_KEPT + OVERLAP
        )
        if deletions_lost:
            state.transaction_kinds_read = {}
        return bool(kinds_not_read(state.transaction_kinds_read))

    def run(self) -> None:
        """Every kind not yet read in full is read so; then, once all are, what changed."""
        state = self.state
        started = timezone.now()
        if self.needs_full():
            # A first read resumed: the kinds read before are as old as their reads.
            earlier = [datetime.fromisoformat(at) for at in state.transaction_kinds_read.values()]
            started = self.full_started = min([started, *earlier])
            for kind in ALL_KINDS:
                if kind not in state.transaction_kinds_read:
                    self.full(kind)
        else:
            # The high water is QuickBooks' own latest stamp (no skew between clocks to
            # allow for). A second before it, whether "after" includes its bound or not:
            # what changed in that same second is named again, and what the copy holds
            # as it is is not read again.
            high_water = state.transactions_high_water
            self.changed_since(high_water - timedelta(seconds=1) if high_water else started - OVERLAP)
            self.deletions()
            self.out_of_window()
        state.transactions_as_of = started

    def finish(self) -> None:
        rows = CopiedTransaction.objects.filter(company=self.company)
        latest = rows.aggregate(latest=Max("updated_at"))["latest"]
        high_water = latest or self.state.transactions_high_water
        if self.full_started is not None:
            # What changed during a first read, behind its walk, is read next time: from
            # the read's start on our clock, less an overlap for the two clocks' skew.
            high_water = min(high_water or self.full_started, self.full_started - OVERLAP)
        self.state.transactions_high_water = high_water
        self.state.transactions = rows.count()
