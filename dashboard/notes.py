"""Notes support writes about a customer during a call, and promises to pay: the
dashboard's own (never written to QuickBooks), shown to whoever takes the next call.

A promise is judged from the local copy: **kept** when the payments received from the day
it was made through its date add up to at least its amount (one payment or several),
**due** until its date has passed, **broken** after that. Where the copy does not hold
the company's transactions yet it is **not checked**, never guessed."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dashboard.conductor.transactions import Payment
from dashboard.customer_index import local_copy
from dashboard.models import Company, CustomerNote

# Broken promises a company page lists: those whose date passed within this many days.
BROKEN_LISTED_FOR_DAYS = 30


class PromiseState(StrEnum):
    DUE = "due"
    KEPT = "kept"
    BROKEN = "broken"
    NOT_CHECKED = "not checked"


@dataclass(frozen=True)
class NoteShown:
    note: CustomerNote
    promise: PromiseState | None  # None: no promise in the note
    paid: Decimal  # received toward the promise (0 without one)


def promise_state(note: CustomerNote, payments: Sequence[Payment] | None, today: date) -> tuple[PromiseState, Decimal]:
    """`payments`: the account's payments from the copy, None where it holds none yet."""
    assert note.promise_amount is not None and note.promise_date is not None
    if payments is None:
        return PromiseState.NOT_CHECKED, Decimal(0)
    made = timezone.localdate(note.written_at)
    paid = sum(
        (
            p.total_amount or Decimal(0)
            for p in payments
            if p.transaction_date is not None and made <= p.transaction_date <= note.promise_date
        ),
        Decimal(0),
    )
    if paid >= note.promise_amount:
        return PromiseState.KEPT, paid
    return (PromiseState.DUE if today <= note.promise_date else PromiseState.BROKEN), paid


def _payments(company: Company, ids: tuple[str, ...], since: date) -> tuple[Payment, ...] | None:
    if local_copy.transactions_ready(company) is None:
        return None
    return local_copy.account(company, ids, payments_from=since).payments_since


def shown(notes: Iterable[CustomerNote], company: Company, today: date) -> list[NoteShown]:
    """The notes with their promises judged (all of one customer: its payments are read
    once, and only when a note holds a promise)."""
    notes = list(notes)
    promised = [n for n in notes if n.has_promise]
    payments = None
    if promised:
        first = promised[0]
        # A promise is for the account: the customer's payments and its jobs'.
        ids = local_copy.ids_with_jobs(company, first.customer_id, first.customer_name)
        payments = _payments(company, ids, min(timezone.localdate(n.written_at) for n in promised))
    result = []
    for note in notes:
        if note.has_promise:
            state, paid = promise_state(note, payments, today)
            result.append(NoteShown(note, state, paid))
        else:
            result.append(NoteShown(note, None, Decimal(0)))
    return result


def for_customer(company: Company, customer_id: str, today: date) -> list[NoteShown]:
    """The customer's notes as they stand, newest first, promises judged."""
    return shown(CustomerNote.objects.current().filter(company=company, customer_id=customer_id), company, today)


@dataclass(frozen=True)
class PromisesToWatch:
    due_today: list[NoteShown]
    broken: list[NoteShown]


def promises_to_watch(company: Company, today: date) -> PromisesToWatch:
    """A company's promises due today, and those broken in the last weeks."""
    notes = CustomerNote.objects.current().filter(
        company=company,
        promise_amount__isnull=False,
        promise_date__gte=today - timedelta(days=BROKEN_LISTED_FOR_DAYS),
        promise_date__lte=today,
    )
    due_today, broken = [], []
    for note in notes.order_by("promise_date", "customer_name"):
        [judged] = shown([note], company, today)
        if judged.promise == PromiseState.BROKEN:
            broken.append(judged)
        elif note.promise_date == today and judged.promise != PromiseState.KEPT:
            due_today.append(judged)
    return PromisesToWatch(due_today, broken)


def matching(companies: Sequence[Company], text: str, limit: int = 20) -> list[CustomerNote]:
    """Current notes of `companies` whose text (or customer) holds `text`: the home search."""
    words = text.split()
    if not words or not companies:
        return []
    notes = CustomerNote.objects.current().filter(company__in=companies).select_related("company")
    for word in words:
        notes = notes.filter(Q(text__icontains=word) | Q(customer_name__icontains=word))
    return list(notes[:limit])


def add(
    user: User,
    company: Company,
    customer_id: str,
    customer_name: str,
    text: str,
    promise_amount: Decimal | None,
    promise_date: date | None,
) -> CustomerNote:
    return CustomerNote.objects.create(
        company=company,
        customer_id=customer_id,
        customer_name=customer_name[:1000],
        text=text,
        promise_amount=promise_amount,
        promise_date=promise_date,
        author=user,
        author_name=user.get_username(),
    )


def may_change(user: User, note: CustomerNote) -> bool:
    """Its author may edit or delete a note; so may a superuser (a mistake left behind)."""
    return user.is_superuser or (note.author_id is not None and note.author_id == user.pk)


def edit(
    user: User, note: CustomerNote, text: str, promise_amount: Decimal | None, promise_date: date | None
) -> CustomerNote:
    """The note as edited, a new row; the old one is kept and points at it."""
    with transaction.atomic():
        edited = CustomerNote.objects.create(
            company=note.company,
            customer_id=note.customer_id,
            customer_name=note.customer_name,
            text=text,
            promise_amount=promise_amount,
            promise_date=promise_date,
            author=note.author,
            author_name=note.author_name,
            written_at=note.written_at,
            edited_at=timezone.now(),
            edited_by_name=user.get_username(),
        )
        note.replaced_by = edited
        note.save(update_fields=["replaced_by"])
    return edited


def delete(user: User, note: CustomerNote) -> None:
    """Marked deleted, not erased: the audit trail and admin still read it."""
    note.deleted_at = timezone.now()
    note.deleted_by_name = user.get_username()
    note.save(update_fields=["deleted_at", "deleted_by_name"])
