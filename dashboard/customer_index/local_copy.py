"""What the pages read from the local copy: a customer's record, the customers above and
below it, its transactions, one document, invoices by number. Parsed by the parsers of
live answers (one parser, not two); never a call to QuickBooks.

Each read says how old it is: a record as of when it was last read (by the sync or a
live check), transactions as of the start of the sync (or live check) that last
confirmed them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet

from dashboard.conductor import records
from dashboard.conductor.record_fields import MalformedRecord
from dashboard.conductor.transactions import Document, Payment, TransactionRow, parse_document, parse_payment
from dashboard.customer_index.models import CompanySync, CopiedTransaction, IndexedCustomer
from dashboard.customer_index.transaction_sync import ALL_KINDS, kinds_not_read, open_amount, window_start
from dashboard.models import Company

Kind = CopiedTransaction.Kind


@dataclass(frozen=True)
class Held[T]:
    """Something the copy holds, and the moment QuickBooks last confirmed it."""

    value: T
    as_of: datetime


def _state(company: Company) -> CompanySync | None:
    return CompanySync.objects.filter(company=company).first()


def customers_ready(company: Company) -> bool:
    """Every customer's complete record is held (one full read has finished)."""
    state = _state(company)
    return state is not None and state.ready


def transactions_ready(company: Company) -> CompanySync | None:
    """The company's state when every kind of transaction has been read in full."""
    state = _state(company)
    if state is None or state.transactions_as_of is None:
        return None
    return None if kinds_not_read(state.transaction_kinds_read) else state


def _with_record(company: Company, customer_id: str) -> "QuerySet[IndexedCustomer]":
    """The customer's row, when the copy holds its record (rows stored before the copy
    held records have none until the next full read)."""
    return IndexedCustomer.objects.filter(company=company, customer_id=customer_id, record__isnull=False)


def customer(company: Company, customer_id: str) -> Held[records.Customer] | None:
    """The customer's record as the copy holds it (None: not held, or unreadable)."""
    row = _with_record(company, customer_id).only("record", "seen_at").first()
    if row is None:
        return None
    try:
        return Held(records.parse_customer(row.record), row.seen_at)
    except MalformedRecord:
        return None


@dataclass(frozen=True)
class HeldCustomer:
    """A customer's record as the copy holds it, and when its (and its jobs')
    transactions were last confirmed (None: the company's are not all read yet)."""

    record: Held[records.Customer]
    transactions_as_of: datetime | None


def customer_for_page(company: Company, customer_id: str) -> HeldCustomer | None:
    """customer() and transactions_as_of() in one query: a page's first view reads the
    copy once for both."""
    row = (
        _with_record(company, customer_id)
        .values_list(
            "record",
            "seen_at",
            "checked_at",
            "company__sync__transactions_as_of",
            "company__sync__transaction_kinds_read",
        )
        .first()
    )
    if row is None:
        return None
    record, seen_at, checked_at, synced_at, kinds_read = row
    try:
        parsed = records.parse_customer(record)
    except MalformedRecord:
        return None
    as_of = None if synced_at is None or kinds_not_read(kinds_read) else _later(synced_at, checked_at)
    return HeldCustomer(Held(parsed, seen_at), as_of)


def customer_version(company: Company, customer_id: str) -> tuple[object, ...] | None:
    """What changes whenever anything a customer page shows from the copy may have: when
    the record was read, when the customer was last checked, when the company's
    transactions were last confirmed (each sync). None: the copy does not hold the record.
    One query: a page opened again costs little more than this."""
    return (
        _with_record(company, customer_id)
        .values_list(
            "seen_at", "checked_at", "company__sync__transactions_as_of", "company__sync__transaction_kinds_read"
        )
        .first()
    )


def holds_customer(company: Company, customer_id: str) -> bool:
    return _with_record(company, customer_id).exists()


