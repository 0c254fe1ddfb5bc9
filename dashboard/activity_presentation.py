"""Account activity as the pages show it: rows with their links and labels, the aging
line, the balance explained, and the card on file's expiry. Everything that depends on
today takes `today` as an argument, so pages and tests agree on one day.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.urls import reverse

from dashboard import account
from dashboard.account import Activity, Explanation, aging, days_overdue, explain
from dashboard.conductor.records import CreditCard, Customer, Ref
from dashboard.conductor.transactions import Document, Line, LineGroup, Payment, TransactionRow
from dashboard.presentation import Money, address_lines, clean, humanize, money, ref_name

TRANSACTION_TYPE_LABELS = {
    "invoice": "Invoice",
    "receive_payment": "Payment",
    "credit_memo": "Credit memo",
    "sales_receipt": "Sales receipt",
    "estimate": "Estimate",
    "sales_order": "Sales order",
    "charge": "Statement charge",
    "ar_refund_credit_card": "Credit card refund",
    "journal_entry": "Journal entry",
}
# The transaction types with a page of their own, and that page's URL name.
DOCUMENT_PAGES = {
    "invoice": "invoice",
    "receive_payment": "payment",
    "credit_memo": "credit_memo",
    "sales_receipt": "sales_receipt",
}
# A card on file "expires soon" when its last valid day is this close.
CARD_SOON_DAYS = 60


def type_label(transaction_type: str | None) -> str:
    if not transaction_type:
        return "Transaction"
    return TRANSACTION_TYPE_LABELS.get(transaction_type) or humanize(transaction_type)


def document_url(conductor_id: str, transaction_type: str | None, transaction_id: str) -> str | None:
    """The dashboard's page for this transaction, if it has one."""
    name = DOCUMENT_PAGES.get(transaction_type or "")
    return reverse(name, args=[conductor_id, transaction_id]) if name else None


def _job_name(owner: Ref | None, customer: Customer | None) -> str | None:
    """The job a row belongs to, when it is not the customer itself: its name below the
    customer. None on a page that is not about one customer."""
    if customer is None or owner is None or owner.id == customer.id or not owner.full_name:
        return None
    prefix = customer.full_name + ":"
    return owner.full_name.removeprefix(prefix) if owner.full_name.startswith(prefix) else owner.full_name


@dataclass(frozen=True)
class InvoiceRow:
    ref_number: str
    url: str
    transaction_date: date | None
    due_date: date | None
    days_overdue: int
    total: Money | None
    balance: Money | None
    job: str | None


@dataclass(frozen=True)
class AppliedLink:
    label: str
    url: str | None
    amount: Money | None


@dataclass(frozen=True)
class PaymentRow:
    ref_number: str
    url: str
    transaction_date: date | None
    method: str | None
    amount: Money | None
    unused: Money | None
    applied: list[AppliedLink]
    job: str | None


@dataclass(frozen=True)
class BalanceSum:
    """The balance as a sum a person can read out, ending on the figure the header
    shows, in the same form ("125.00 credit"); what QuickBooks counts beyond the items
    listed is a term of its own, never a silent mismatch."""

    open_invoices: Money
    credits: Money | None
    unapplied_payments: Money | None
    not_listed: Money | None  # QuickBooks' balance less the sum of the items (is_credit: it lowers it)
    balance: Money
    quickbooks_unreadable: bool  # the sum stands alone: QuickBooks sent no readable balance


def balance_sum(explained: Explanation) -> BalanceSum:
    zero = Money("0.00", False)
    difference = explained.difference
    return BalanceSum(
        open_invoices=money(explained.open_invoices) or zero,
        credits=money(explained.credits) if explained.credits else None,
        unapplied_payments=money(explained.unapplied_payments) if explained.unapplied_payments else None,
        not_listed=money(difference) if difference else None,
        balance=money(explained.quickbooks if explained.quickbooks is not None else explained.computed) or zero,
        quickbooks_unreadable=explained.quickbooks is None,
    )


@dataclass(frozen=True)
class ActivityView:
    """The customer page's activity section, for one day."""

    open_invoices: list[InvoiceRow]
    overdue: Money | None
    overdue_count: int
    aging: list[tuple[str, Money | None]]
    recent_payments: list[PaymentRow]
    since: date
    explanation: Explanation
    balance_sum: BalanceSum
    # Credits and payments not yet applied: the overdue figure is before them.
    not_applied: Money | None
    open_credits: list[InvoiceRow]
    unapplied_payments: list[PaymentRow]
    incomplete: bool
    covers_jobs: bool


def _number(ref_number: str | None) -> str:
    return clean(ref_number) or "(no number)"


