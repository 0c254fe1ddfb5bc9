"""Keeping a company's local copy in step with QuickBooks: its customers here, its
transactions in transaction_sync.py.

- **Full read**: every customer and job, paged by name (`nameFrom` = the last full name
  stored; QuickBooks cursors expire within seconds, so the position is ours and a read
  stopped anywhere resumes after it). Before it removes the rows it did not see, it
  catches up with `updatedAfter` from its own start, so a customer renamed during the
  read (and so skipped by the name order) is not lost.
- **Incremental read**: customers updated since the latest `updatedAt` stored, less an
  overlap for clock skew (rows read again inside the overlap are expected), paged by
  name too (a cursor would not outlive the sync's pauses for people), then
  deletions from `deleted-list-objects`. A customer whose full name changed has its
  jobs re-read (their `updatedAt` need not move). A copy whose deletions were last
  checked more than 90 days ago cannot learn them that way: it is read in full.
- **One syncer per company**, on any machine: a lease in the database, taken and renewed
  by conditional updates.
- **People first**: before every request the sync waits while a person's page is asking
  QuickBooks for this company (a signal in the shared cache, see company_limit), so a
  page never queues behind more than the one sync request already in flight. Inside a
  cursor walk it waits only a few seconds (the cursor would die).
"""

import dataclasses
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

from dashboard import connections
from dashboard.caching.company_limit import pages_waiting
from dashboard.conductor import errors, records
from dashboard.conductor.client import CustomerQuery
from dashboard.customer_index.models import CompanySync, IndexedCustomer
from dashboard.customer_index.rows import store_customers
from dashboard.customer_index.transaction_sync import DELETIONS_KEPT, OVERLAP, TransactionSync
from dashboard.models import Company, RecentView
from dashboard.problems import LOOKUP_FAILURES, problem_for

logger = logging.getLogger("dashboard.customer_index")

PAGE = 150
LEASE = timedelta(minutes=2)
# How long the sync waits for people's pages before asking anyway (a page that never
# stops must not starve the index for ever).
MAX_PAUSE_SECONDS = 60.0
# Inside a cursor walk the pause stays well within the cursor's ten seconds of life.
WALK_PAUSE_SECONDS = 4.0


@dataclass
class SyncReport:
    company: Company
    kind: str  # full | incremental | skipped (another syncer holds the company)
    pages: int = 0
    changed: int = 0
    deleted: int = 0
    transactions_changed: int = 0
    transactions_deleted: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Lease:
    """The company's sync lease, held by `owner` while it is renewed."""

    def __init__(self, state: CompanySync, owner: str) -> None:
        self.state, self.owner = state, owner

    def take(self) -> bool:
        now = timezone.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=self.owner)
        taken = (
            CompanySync.objects.filter(pk=self.state.pk)
            .filter(free)
            .update(lease_owner=self.owner, lease_until=now + LEASE)
        )
        return taken == 1

    def renew(self) -> None:
        if not self.take():
            raise LeaseLost(f"another syncer took {self.state.company.conductor_id}")

    def release(self) -> None:
        CompanySync.objects.filter(pk=self.state.pk, lease_owner=self.owner).update(lease_owner="", lease_until=None)


# How often the company file's own details (a statement's "remit to") are read again.
COMPANY_FILE_EVERY = timedelta(days=1)


class LeaseLost(Exception):
    """The lease expired and another syncer took the company: stop without writing."""