def below(company: Company, full_name: str) -> list[records.Customer]:
    """Every job and sub-job below the customer, by full name."""
    rows = (
        IndexedCustomer.objects.filter(company=company, full_name__istartswith=full_name + ":", record__isnull=False)
        .only("full_name", "record")
        .order_by("full_name")
    )
    prefix = full_name.casefold() + ":"
    found = []
    for row in rows:
        if row.full_name.casefold().startswith(prefix):  # istartswith may be looser than casefold
            try:
                found.append(records.parse_customer(row.record))
            except MalformedRecord:
                continue
    return found


def ids_with_jobs(company: Company, customer_id: str, full_name: str) -> tuple[str, ...]:
    """The customer's id and its jobs' (every level below it), as the copy holds them:
    what an account's payments and overdue invoices are looked up by."""
    prefix = full_name.casefold() + ":"
    rows = IndexedCustomer.objects.filter(company=company, full_name__istartswith=full_name + ":")
    jobs = [
        job_id for name, job_id in rows.values_list("full_name", "customer_id") if name.casefold().startswith(prefix)
    ]
    return (customer_id, *jobs)


def ids_by_full_name(company: Company, full_names: Iterable[str]) -> dict[str, str]:
    """full name (casefolded) → id, for those the copy holds."""
    names = list(full_names)
    if not names:
        return {}
    query = Q()
    for name in names:
        query |= Q(full_name__iexact=name)
    rows = IndexedCustomer.objects.filter(company=company).filter(query).values_list("full_name", "customer_id")
    return {full_name.casefold(): customer_id for full_name, customer_id in rows}


def transactions_as_of(company: Company, customer_id: str) -> datetime | None:
    """When this customer's transactions were last confirmed: the later of the last
    sync's start and the customer's own last live check."""
    state = transactions_ready(company)
    return None if state is None else _as_of(state, company, customer_id)


def _as_of(state: CompanySync, company: Company, customer_id: str) -> datetime:
    """transactions_as_of, the company's state in hand."""
    assert state.transactions_as_of is not None  # transactions_ready says so
    checked = (
        IndexedCustomer.objects.filter(company=company, customer_id=customer_id)
        .values_list("checked_at", flat=True)
        .first()
    )
    return _later(state.transactions_as_of, checked)


def _later(synced_at: datetime, checked_at: datetime | None) -> datetime:
    """When a customer's transactions were last confirmed: the later of the last sync's
    start and the customer's own last live check."""
    return max(synced_at, checked_at) if checked_at else synced_at


def _parsed(kind: str, record: dict) -> Document | Payment:
    """A copied transaction, by the parser of its live kind; MalformedRecord if unreadable."""
    return parse_payment(record) if kind == Kind.PAYMENT else parse_document(record)


@dataclass(frozen=True)
class Account:
    """A customer's (and its jobs') transactions as the copy holds them."""

    open_invoices: tuple[Document, ...]
    open_credits: tuple[Document, ...]
    unapplied_payments: tuple[Payment, ...]
    payments_since: tuple[Payment, ...]  # newest first


def account(company: Company, customer_ids: tuple[str, ...], payments_from: date) -> Account:
    rows = (
        CopiedTransaction.objects.filter(company=company, customer_id__in=customer_ids)
        .filter(Q(is_open=True) | Q(kind=Kind.PAYMENT, transaction_date__gte=payments_from))
        .only("kind", "is_open", "transaction_date", "record")
    )
    invoices, credits, unapplied, payments = [], [], [], []
    for row in rows:
        try:
            if row.kind == Kind.PAYMENT:
                payment = parse_payment(row.record)
                if row.is_open:
                    unapplied.append(payment)
                if row.transaction_date and row.transaction_date >= payments_from:
                    payments.append(payment)
                continue
            # The account lists documents, never their lines: those are left unread.
            document = parse_document({**row.record, "lines": [], "lineGroups": []})
        except MalformedRecord:
            continue
        if row.kind == Kind.INVOICE:
            invoices.append(document)
        elif row.kind == Kind.CREDIT_MEMO:
            credits.append(document)
    payments.sort(key=lambda p: (p.transaction_date or date.min, p.id), reverse=True)
    return Account(tuple(invoices), tuple(credits), tuple(unapplied), tuple(payments))