def invoice_row(conductor_id: str, customer: Customer, document: Document, today: date) -> InvoiceRow:
    remaining = document.balance_remaining if document.kind == "invoice" else document.credit_remaining
    return InvoiceRow(
        ref_number=_number(document.ref_number),
        url=reverse(DOCUMENT_PAGES[document.kind], args=[conductor_id, document.id]),
        transaction_date=document.transaction_date,
        due_date=document.due_date,
        days_overdue=days_overdue(document, today) if document.kind == "invoice" else 0,
        total=money(document.total),
        balance=money(remaining),
        job=_job_name(document.customer, customer),
    )


def payment_row(conductor_id: str, customer: Customer | None, payment: Payment) -> PaymentRow:
    return PaymentRow(
        ref_number=clean(payment.ref_number) or "—",  # many payments carry no number
        url=reverse("payment", args=[conductor_id, payment.id]),
        transaction_date=payment.transaction_date,
        method=ref_name(payment.payment_method),
        amount=money(payment.total_amount),
        unused=money(payment.unused_payment) if payment.unused_payment else None,
        applied=[
            AppliedLink(
                label=" ".join(filter(None, [type_label(target.transaction_type), clean(target.ref_number)])),
                url=document_url(conductor_id, target.transaction_type, target.transaction_id),
                amount=money(target.amount),
            )
            for target in payment.applied_to
        ],
        job=_job_name(payment.customer, customer),
    )


def activity_view(conductor_id: str, customer: Customer, activity: Activity, today: date) -> ActivityView:
    invoices = [invoice_row(conductor_id, customer, d, today) for d in activity.open_invoices]
    overdue = account.overdue(activity.open_invoices, today)
    # The activity covers the jobs too, so it adds up to the total balance.
    explained = explain(activity, customer.total_balance)
    not_applied = explained.credits + explained.unapplied_payments
    return ActivityView(
        open_invoices=invoices,
        overdue=money(account.left_to_pay(overdue)) if overdue else None,
        overdue_count=len(overdue),
        aging=[(label, money(amount)) for label, amount in aging(activity.open_invoices, today)],
        recent_payments=[payment_row(conductor_id, customer, p) for p in activity.recent_payments],
        since=activity.since,
        explanation=explained,
        balance_sum=balance_sum(explained),
        not_applied=money(not_applied) if not_applied else None,
        open_credits=[invoice_row(conductor_id, customer, d, today) for d in activity.open_credits],
        unapplied_payments=[payment_row(conductor_id, customer, p) for p in activity.unapplied_payments],
        incomplete=activity.incomplete,
        covers_jobs=len(activity.customer_ids) > 1,
    )


@dataclass(frozen=True)
class StatementLine:
    """One line of a printed statement: an open item, signed (credits lower the
    balance), and the balance after it."""

    transaction_date: date | None
    label: str
    job: str | None
    due_date: date | None
    days_overdue: int
    amount: Money
    running: Money


def statement_lines(customer: Customer, activity: Activity, today: date) -> list[StatementLine]:
    """The open items in date order, then what QuickBooks counts beyond them (its own
    line, with its reason), each with the running balance: the last one is QuickBooks'
    balance, the amount due, so the statement adds up line by line."""
    items: list[tuple[date | None, str, str | None, date | None, int, Decimal]] = []

    def add(
        when: date | None, label: str, owner: Ref | None, amount: Decimal, due: date | None = None, late: int = 0
    ) -> None:
        items.append((when, label, _job_name(owner, customer), due, late, amount))

    for invoice in activity.open_invoices:
        remaining = invoice.balance_remaining or Decimal(0)
        late = days_overdue(invoice, today)
        add(
            invoice.transaction_date,
            f"Invoice {_number(invoice.ref_number)}",
            invoice.customer,
            remaining,
            invoice.due_date,
            late,
        )
    for memo in activity.open_credits:
        add(
            memo.transaction_date,
            f"Credit memo {_number(memo.ref_number)}",
            memo.customer,
            -(memo.credit_remaining or Decimal(0)),
        )
    for payment in activity.unapplied_payments:
        number = clean(payment.ref_number)
        label = f"Payment{f' {number}' if number else ''}, not yet applied"
        add(payment.transaction_date, label, payment.customer, -(payment.unused_payment or Decimal(0)))
    items.sort(key=lambda item: (item[0] or date.min, item[1]))
    explained = explain(activity, customer.total_balance)
    if explained.difference:
        label = (
            "Other charges and adjustments in QuickBooks" if explained.difference > 0 else "Other credits in QuickBooks"
        )
        items.append((None, label, None, None, 0, explained.difference))
    lines, running = [], Decimal(0)
    for when, label, job, due, late, amount in items:
        running += amount
        lines.append(
            StatementLine(
                when,
                label,
                job,
                due,
                late,
                money(amount) or Money("0.00", False),
                money(running) or Money("0.00", False),
            )
        )
    return lines


@dataclass(frozen=True)
class CardStatus:
    label: str  # "Expired" | "Expires soon"
    css: str