class _Syncer:
    def __init__(self, company: Company, state: CompanySync, lease: _Lease, report: SyncReport) -> None:
        self.company, self.state, self.lease, self.report = company, state, lease, report
        # People's pages come first through _may_ask, not through the company's places.
        self.conductor = company.conductor(background=True)
        self.ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-ahead")

    # --- calls, people first -----------------------------------------------------------

    def _ask[T](self, call: Callable[..., T], *args: object, within_walk: bool = False, **kwargs: object) -> T:
        self._may_ask(WALK_PAUSE_SECONDS if within_walk else MAX_PAUSE_SECONDS)
        return call(*args, **kwargs)

    def _ask_ahead[T](
        self, call: Callable[..., T], *args: object, within_walk: bool = False, **kwargs: object
    ) -> Future[T]:
        """The call started on a thread of its own (only the HTTP call: the database is
        written by this thread), so the page before it is stored meanwhile."""
        self._may_ask(WALK_PAUSE_SECONDS if within_walk else MAX_PAUSE_SECONDS)
        return self.ahead.submit(call, *args, **kwargs)

    def _may_ask(self, longest: float = MAX_PAUSE_SECONDS) -> None:
        """People first (for up to `longest` seconds), and the lease still ours; then
        one more request."""
        waited = 0.0
        while pages_waiting(self.company.conductor_id) and waited < longest:
            time.sleep(0.1)
            waited += 0.1
        self.lease.renew()
        self.report.pages += 1

    def company_file(self) -> None:
        """The company's own details a statement prints, at most once a day (they change
        rarely): one request, not one per sync."""
        state = self.state
        if state.company_file_read_at and state.company_file_read_at > timezone.now() - COMPANY_FILE_EVERY:
            return
        try:
            found = self._ask(self.conductor.retrieve_company_file)
        except errors.ConductorAPIError as exc:
            # A statement without them still adds up; asked again next sync.
            logger.info("company file of %s not read: %s", self.company.conductor_id, exc)
            return
        state.company_file, state.company_file_read_at = dataclasses.asdict(found), timezone.now()
        state.save(update_fields=["company_file", "company_file_read_at"])

    def _forget_views_of(self, customer_ids: list[str]) -> None:
        """Customers deleted in QuickBooks leave everyone's "recently viewed" too."""
        if customer_ids:
            RecentView.objects.filter(company=self.company, customer_id__in=customer_ids).delete()

    def _store(self, customers: tuple[records.Customer, ...] | list[records.Customer], seen_at: datetime) -> None:
        self.report.changed += store_customers(self.company, customers, seen_at)

    # --- the reads -----------------------------------------------------------------

    def full(self) -> None:
        state = self.state
        if state.full_read_started_at is None:
            state.full_read_started_at, state.full_read_after = timezone.now(), ""
            state.save(update_fields=["full_read_started_at", "full_read_after"])
        started, after = state.full_read_started_at, state.full_read_after
        coming = self._ask_ahead(
            self.conductor.list_customers, _whole(CustomerQuery(status="all", name_from=after or "!")), limit=PAGE
        )
        while True:
            page = coming.result()
            position = after.casefold()
            rows = sorted(
                (c for c in page.customers if not after or c.full_name.casefold() > position),
                key=lambda c: c.full_name.casefold(),
            )
            more = page.has_more and bool(rows)
            if more:
                # The next page is asked for while this one is stored: the read costs
                # about one round trip per page, not a round trip plus our writes.
                next_query = _whole(CustomerQuery(status="all", name_from=rows[-1].full_name))
                coming = self._ask_ahead(self.conductor.list_customers, next_query, limit=PAGE)
            self._store(rows, timezone.now())
            if not more:
                break
            after = rows[-1].full_name
            state.full_read_after = after  # stored up to here: a read stopped now resumes after it
            state.save(update_fields=["full_read_after"])
        # Caught up before removing what was not seen: a customer renamed during the
        # read moved behind the read's position and was skipped by it.
        self._changed_since(started - OVERLAP)
        unseen = IndexedCustomer.objects.filter(company=self.company, seen_at__lt=started)
        self._forget_views_of(list(unseen.values_list("customer_id", flat=True)))
        self.report.deleted += unseen.delete()[0]
        state.full_read_started_at, state.full_read_after = None, ""
        state.last_full_sync_at = timezone.now()
        state.deletions_checked_at = started
        state.save(
            update_fields=["full_read_started_at", "full_read_after", "last_full_sync_at", "deletions_checked_at"]
        )

    def incremental(self) -> None:
        state = self.state
        high_water = state.updated_high_water or state.last_full_sync_at
        checked_at = timezone.now()
        self._changed_since(high_water - OVERLAP if high_water else None)
        last_checked = state.deletions_checked_at or checked_at  # set by every full read
        deleted = self._ask(self.conductor.list_deleted_customers, last_checked - OVERLAP)
        if deleted:
            gone = IndexedCustomer.objects.filter(company=self.company, customer_id__in=[d.id for d in deleted])
            self._forget_views_of([d.id for d in deleted])
            self.report.deleted += gone.delete()[0]
        state.deletions_checked_at = checked_at
        state.save(update_fields=["deletions_checked_at"])

    def _changed_since(self, since: datetime | None) -> None:
        """Customers updated since `since`, and the jobs of any whose full name changed."""
        known = dict(IndexedCustomer.objects.filter(company=self.company).values_list("customer_id", "full_name"))
        renamed: list[records.Customer] = []
        for customers in self._every_page(CustomerQuery(status="all", updated_after=since)):
            self._store(customers, timezone.now())
            renamed += [c for c in customers if c.id in known and known[c.id] != c.full_name]
        for customer in renamed:
            # Every job below it changed its full name too, without its updatedAt moving.
            query = CustomerQuery(status="all", name_from=customer.full_name + ":", name_to=customer.full_name + ";")
            for jobs in self._every_page(query):
                self._store(jobs, timezone.now())

    def _every_page(self, query: CustomerQuery) -> Iterator[list[records.Customer]]:
        """The query's matches a page at a time, in full-name order. Paged by name
        (`nameFrom` = the last full name read), never by cursor: the sync pauses between
        two pages for as long as people's pages ask (up to MAX_PAUSE_SECONDS), and a cursor
        dies about ten seconds after its last page. `nameFrom` is inclusive: the row it
        names is read twice and kept once."""
        after = ""
        while True:
            page_query = _whole(dataclasses.replace(query, name_from=after) if after else query)
            page = self._ask(self.conductor.list_customers, page_query, limit=PAGE)
            position = after.casefold()
            rows = sorted(
                (c for c in page.customers if not after or c.full_name.casefold() > position),
                key=lambda c: c.full_name.casefold(),
            )
            yield rows
            if not page.has_more or not rows:
                return
            after = rows[-1].full_name

    def transactions(self) -> None:
        reads = TransactionSync(self.company, self.state, self.conductor, self._ask, self._ask_ahead)
        try:
            reads.run()
        finally:
            reads.finish()
            self.report.transactions_changed += reads.stored
            self.report.transactions_deleted += reads.deleted
        if reads.full_started is None and reads.customers_touched:
            self.read_again(reads.customers_touched)

    def read_again(self, customer_ids: set[str]) -> None:
        """These customers, and the parents above them, read again by id: their balances
        moved with their transactions, and QuickBooks need not move their updatedAt."""
        held = IndexedCustomer.objects.filter(company=self.company, customer_id__in=customer_ids)
        parents = {
            ":".join(parts[:depth])
            for parts in (name.split(":") for name in held.values_list("full_name", flat=True))
            for depth in range(1, len(parts))
        }
        above = IndexedCustomer.objects.filter(company=self.company, full_name__in=parents)
        wanted = sorted(
            set(held.values_list("customer_id", flat=True)) | set(above.values_list("customer_id", flat=True))
        )
        for start in range(0, len(wanted), PAGE):
            self._read_by_ids(tuple(wanted[start : start + PAGE]))

    def _read_by_ids(self, ids: tuple[str, ...]) -> None:
        """One unknown id fails the whole request: then each is read alone, and one that
        is gone is left to the deletions."""
        try:
            page = self._ask(self.conductor.list_customers, _whole(CustomerQuery(ids=ids)), limit=len(ids))
        except (errors.NotFoundError, errors.InvalidRequestError):
            if len(ids) > 1:
                for one in ids:
                    self._read_by_ids((one,))
            return
        self._store(page.customers, timezone.now())

    def finish(self) -> None:
        state = self.state
        rows = IndexedCustomer.objects.filter(company=self.company)
        state.updated_high_water = rows.aggregate(latest=Max("updated_at"))["latest"] or state.updated_high_water
        state.customers = rows.count()
        state.in_step_at = timezone.now()
        state.last_pages, state.last_changed, state.last_deleted = (
            self.report.pages,
            self.report.changed,
            self.report.deleted,
        )
        state.last_error = ""
        # Not looked_at: pages write it meanwhile.
        state.save(
            update_fields=[
                "updated_high_water",
                "customers",
                "in_step_at",
                "last_pages",
                "last_changed",
                "last_deleted",
                "last_error",
                "transactions_high_water",
                "transactions",
                "transactions_as_of",
            ]
        )


