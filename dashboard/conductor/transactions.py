"""Account activity in, small frozen records out: invoices, credit memos and sales
receipts (one `Document` shape, with what only one kind has left empty on the others),
payments received, and the one-row-per-transaction view of /transactions.

The same rules as records.py: a tolerant reader (only a transaction without its id is
malformed; any other unreadable field reads as None and is listed in `unreadable`),
money stays Decimal, and a card number inside a payment's or receipt's
`creditCardTransaction` is cut to its last four digits here, before anything else sees it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dashboard.conductor.record_fields import Fields, MalformedRecord
from dashboard.conductor.records import (
    Address,
    Ref,
    SourceNotPickled,
    each_readable,
    last_four_digits,
    read_address,
    read_ref,
    without_card_number,
)

# The kinds of document the dashboard shows in full, by the objectType Conductor gives them.
DOCUMENT_KINDS = {"qbd_invoice": "invoice", "qbd_credit_memo": "credit_memo", "qbd_sales_receipt": "sales_receipt"}


@dataclass(frozen=True)
class Line:
    item: Ref | None
    description: str | None
    quantity: float | None
    rate: Decimal | None
    rate_percent: Decimal | None
    amount: Decimal | None
    service_date: date | None


@dataclass(frozen=True)
class LineGroup:
    item_group: Ref | None
    description: str | None
    quantity: float | None
    total_amount: Decimal | None
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Link:
    """Another transaction linked to this one (a payment applied to an invoice, the
    invoice a credit was applied to)."""

    transaction_id: str
    transaction_type: str | None
    transaction_date: date | None
    ref_number: str | None
    amount: Decimal | None


@dataclass(frozen=True)
class AppliedTo:
    """Where part of a payment went."""

    transaction_id: str
    transaction_type: str | None
    transaction_date: date | None
    ref_number: str | None
    amount: Decimal | None
    balance_remaining: Decimal | None
    discount_amount: Decimal | None


@dataclass(frozen=True)
class Document(SourceNotPickled):
    """An invoice, credit memo or sales receipt, as the customer received it."""

    kind: str  # invoice | credit_memo | sales_receipt
    id: str
    created_at: datetime | None
    updated_at: datetime | None
    customer: Ref | None
    transaction_date: date | None
    ref_number: str | None
    due_date: date | None
    terms: Ref | None
    purchase_order_number: str | None
    sales_representative: Ref | None
    billing_address: Address | None
    shipping_address: Address | None
    shipping_date: date | None
    shipping_method: Ref | None
    subtotal: Decimal | None
    sales_tax_item: Ref | None
    sales_tax_percentage: Decimal | None
    sales_tax_total: Decimal | None
    total: Decimal | None
    # Invoices only: what has been applied (payments and credits) and what is left.
    applied_amount: Decimal | None
    balance_remaining: Decimal | None
    is_paid: bool | None
    # Credit memos only: the credit not yet used.
    credit_remaining: Decimal | None
    # Sales receipts only: how it was paid on the spot.
    payment_method: Ref | None
    check_number: str | None
    card_last_four: str | None
    memo: str | None
    customer_message: Ref | None
    currency: Ref | None
    lines: tuple[Line, ...]
    line_groups: tuple[LineGroup, ...]
    linked: tuple[Link, ...]
    unreadable: tuple[str, ...] = ()
    # The JSON as received, card number cut to four digits (see records.Customer.source).
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Payment(SourceNotPickled):
    """A payment received from a customer."""

    id: str
    created_at: datetime | None
    updated_at: datetime | None
    customer: Ref | None
    transaction_date: date | None
    ref_number: str | None
    total_amount: Decimal | None
    unused_payment: Decimal | None
    unused_credits: Decimal | None
    payment_method: Ref | None
    card_last_four: str | None
    deposit_to: Ref | None
    memo: str | None
    currency: Ref | None
    applied_to: tuple[AppliedTo, ...]
    unreadable: tuple[str, ...] = ()
    # The JSON as received, card number cut to four digits (see records.Customer.source).
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class TransactionRow:
    """One transaction of any type, as /transactions lists it."""

    transaction_type: str | None
    transaction_id: str
    entity: Ref | None
    account: Ref | None
    transaction_date: date | None
    ref_number: str | None
    amount: Decimal | None
    currency: Ref | None
    memo: str | None
    updated_at: datetime | None = None
    # What is still open on it (balance, credit or payment left), when known: the local
    # copy knows it, /transactions does not say.
    left: Decimal | None = None


@dataclass(frozen=True)
class ListPage[T]:
    """One answer of a transaction list endpoint."""

    items: tuple[T, ...]
    next_cursor: str | None
    remaining_count: int | None
    has_more: bool
    request_id: str | None = None


def _line(f: Fields) -> Line:
    return Line(
        item=read_ref(f, "item"),
        description=f.text("description"),
        quantity=f.number("quantity"),
        rate=f.money("rate"),
        rate_percent=f.money("ratePercent"),
        amount=f.money("amount"),
        service_date=f.day("serviceDate"),
    )


def _line_group(f: Fields) -> LineGroup:
    return LineGroup(
        item_group=read_ref(f, "itemGroup"),
        description=f.text("description"),
        quantity=f.number("quantity"),
        total_amount=f.money("totalAmount"),
        lines=tuple(_line(item) for item in f.objects("lines")),
    )


def _link(f: Fields) -> Link:
    return Link(
        transaction_id=f.text("id", required=True),
        transaction_type=f.text("transactionType"),
        transaction_date=f.day("transactionDate"),
        ref_number=f.text("refNumber"),
        amount=f.money("amount"),
    )


def _applied_to(f: Fields) -> AppliedTo:
    return AppliedTo(
        transaction_id=f.text("transactionId", required=True),
        transaction_type=f.text("transactionType"),
        transaction_date=f.day("transactionDate"),
        ref_number=f.text("refNumber"),
        amount=f.money("amount"),
        balance_remaining=f.money("balanceRemaining"),
        discount_amount=f.money("discountAmount"),
    )


def _card_last_four(f: Fields) -> str | None:
    """The last four digits of a card number inside creditCardTransaction, whatever came."""
    transaction = f.obj("creditCardTransaction")
    request = transaction.obj("request") if transaction else None
    return last_four_digits(request.text("number")) if request else None


def _sum(*amounts: Decimal | None) -> Decimal | None:
    return None if any(a is None for a in amounts) else sum((a for a in amounts if a is not None), Decimal(0))


def parse_document(data: Any) -> Document:
    """An invoice, credit memo or sales receipt; MalformedRecord if it is none of them."""
    f = Fields(data, "transaction")
    kind = DOCUMENT_KINDS.get(f.data.get("objectType"))  # type: ignore[arg-type]
    if kind is None:
        raise MalformedRecord("transaction.objectType is not an invoice, credit memo or sales receipt")
    subtotal, tax = f.money("subtotal"), f.money("salesTaxTotal")
    # An invoice carries no total of its own: it is its subtotal plus tax.
    total = _sum(subtotal, tax or Decimal(0)) if kind == "invoice" else f.money("totalAmount")
    return Document(
        kind=kind,
        id=f.text("id", required=True),
        created_at=f.timestamp("createdAt"),
        updated_at=f.timestamp("updatedAt"),
        customer=read_ref(f, "customer"),
        transaction_date=f.day("transactionDate"),
        ref_number=f.text("refNumber"),
        due_date=f.day("dueDate"),
        terms=read_ref(f, "terms"),
        purchase_order_number=f.text("purchaseOrderNumber"),
        sales_representative=read_ref(f, "salesRepresentative"),
        billing_address=read_address(f.obj("billingAddress")),
        shipping_address=read_address(f.obj("shippingAddress")),
        shipping_date=f.day("shippingDate"),
        shipping_method=read_ref(f, "shippingMethod"),
        subtotal=subtotal,
        sales_tax_item=read_ref(f, "salesTaxItem"),
        sales_tax_percentage=f.money("salesTaxPercentage"),
        sales_tax_total=tax,
        total=total,
        applied_amount=f.money("appliedAmount"),
        balance_remaining=f.money("balanceRemaining"),
        is_paid=f.flag("isPaid"),
        credit_remaining=f.money("creditRemaining"),
        payment_method=read_ref(f, "paymentMethod"),
        check_number=f.text("checkNumber"),
        card_last_four=_card_last_four(f),
        memo=f.text("memo"),
        customer_message=read_ref(f, "customerMessage"),
        currency=read_ref(f, "currency"),
        lines=tuple(_line(item) for item in f.objects("lines")),
        line_groups=tuple(_line_group(item) for item in f.objects("lineGroups")),
        linked=each_readable(f, "linkedTransactions", _link),
        unreadable=tuple(f.unreadable),
        source=without_card_number(f.data, "creditCardTransaction", "request", "number"),
    )


def parse_payment(data: Any) -> Payment:
    f = Fields(data, "payment")
    if f.data.get("objectType") not in (None, "qbd_receive_payment"):
        raise MalformedRecord("payment.objectType is not qbd_receive_payment")
    return Payment(
        id=f.text("id", required=True),
        created_at=f.timestamp("createdAt"),
        updated_at=f.timestamp("updatedAt"),
        customer=read_ref(f, "customer"),
        transaction_date=f.day("transactionDate"),
        ref_number=f.text("refNumber"),
        total_amount=f.money("totalAmount"),
        unused_payment=f.money("unusedPayment"),
        unused_credits=f.money("unusedCredits"),
        payment_method=read_ref(f, "paymentMethod"),
        card_last_four=_card_last_four(f),
        deposit_to=read_ref(f, "depositToAccount"),
        memo=f.text("memo"),
        currency=read_ref(f, "currency"),
        applied_to=each_readable(f, "appliedToTransactions", _applied_to),
        unreadable=tuple(f.unreadable),
        source=without_card_number(f.data, "creditCardTransaction", "request", "number"),
    )


def parse_transaction_row(data: Any) -> TransactionRow:
    f = Fields(data, "transaction")
    return TransactionRow(
        transaction_type=f.text("transactionType"),
        transaction_id=f.text("transactionId", required=True),
        entity=read_ref(f, "entity"),
        account=read_ref(f, "account"),
        transaction_date=f.day("transactionDate"),
        ref_number=f.text("refNumber"),
        amount=f.money("amount"),
        currency=read_ref(f, "currency"),
        memo=f.text("memo"),
        updated_at=f.timestamp("updatedAt"),
    )


def list_parser[T](parse: Callable[[Any], T]) -> Callable[[Any], ListPage[T]]:
    """A parser for one page of a list whose items `parse` reads."""

    def parse_page(data: Any) -> ListPage[T]:
        f = Fields(data, "list")
        if not isinstance(f.data.get("data"), list):
            raise MalformedRecord("list.data is not a list")
        return ListPage(
            items=tuple(parse(item.data) for item in f.objects("data")),
            next_cursor=f.text("nextCursor") or None,
            remaining_count=f.whole("remainingCount"),
            has_more=bool(f.flag("hasMore")),
        )

    return parse_page