def card_status(card: CreditCard | None, today: date) -> CardStatus | None:
    """Expired once its expiry month has passed; "expires soon" within CARD_SOON_DAYS of
    the end of its expiry month (a card is valid through that month)."""
    if card is None or not card.expiration_year or not card.expiration_month or not 1 <= card.expiration_month <= 12:
        return None
    if (card.expiration_year, card.expiration_month) < (today.year, today.month):
        return CardStatus("Expired", "expired")
    next_month = date(card.expiration_year + card.expiration_month // 12, card.expiration_month % 12 + 1, 1)
    if (next_month - today).days <= CARD_SOON_DAYS:
        return CardStatus("Expires soon", "soon")
    return None


@dataclass(frozen=True)
class LineRow:
    item: str | None
    description: str | None
    quantity: float | None
    rate: Money | None
    amount: Money | None
    service_date: date | None
    in_group: bool = False


@dataclass(frozen=True)
class GroupRow:
    """A line group: its heading row, then its lines."""

    item: str | None
    description: str | None
    quantity: float | None
    total: Money | None
    lines: list[LineRow]


def _line_row(line: Line, in_group: bool = False) -> LineRow:
    rate = money(line.rate) if line.rate is not None else None
    return LineRow(
        item=ref_name(line.item),
        description=clean(line.description),
        quantity=line.quantity,
        rate=rate,
        amount=money(line.amount),
        service_date=line.service_date,
        in_group=in_group,
    )


def line_rows(document: Document) -> list[LineRow | GroupRow]:
    """Lines first, then groups with their lines (QuickBooks' own order across the two
    is not in the API)."""
    rows: list[LineRow | GroupRow] = [_line_row(line) for line in document.lines]
    rows += [_group_row(group) for group in document.line_groups]
    return rows


def _group_row(group: LineGroup) -> GroupRow:
    return GroupRow(
        item=ref_name(group.item_group),
        description=clean(group.description),
        quantity=group.quantity,
        total=money(group.total_amount),
        lines=[_line_row(line, in_group=True) for line in group.lines],
    )


def document_addresses(document: Document) -> list[tuple[str, list[str]]]:
    return [
        (title, lines)
        for title, lines in (
            ("Bill to", address_lines(document.billing_address)),
            ("Ship to", address_lines(document.shipping_address)),
        )
        if lines
    ]


@dataclass(frozen=True)
class HistoryRow:
    type_label: str
    ref_number: str
    url: str | None
    transaction_date: date | None
    charge: Money | None  # what it added to what the customer owes
    paid: Money | None  # what it took off (a payment, a credit)
    not_billed: Money | None  # an estimate or order: no part of the balance
    status: str | None  # Open, Paid, Partly paid, Applied, Void…; None when not known (read live)
    left: Money | None  # what is still open on it, when known
    memo: str | None
    job: str | None


_CHARGES = {"invoice", "charge", "sales_receipt"}
_PAYMENTS = {"receive_payment", "credit_memo"}
# Per kind: (fully open, partly open, nothing open) in words.
_STATUS_WORDS = {
    "invoice": ("Open", "Partly paid", "Paid"),
    "credit_memo": ("Open", "Partly applied", "Applied"),
    "receive_payment": ("Not applied", "Partly applied", "Applied"),
}


def _status(kind: str | None, amount: Decimal | None, left: Decimal | None) -> str | None:
    if left is None or amount is None or kind is None:
        return None
    if amount == 0 and left == 0:
        return "Void"  # QuickBooks keeps a voided transaction with its amounts at zero
    if kind == "sales_receipt":
        return "Paid at sale"
    if kind not in _STATUS_WORDS:
        return None
    whole, part, none = _STATUS_WORDS[kind]
    return none if left == 0 else whole if left == amount else part


def history_row(conductor_id: str, customer: Customer, row: TransactionRow) -> HistoryRow:
    amount, kind = money(row.amount), row.transaction_type
    return HistoryRow(
        type_label=type_label(kind),
        ref_number=_number(row.ref_number),
        url=document_url(conductor_id, kind, row.transaction_id),
        transaction_date=row.transaction_date,
        charge=amount if kind in _CHARGES else None,
        paid=amount if kind in _PAYMENTS else None,
        not_billed=amount if kind not in _CHARGES | _PAYMENTS else None,
        status=_status(kind, row.amount, row.left),
        left=money(row.left) if row.left else None,
        memo=clean(row.memo),
        job=_job_name(row.entity, customer),
    )


@dataclass(frozen=True)
class NumberedInvoiceRow:
    """One of the invoices that share a number (the jump box lists them to pick from)."""

    number: str
    url: str
    customer: str | None
    date: date | None
    total: Money | None
    balance: Money | None


def numbered_invoice_row(conductor_id: str, document: Document) -> NumberedInvoiceRow:
    return NumberedInvoiceRow(
        number=_number(document.ref_number),
        url=reverse("invoice", args=[conductor_id, document.id]),
        customer=ref_name(document.customer),
        date=document.transaction_date,
        total=money(document.total),
        balance=money(document.balance_remaining),
    )
