"""The live check: QuickBooks asked to confirm the one customer a person is looking at.

A page answers from the copy at once; its script then asks for this check, which reads
the customer's record (one request) and asks /transactions what of the customer's and its
jobs' changed since the copy last confirmed them (one more; then only what changed is
read, by id). The copy is updated, and the check says in words what changed, so the page
can update itself in place. Deletions reach the copy with the next sync (every
SYNC_ATTENTION_INTERVAL_SECONDS while people look at the company).

It runs as a person's lookup: it takes one of the company's places, and the sync holds
back for it, so it never waits behind more than the one sync request in flight.
"""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from dashboard.caching.company_limit import page_budget
from dashboard.caching.side_by_side import start_lookup
from dashboard.conductor import records
from dashboard.customer_index import local_copy
from dashboard.customer_index.compact_json import compact
from dashboard.customer_index.models import CopiedTransaction, IndexedCustomer
from dashboard.customer_index.rows import store_customers
from dashboard.customer_index.transaction_sync import OVERLAP, TransactionSync
from dashboard.models import Company

# A check repeated within this long (two people, two tabs, a reload) answers from the one
# just made instead of asking QuickBooks again.
RECENT = timedelta(seconds=10)
# /transactions takes repeated ids; a customer with more jobs is checked in several asks.
IDS_PER_ASK = 100

# One check of a customer at a time in a process: a lock per stripe of customers, so the
# locks stay as many however many customers are checked.
_checking = [threading.Lock() for _ in range(64)]


@dataclass(frozen=True)
class Check:
    checked_at: datetime
    changes: tuple[str, ...]  # what changed, in words; none: the copy was right
    asked: bool  # False: a check made a moment ago stands


def _lock_for(company: Company, customer_id: str) -> threading.Lock:
    return _checking[hash((company.conductor_id, customer_id)) % len(_checking)]


def _money(amount: Decimal | None) -> str:
    return "none" if amount is None else f"{amount:,.2f}"


def _record_changes(before: records.Customer | None, after: records.Customer) -> list[str]:
    if before is None:
        return ["the customer was not in the local copy yet"]
    changes = []
    if before.total_balance != after.total_balance:
        changes.append(f"balance {_money(before.total_balance)} → {_money(after.total_balance)}")
    ignored = ("updatedAt", "revisionNumber", "balance", "totalBalance")
    # As the copy keeps them (without nulls): a null that QuickBooks sent is no edit.
    kept_before, kept_after = compact(dict(before.source)), compact(dict(after.source))
    if {k: v for k, v in kept_before.items() if k not in ignored} != {
        k: v for k, v in kept_after.items() if k not in ignored
    }:
        changes.append("the customer’s record was edited")
    return changes


def _transaction_changes(company: Company, read: list[str], before: dict[str, datetime | None]) -> list[str]:
    rows = CopiedTransaction.objects.filter(company=company, transaction_id__in=read)
    added: dict[str, int] = {}
    changed: dict[str, int] = {}
    for row in rows:
        tally = changed if row.transaction_id in before else added
        label = row.get_kind_display().lower()
        tally[label] = tally.get(label, 0) + 1
    words = [f"{n} new {label}{'s' if n > 1 else ''}" for label, n in added.items()]
    words += [f"{n} {label}{'s' if n > 1 else ''} changed" for label, n in changed.items()]
    gone = len([i for i in read if i in before]) - sum(changed.values())
    if gone > 0:
        words.append(f"{gone} transaction{'s' if gone > 1 else ''} settled and out of the copy's window")
    return words


def check_customer(company: Company, customer_id: str, *, force: bool = False) -> Check:
    """Confirm (or correct) the copy of one customer with QuickBooks. Raises what a
    person's lookups raise (problems.LOOKUP_FAILURES); the copy keeps what it had then."""
    with _lock_for(company, customer_id):
        # The record is read (and parsed) below only if QuickBooks is asked.
        checked_at = (
            IndexedCustomer.objects.filter(company=company, customer_id=customer_id)
            .values_list("checked_at", flat=True)
            .first()
        )
        now = timezone.now()
        if not force and checked_at and now - checked_at < RECENT:
            return Check(checked_at, (), asked=False)
        held = local_copy.customer(company, customer_id)
        conductor = company.conductor()
        state = local_copy.transactions_ready(company)
        since = local_copy.transactions_as_of(company, customer_id)
        read: list[str] = []
        before: dict[str, datetime | None] = {}
        with page_budget():
            # The record and "what changed" are asked side by side: one round trip, then
            # only what changed is read.
            record_call = start_lookup(conductor.retrieve_customer, customer_id)
            try:
                if state is not None and since is not None and held is not None:
                    below = local_copy.below(company, held.value.full_name)
                    everyone = (customer_id, *(c.id for c in below))
                    before = dict(
                        CopiedTransaction.objects.filter(company=company, customer_id__in=everyone).values_list(
                            "transaction_id", "updated_at"
                        )
                    )
                    reads = TransactionSync(company, state, conductor, _ask_now)
                    for start in range(0, len(everyone), IDS_PER_ASK):
                        read += reads.changed_since(since - OVERLAP, everyone[start : start + IDS_PER_ASK])
            finally:
                fresh = record_call.result()
        changes = _record_changes(held.value if held else None, fresh)
        store_customers(company, [fresh], timezone.now())
        if read:
            changes += _transaction_changes(company, read, before)
        if state is not None:
            IndexedCustomer.objects.filter(company=company, customer_id=customer_id).update(checked_at=now)
        return Check(now, tuple(changes), asked=True)


def _ask_now(call, *args, within_walk: bool = False, **kwargs):  # type: ignore[no-untyped-def]
    """A person's calls go at once: the company's places already put people first."""
    return call(*args, **kwargs)
