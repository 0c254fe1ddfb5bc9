"""Changing a company's transactions under the dashboard, as a QuickBooks user would: add
an invoice, receive a payment against one, void or delete a transaction. For the tests
and the demo of a local copy kept in step.

Faithful to what the contract says (and no kinder than QuickBooks may be):
- every change moves the changed transaction's `updatedAt` (and revisionNumber), and a
  payment's moves the invoice it is applied to as well;
- the customer's `balance` (and the `totalBalance` of it and its parents) follows, but
  the customer's own `updatedAt` does **not** move: a copy must not count on it;
- a voided transaction stays, its amounts at zero, and is no longer open;
- a deleted one is listed by deleted-transactions for 90 days, oldest first.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from fake_conductor import edits
from fake_conductor.data import Company
from fake_conductor.faults import ApiError
from fake_conductor.ledger import _Writer, money

KINDS = ("invoice", "receive_payment", "credit_memo", "sales_receipt")


def _writer(company: Company, day: date) -> _Writer:
    """A writer that adds to the company's own ledger, with ids after every id it has."""
    highest = max((int(i.split("-")[0], 16) for i in company.ledger.by_id()), default=0x7A000000)
    writer = _Writer(seed=highest, zone=company.time_zone, today=day, id_base=highest)
    writer.ledger = company.ledger
    writer.next_ref = 1 + max(
        (int(i["refNumber"]) for i in company.ledger.invoices if (i.get("refNumber") or "").isdigit()), default=1000
    )
    return writer


def _touch(company: Company, item: dict, at: str | None) -> None:
    moment = edits._now(company, at)
    item["updatedAt"] = moment.isoformat()
    item["revisionNumber"] = str(int(moment.timestamp()))


def _owed_change(company: Company, customer_id: str, change: Decimal) -> None:
    """The customer's balance moves by `change`; totals roll up (its updatedAt stays)."""
    customer = edits._find(company, customer_id)
    customer["balance"] = money(Decimal(customer["balance"] or "0") + change)
    edits._roll_up(company)


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ApiError("invalid_request", "amount is not a number.") from None
    if not amount.is_finite() or amount <= 0:
        raise ApiError("invalid_request", "amount must be more than zero.")
    return amount.quantize(Decimal("0.01"))


def _find(company: Company, transaction_id: str) -> tuple[str, dict]:
    found = company.ledger.by_id().get(transaction_id)
    if found is None or found[0] not in KINDS:
        raise ApiError("invalid_request", f"No invoice, payment, credit memo or sales receipt {transaction_id}.")
    return found


def add_invoice(company: Company, customer_id: str, amount: str, day: str | None = None, at: str | None = None) -> dict:
    """An unpaid invoice of one line for exactly `amount`, dated `day` (today)."""
    customer = edits._find(company, customer_id)
    when = date.fromisoformat(day) if day else edits._now(company, at).date()
    owed = _amount(amount)
    invoice = _writer(company, when).invoice(customer, when, amount=owed)
    _touch(company, invoice, at)
    invoice["createdAt"] = invoice["updatedAt"]
    _owed_change(company, customer_id, owed)
    return invoice


def pay_invoice(company: Company, invoice_id: str, amount: str, at: str | None = None) -> dict:
    """A payment of `amount` received today and applied to the invoice."""
    kind, invoice = _find(company, invoice_id)
    paid = _amount(amount)
    if kind != "invoice" or not 0 < paid <= Decimal(invoice["balanceRemaining"]):
        raise ApiError("invalid_request", "A payment must be applied to an invoice, up to its balance.")
    customer = edits._find(company, invoice["customer"]["id"])
    when = edits._now(company, at).date()
    payment = _writer(company, when).payment(customer, when, [(invoice, paid)], Decimal(0))
    _touch(company, payment, at)
    payment["createdAt"] = payment["updatedAt"]
    _touch(company, invoice, at)
    _owed_change(company, customer["id"], -paid)
    return payment


def _open_amount(kind: str, item: dict) -> Decimal:
    """What the item adds to its customer's balance."""
    if kind == "invoice":
        return Decimal(item["balanceRemaining"])
    if kind == "credit_memo":
        return -Decimal(item["creditRemaining"])
    if kind == "receive_payment":
        return -Decimal(item["unusedPayment"])
    return Decimal(0)


def _unapply(company: Company, kind: str, item: dict, at: str | None) -> None:
    """A payment voided or deleted gives back what it paid on its invoices."""
    if kind != "receive_payment":
        return
    by_id = company.ledger.by_id()
    for target in item.get("appliedToTransactions") or []:
        found = by_id.get(target["transactionId"])
        if found is None:
            continue
        invoice, amount = found[1], Decimal(target["amount"])
        invoice["balanceRemaining"] = money(Decimal(invoice["balanceRemaining"]) + amount)
        invoice["appliedAmount"] = money(Decimal(invoice["appliedAmount"]) + amount)
        invoice["isPaid"] = Decimal(invoice["balanceRemaining"]) == 0
        invoice["linkedTransactions"] = [link for link in invoice["linkedTransactions"] if link["id"] != item["id"]]
        _touch(company, invoice, at)
        _owed_change(company, invoice["customer"]["id"], amount)
    item["appliedToTransactions"] = []


def void(company: Company, transaction_id: str, at: str | None = None) -> dict:
    """Its amounts set to zero, as QuickBooks voids: kept, and no longer open."""
    kind, item = _find(company, transaction_id)
    was = _open_amount(kind, item)
    _unapply(company, kind, item, at)
    zero = money(Decimal(0))
    for key in ("subtotal", "salesTaxTotal", "totalAmount", "balanceRemaining", "appliedAmount", "creditRemaining"):
        if key in item:
            item[key] = zero
    for key in ("unusedPayment", "unusedCredits"):
        if key in item:
            item[key] = zero
    for line in item.get("lines") or []:
        line["amount"] = zero
    if kind == "invoice":
        item["isPaid"] = True
    item["memo"] = "VOID: " + (item.get("memo") or "")
    _touch(company, item, at)
    if was:
        _owed_change(company, item["customer"]["id"], -was)
    return item


def delete(company: Company, transaction_id: str, at: str | None = None) -> dict:
    kind, item = _find(company, transaction_id)
    was = _open_amount(kind, item)
    _unapply(company, kind, item, at)
    company.ledger.kinds()[kind].remove(item)
    deleted = {
        "transactionType": kind,
        "id": item["id"],
        "objectType": "qbd_deleted_transaction",
        "createdAt": item["createdAt"],
        "deletedAt": edits._now(company, at).isoformat(),
        "refNumber": item.get("refNumber"),
    }
    company.deleted_transactions.append(deleted)
    if was:
        _owed_change(company, item["customer"]["id"], -was)
    return deleted