def document(company: Company, transaction_id: str, kind: str) -> Held[Document | Payment] | None:
    """One transaction of this kind, if the copy holds it."""
    state = transactions_ready(company)
    if state is None:
        return None
    row = CopiedTransaction.objects.filter(company=company, transaction_id=transaction_id, kind=kind).first()
    if row is None:
        return None
    try:
        parsed = _parsed(kind, row.record)
    except MalformedRecord:
        return None
    return Held(parsed, _as_of(state, company, row.customer_id))


def invoices_numbered(company: Company, ref_number: str) -> list[Document]:
    """Invoices the copy holds with exactly this number (case-sensitive, as QuickBooks)."""
    found = []
    rows = CopiedTransaction.objects.filter(company=company, kind=Kind.INVOICE, ref_number=ref_number)
    for row in rows:
        if row.ref_number != ref_number:  # some databases compare without case
            continue
        try:
            found.append(parse_document(row.record))
        except MalformedRecord:
            continue
    return found


def _row_of(kind: str, record: Document | Payment) -> TransactionRow:
    """A copied transaction as /transactions would list it."""
    if isinstance(record, Payment):
        amount, account = record.total_amount, record.deposit_to
    else:
        amount, account = record.total, None
    return TransactionRow(
        transaction_type=kind,
        transaction_id=record.id,
        entity=record.customer,
        account=account,
        transaction_date=record.transaction_date,
        ref_number=record.ref_number,
        amount=amount,
        currency=record.currency,
        memo=record.memo,
        updated_at=record.updated_at,
        left=open_amount(record),
    )


@dataclass(frozen=True)
class HistoryWanted:
    customer_ids: tuple[str, ...]
    kind: str  # "" = every kind the copy holds
    status: str  # open | closed | either
    date_from: date | None
    date_to: date | None


def serves_history(company: Company, kind: str, status: str, date_from: date | None) -> date | None:
    """The first day the copy can list history from for this filter, or None when it
    cannot serve it (a kind it does not hold, or its transactions not read yet). Open
    transactions it holds whatever their age; closed ones from the window's start."""
    if transactions_ready(company) is None or (kind and kind not in ALL_KINDS):
        return None
    first_day = window_start()
    if status == "open" or (date_from is not None and date_from >= first_day):
        return date_from or date.min
    return first_day


def history(company: Company, wanted: HistoryWanted) -> list[TransactionRow]:
    """The customer's (and jobs') transactions the copy holds that the filter lets
    through, newest first."""
    rows = CopiedTransaction.objects.filter(company=company, customer_id__in=wanted.customer_ids)
    if wanted.kind:
        rows = rows.filter(kind=wanted.kind)
    if wanted.status == "open":
        rows = rows.filter(is_open=True)
    elif wanted.status == "closed":
        rows = rows.filter(is_open=False)
    if wanted.date_from:
        rows = rows.filter(transaction_date__gte=wanted.date_from)
    if wanted.date_to:
        rows = rows.filter(transaction_date__lte=wanted.date_to)
    found = []
    for row in rows:
        try:
            record = _parsed(row.kind, row.record)
        except MalformedRecord:
            continue
        found.append(_row_of(row.kind, record))
    found.sort(key=lambda r: (r.transaction_date or date.min, r.transaction_id), reverse=True)
    return found


def company_file(company: Company) -> records.CompanyFile | None:
    """The company's own details as the last sync read them (for a statement's "remit
    to"), or None when none has yet."""
    held = CompanySync.objects.filter(company=company).values_list("company_file", flat=True).first()
    if not isinstance(held, dict):
        return None
    address = held.get("address")
    try:
        return records.CompanyFile(
            name=held.get("name"),
            address=records.Address(**address) if isinstance(address, dict) else None,
            phone=held.get("phone"),
            email=held.get("email"),
            website=held.get("website"),
        )
    except TypeError:  # stored by another version of the record: read again next day
        return None