def _whole(query: CustomerQuery) -> CustomerQuery:
    """The query asking for complete records: the copy keeps every field."""
    return dataclasses.replace(query, exclude_alternate_shipping_addresses=False)


def sync_company(company: Company, *, full: bool = False, owner: str | None = None) -> SyncReport:
    """Bring the company's index in step now (a full read when asked, when it never had
    one, when one was interrupted, or when deletions can no longer be learned)."""
    state, _ = CompanySync.objects.get_or_create(company=company)
    lease = _Lease(state, owner or worker_name())
    needs_full = (
        full
        or not state.ready
        or state.full_read_started_at is not None
        or state.deletions_checked_at is None
        or state.deletions_checked_at < timezone.now() - DELETIONS_KEPT + OVERLAP
        # Rows stored before the copy held complete records.
        or IndexedCustomer.objects.filter(company=company, record__isnull=True).exists()
    )
    if full:
        state.transaction_kinds_read = {}  # read every kind again too
    report = SyncReport(company, "full" if needs_full else "incremental")
    if not lease.take():
        report.kind = "skipped"
        return report
    syncer = None
    try:
        syncer = _Syncer(company, state, lease, report)
        if needs_full:
            syncer.full()
        else:
            syncer.incremental()
        syncer.transactions()
        syncer.company_file()
        syncer.finish()
    except LOOKUP_FAILURES as exc:
        report.error = problem_for(exc, company.name).summary
        logger.warning("sync of %s stopped: %s", company.conductor_id, exc)
        CompanySync.objects.filter(pk=state.pk).update(last_error=report.error[:500], last_error_at=timezone.now())
        if (learned := connections.learned_from(exc)) is not None:
            # The sync is a check too: the home page and admin say one state, the true one.
            connections.store_check(company, learned)
    except LeaseLost as exc:
        report.error = str(exc)
    finally:
        if syncer is not None:
            syncer.ahead.shutdown(wait=False, cancel_futures=True)
        lease.release()
    return report
