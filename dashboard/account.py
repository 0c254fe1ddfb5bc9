"""What a customer owes and why, as arithmetic: the activity fetched for a customer and
its jobs, the balance explained as a sum, days overdue and the aging. Pure: every date is
given (lookups/activity.py says what today is, and fetches the activity)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dashboard.conductor.transactions import Document, Payment

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
    owed = left_to_pay(activity.open_invoices)
    credits = sum((d.credit_remaining or Decimal(0) for d in activity.open_credits), Decimal(0))
    unused = sum((p.unused_payment or Decimal(0) for p in activity.unapplied_payments), Decimal(0))
    return Explanation(owed, credits, unused, owed - credits - unused, quickbooks_balance)


def days_overdue(document: Document, today: date) -> int:
    """Days past the due date of an unpaid invoice (0: not overdue, or no due date)."""
    if document.due_date is None or not document.balance_remaining:
        return 0
    return max(0, (today - document.due_date).days)


def overdue(invoices: Iterable[Document], today: date) -> list[Document]:
    """The invoices past their due date and not paid."""
    return [invoice for invoice in invoices if days_overdue(invoice, today) > 0]


def left_to_pay(invoices: Iterable[Document]) -> Decimal:
    """What is left to pay on the invoices, together."""
    return sum((invoice.balance_remaining or Decimal(0) for invoice in invoices), Decimal(0))


def aging(invoices: tuple[Document, ...], today: date) -> list[tuple[str, Decimal]]:
    """Open amounts by how long past due: current, 1–30, 31–60, 61–90, over 90 days."""
    totals = [Decimal(0)] * len(AGING_BUCKETS)
    for invoice in invoices:
        late = days_overdue(invoice, today)
        bucket = 0 if late == 0 else 1 if late <= 30 else 2 if late <= 60 else 3 if late <= 90 else 4
        totals[bucket] += invoice.balance_remaining or Decimal(0)
    return list(zip(AGING_BUCKETS, totals, strict=True))
