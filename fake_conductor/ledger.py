"""Seeded account activity for the fake: invoices, payments received, credit memos,
sales receipts and estimates that add up to each customer's balance.

For every customer and job: a few invoices (some paid in full, some in part, some not
at all, some overdue, some current), the payments applied to them (now and then with
money left unapplied, or spread over two invoices), credit memos (open, or applied to an
invoice), sales receipts (paid on the spot, sometimes by card) and estimates. The
customer's `balance` is then set to what QuickBooks would keep: open invoices'
`balanceRemaining` less open `creditRemaining` and `unusedPayment`, and `totalBalance`
adds its jobs'. A few customers are left deliberately out of step, to show the page's
mismatch line; their ids are in `Ledger.out_of_step`.

Dates are counted back from the day the fake starts, in the company's zone, so there
are always overdue and current invoices whatever day it is; everything else comes from
a fixed random seed.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
TAX_RATE = Decimal("8.5")
AR_ACCOUNT = {"id": "A0000001-1500000001", "fullName": "Accounts Receivable"}
UNDEPOSITED = {"id": "A0000002-1500000002", "fullName": "Undeposited Funds"}
SALES_TAX_ITEM = {"id": "20000002-1500000002", "fullName": "State Sales Tax"}
TAXABLE = {"id": "20000001-1500000001", "fullName": "Tax"}
TEMPLATE = {"id": "B0000001-1500000001", "fullName": "Intuit Service Invoice"}
ITEMS = [
    ("Consulting", Decimal("125.00")),
    ("Installation labor", Decimal("85.00")),
    ("Materials", Decimal("42.50")),
    ("Site visit", Decimal("150.00")),
    ("Maintenance plan", Decimal("300.00")),
    ("Delivery", Decimal("35.00")),
    ("Hardware kit", Decimal("219.99")),
]
GROUPS = [("Bathroom package", ["Materials", "Installation labor", "Hardware kit"])]
TERMS = [("Net 30", 30), ("Net 15", 15), ("Due on receipt", 0)]
METHODS = ["Check", "Credit Card", "ACH", "Cash"]
CARD_NUMBERS = ["xxxxxxxxxxxx4242", "xxxxxxxxxxxx1881", "4111111111111111"]


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _ref(item: dict | None) -> dict | None:
    return None if item is None else {"id": item["id"], "fullName": item["fullName"]}


@dataclass
class Ledger:
    """One company file's transactions, by type, in creation order."""

    invoices: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    credit_memos: list[dict] = field(default_factory=list)
    sales_receipts: list[dict] = field(default_factory=list)
    estimates: list[dict] = field(default_factory=list)
    out_of_step: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, tuple[str, dict]]:
        found: dict[str, tuple[str, dict]] = {}
        for kind, items in self.kinds().items():
            for item in items:
                found[item.get("id") or item["transactionId"]] = (kind, item)
        return found

    def kinds(self) -> dict[str, list[dict]]:
        return {
            "invoice": self.invoices,
            "receive_payment": self.payments,
            "credit_memo": self.credit_memos,
            "sales_receipt": self.sales_receipts,
            "estimate": self.estimates,
        }


class _Writer:
    """Writes one company's transactions; ids are unique across all types, ref numbers
    are per type and now and then repeated (QuickBooks allows it)."""

    def __init__(self, seed: int, zone: str, today: date, id_base: int) -> None:
        self.rng = random.Random(seed)
        self.zone = ZoneInfo(zone)
        self.today = today
        self.next_id = id_base
        self.next_ref = 1001
        self.ledger = Ledger()

    def _stamp(self, day: date) -> tuple[str, str, str]:
        """An id and createdAt/updatedAt for a transaction entered on `day`."""
        moment = datetime.combine(day, time(9 + self.rng.randint(0, 8), self.rng.randint(0, 59)), self.zone)
        # Never later than now: QuickBooks stamps what has happened (a later updatedAt would
        # be named by every updatedAfter read until the day passes). Today's later ones
        # were entered a little before now instead, each at its own second (QuickBooks
        # saves one change at a time).
        now = datetime.now(self.zone).replace(microsecond=0)
        if moment > now:
            moment = now - timedelta(seconds=60 + self.next_id % 20000)
        self.next_id += 1
        return f"{self.next_id:X}-{int(moment.timestamp())}", moment.isoformat(), str(int(moment.timestamp()))

    def _ref_number(self) -> str:
        self.next_ref += 1
        return str(self.next_ref)

    def _lines(self, count: int, taxable: bool) -> tuple[list[dict], list[dict], Decimal]:
        rng = self.rng
        lines, groups, subtotal = [], [], Decimal(0)
        for _ in range(count):
            line = self._line(*rng.choice(ITEMS), taxable)
            lines.append(line)
            subtotal += Decimal(line["amount"])
        if rng.random() < 0.25:
            group_name, members = rng.choice(GROUPS)
            inner = [self._line(name, dict(ITEMS)[name], taxable) for name in members]
            total = sum((Decimal(line["amount"]) for line in inner), Decimal(0))
            self.next_id += 1
            groups.append(
                {
                    "id": f"{self.next_id:X}-1600000000",
                    "objectType": "qbd_invoice_line_group",
                    "itemGroup": {"id": "C0000009-1500000009", "fullName": group_name},
                    "description": f"{group_name}: materials and installation",
                    "quantity": 1,
                    "unitOfMeasure": None,
                    "overrideUnitOfMeasureSet": None,
                    "shouldPrintItemsInGroup": True,
                    "totalAmount": money(total),
                    "serviceDate": None,
                    "lines": inner,
                    "customFields": [],
                }
            )
            subtotal += total
        return lines, groups, subtotal

    def _line(self, item: str, rate: Decimal, taxable: bool) -> dict:
        quantity = self.rng.randint(1, 6)
        self.next_id += 1
        return {
            "id": f"{self.next_id:X}-1600000000",
            "objectType": "qbd_invoice_line",
            "item": {"id": f"C{ITEMS.index((item, rate)) + 1:07X}-1500000000", "fullName": item},
            "description": f"{item} ({quantity} × {rate})",
            "quantity": quantity,
            "unitOfMeasure": None,
            "overrideUnitOfMeasureSet": None,
            "rate": money(rate),
            "ratePercent": None,
            "class": None,
            "amount": money(rate * quantity),
            "inventorySite": None,
            "inventorySiteLocation": None,
            "serialNumber": None,
            "lotNumber": None,
            "expirationDate": None,
            "serviceDate": None,
            "salesTaxCode": _ref(TAXABLE) if taxable else None,
            "otherCustomField1": None,
            "otherCustomField2": None,
            "customFields": [],
        }

    def _sales_form(self, customer: dict, day: date, object_type: str, line_type: str, line_count: int) -> dict:
        """The header, lines and totals every sales form shares."""
        taxable = customer.get("salesTaxCode") is not None or self.rng.random() < 0.5
        lines, groups, subtotal = self._lines(line_count, taxable)
        for line in [*lines, *(inner for group in groups for inner in group["lines"])]:
            line["objectType"] = line_type
        for group in groups:
            group["objectType"] = line_type + "_group"
        tax = (subtotal * TAX_RATE / 100).quantize(CENT) if taxable else Decimal(0)
        txn_id, created, revision = self._stamp(day)
        return {
            "id": txn_id,
            "objectType": object_type,
            "createdAt": created,
            "updatedAt": created,
            "revisionNumber": revision,
            "customer": {"id": customer["id"], "fullName": customer["fullName"]},
            "class": None,
            "documentTemplate": _ref(TEMPLATE),
            "transactionDate": day.isoformat(),
            "refNumber": self._ref_number(),
            "billingAddress": customer.get("billingAddress"),
            "shippingAddress": customer.get("shippingAddress"),
            "isPending": False,
            "salesRepresentative": _ref(customer.get("salesRepresentative")),
            "shipmentOrigin": None,
            "shippingDate": None,
            "shippingMethod": None,
            "subtotal": money(subtotal),
            "salesTaxItem": _ref(SALES_TAX_ITEM) if taxable else None,
            "salesTaxPercentage": str(TAX_RATE) if taxable else None,
            "salesTaxTotal": money(tax),
            "currency": _ref(customer.get("currency")),
            "exchangeRate": 1 if customer.get("currency") else None,
            "memo": None,
            "customerMessage": None,
            "isQueuedForPrint": False,
            "isQueuedForEmail": False,
            "salesTaxCode": _ref(TAXABLE) if taxable else None,
            "otherCustomField": None,
            "externalId": None,
            "lines": lines,
            "lineGroups": groups,
            "customFields": [],
            "_total": subtotal + tax,  # removed before serving
        }

    def invoice(self, customer: dict, day: date, lines: int | None = None, amount: Decimal | None = None) -> dict:
        """An unpaid invoice: random lines, or one untaxed line of exactly `amount`."""
        term_name, days = self.rng.choice(TERMS)
        invoice = self._sales_form(customer, day, "qbd_invoice", "qbd_invoice_line", lines or self.rng.randint(1, 5))
        total = invoice.pop("_total")
        if amount is not None:
            line = self._line(*ITEMS[0], taxable=False)
            line.update(quantity=1, rate=money(amount), amount=money(amount), description="Services as agreed")
            total = amount
            invoice.update(
                lines=[line],
                lineGroups=[],
                subtotal=money(amount),
                salesTaxTotal=money(Decimal(0)),
                salesTaxItem=None,
                salesTaxPercentage=None,
                salesTaxCode=None,
            )
        invoice.update(
            {
                "receivablesAccount": _ref(AR_ACCOUNT),
                "isFinanceCharge": False,
                "purchaseOrderNumber": f"PO-{self.rng.randint(100, 999)}" if self.rng.random() < 0.3 else None,
                "terms": {"id": f"6000000{TERMS.index((term_name, days)) + 1}-1600000000", "fullName": term_name},
                "dueDate": (day + timedelta(days=days)).isoformat(),
                "appliedAmount": money(Decimal(0)),
                "balanceRemaining": money(total),
                "balanceRemainingInHomeCurrency": money(total) if customer.get("currency") else None,
                "isPaid": total == 0,
                "suggestedDiscountAmount": None,
                "suggestedDiscountDate": None,
                "linkedTransactions": [],
                "memo": self.rng.choice([None, None, "Thank you for your business.", "Spring order"]),
            }
        )
        self.ledger.invoices.append(invoice)
        return invoice

    def _card(self, customer: dict, expiration_year: Callable[[], int]) -> dict:
        """A creditCardTransaction as a payment or receipt carries it (the number drawn
        first, then the month, then the year: the seed's order)."""
        number, month = self.rng.choice(CARD_NUMBERS), self.rng.randint(1, 12)
        return {
            "request": {
                "number": number,
                "expirationMonth": month,
                "expirationYear": expiration_year(),
                "name": customer.get("contact") or customer["name"],
                "address": None,
                "postalCode": None,
                "commercialCardCode": None,
                "transactionMode": "card_not_present",
                "transactionType": "charge",
            },
            "response": None,
        }

    def payment(self, customer: dict, day: date, applied: list[tuple[dict, Decimal]], unused: Decimal) -> dict:
        txn_id, created, revision = self._stamp(day)
        method = self.rng.choice(METHODS)
        total = sum((amount for _, amount in applied), unused)
        card = (
            self._card(customer, lambda: self.today.year + self.rng.randint(0, 3)) if method == "Credit Card" else None
        )
        payment = {
            "id": txn_id,
            "objectType": "qbd_receive_payment",
            "createdAt": created,
            "updatedAt": created,
            "revisionNumber": revision,
            "customer": {"id": customer["id"], "fullName": customer["fullName"]},
            "receivablesAccount": _ref(AR_ACCOUNT),
            "transactionDate": day.isoformat(),
            "refNumber": str(self.rng.randint(1000, 9999)) if method == "Check" else None,
            "totalAmount": money(total),
            "currency": _ref(customer.get("currency")),
            "exchangeRate": 1 if customer.get("currency") else None,
            "totalAmountInHomeCurrency": money(total) if customer.get("currency") else None,
            "paymentMethod": {"id": f"3000000{METHODS.index(method) + 1}-1600000000", "fullName": method},
            "memo": self.rng.choice([None, "Thanks!", "Partial payment"]) if applied else "Deposit on account",
            "depositToAccount": _ref(UNDEPOSITED),
            "creditCardTransaction": card,
            "unusedPayment": money(unused),
            "unusedCredits": money(Decimal(0)),
            "externalId": None,
            "appliedToTransactions": [],
            "customFields": [],
        }
        for invoice, amount in applied:
            self._apply(invoice, payment, "receive_payment", amount)
            payment["appliedToTransactions"].append(
                {
                    "transactionId": invoice["id"],
                    "transactionType": "invoice",
                    "transactionDate": invoice["transactionDate"],
                    "refNumber": invoice["refNumber"],
                    "balanceRemaining": invoice["balanceRemaining"],
                    "amount": money(amount),
                    "discountAmount": None,
                    "discountAccount": None,
                    "discountClass": None,
                    "linkedTransactions": [],
                }
            )
        self.ledger.payments.append(payment)
        return payment

    def _apply(self, invoice: dict, source: dict, source_type: str, amount: Decimal) -> None:
        remaining = Decimal(invoice["balanceRemaining"]) - amount
        invoice["balanceRemaining"] = money(remaining)
        if invoice["balanceRemainingInHomeCurrency"] is not None:
            invoice["balanceRemainingInHomeCurrency"] = money(remaining)
        invoice["appliedAmount"] = money(Decimal(invoice["appliedAmount"]) - amount)  # negative, as QuickBooks
        invoice["isPaid"] = remaining == 0
        invoice["linkedTransactions"].append(
            {
                "id": source["id"],
                "objectType": "qbd_linked_transaction",
                "transactionType": source_type,
                "transactionDate": source["transactionDate"],
                "refNumber": source["refNumber"],
                "linkType": "amount",
                "amount": money(-amount),
            }
        )

    def credit_memo(self, customer: dict, day: date, applied_to: dict | None) -> dict:
        memo = self._sales_form(customer, day, "qbd_credit_memo", "qbd_credit_memo_line", 1)
        total = memo.pop("_total")
        amount = total
        if applied_to is not None:
            amount = min(total, Decimal(applied_to["balanceRemaining"]))
        memo.update(
            {
                "receivablesAccount": _ref(AR_ACCOUNT),
                "purchaseOrderNumber": None,
                "terms": None,
                "dueDate": None,
                "totalAmount": money(total),
                "creditRemaining": money(total - amount if applied_to is not None else total),
                "creditRemainingInHomeCurrency": None,
                "memo": "Returned goods" if applied_to is None else "Credit applied to invoice",
                "linkedTransactions": [],
            }
        )
        if applied_to is not None and amount > 0:
            self._apply(applied_to, memo, "credit_memo", amount)
            memo["linkedTransactions"].append(
                {
                    "id": applied_to["id"],
                    "objectType": "qbd_linked_transaction",
                    "transactionType": "invoice",
                    "transactionDate": applied_to["transactionDate"],
                    "refNumber": applied_to["refNumber"],
                    "linkType": "amount",
                    "amount": money(-amount),
                }
            )
        self.ledger.credit_memos.append(memo)
        return memo

    def sales_receipt(self, customer: dict, day: date) -> dict:
        receipt = self._sales_form(customer, day, "qbd_sales_receipt", "qbd_sales_receipt_line", 2)
        total = receipt.pop("_total")
        method = self.rng.choice(METHODS)
        card = self._card(customer, lambda: self.today.year + 1) if method == "Credit Card" else None
        for line in receipt["lines"]:
            line["creditCardTransaction"] = None
        for group in receipt["lineGroups"]:
            for line in group["lines"]:
                line["creditCardTransaction"] = None
        receipt.update(
            {
                "checkNumber": str(self.rng.randint(100, 999)) if method == "Check" else None,
                "paymentMethod": {"id": f"3000000{METHODS.index(method) + 1}-1600000000", "fullName": method},
                "dueDate": receipt["transactionDate"],
                "totalAmount": money(total),
                "totalAmountInHomeCurrency": money(total) if customer.get("currency") else None,
                "depositToAccount": _ref(UNDEPOSITED),
                "creditCardTransaction": card,
                "memo": "Paid at the counter",
            }
        )
        self.ledger.sales_receipts.append(receipt)
        return receipt

    def estimate(self, customer: dict, day: date) -> dict:
        txn_id, created, _ = self._stamp(day)
        amount = Decimal(self.rng.randint(20000, 900000)) / 100
        estimate = {
            "transactionType": "estimate",
            "transactionId": txn_id,
            "transactionLineId": None,
            "createdAt": created,
            "updatedAt": created,
            "entity": {"id": customer["id"], "fullName": customer["fullName"]},
            "account": None,
            "transactionDate": day.isoformat(),
            "refNumber": self._ref_number(),
            "amount": money(amount),
            "currency": _ref(customer.get("currency")),
            "exchangeRate": 1 if customer.get("currency") else None,
            "amountInHomeCurrency": money(amount) if customer.get("currency") else None,
            "memo": "Estimate for next phase",
            "_open": True,
        }
        self.ledger.estimates.append(estimate)
        return estimate

    def history(self, customer: dict) -> None:
        """A customer's (or job's) activity over the last months."""
        rng, today = self.rng, self.today
        invoices = []
        for _ in range(rng.choice([0, 1, 2, 3, 4, 6])):
            invoices.append(self.invoice(customer, today - timedelta(days=rng.randint(3, 240))))
        invoices.sort(key=lambda i: i["transactionDate"])
        for invoice in invoices:
            roll = rng.random()
            issued = date.fromisoformat(invoice["transactionDate"])
            paid_on = min(today, issued + timedelta(days=rng.randint(1, 40)))
            total = Decimal(invoice["balanceRemaining"])
            if roll < 0.45 and total > 0:
                extra = Decimal(rng.choice([0, 0, 0, 0, 5000])) / 100
                self.payment(customer, paid_on, [(invoice, total)], extra)
            elif roll < 0.6 and total > 0:
                self.payment(customer, paid_on, [(invoice, (total / 2).quantize(CENT))], Decimal(0))
            elif roll < 0.68 and total > 0:
                self.credit_memo(customer, paid_on, applied_to=invoice)
        unpaid = [i for i in invoices if Decimal(i["balanceRemaining"]) > 0]
        if len(unpaid) >= 2 and rng.random() < 0.3:
            # One cheque settling two invoices.
            first, second = unpaid[:2]
            self.payment(
                customer,
                today - timedelta(days=rng.randint(0, 2)),
                [(first, Decimal(first["balanceRemaining"])), (second, Decimal(10))],
                Decimal(0),
            )
        if rng.random() < 0.15:
            self.credit_memo(customer, today - timedelta(days=rng.randint(1, 60)), applied_to=None)
        for _ in range(rng.choice([0, 0, 1, 2])):
            self.sales_receipt(customer, today - timedelta(days=rng.randint(1, 300)))
        if rng.random() < 0.2:
            self.estimate(customer, today - timedelta(days=rng.randint(1, 30)))


def open_amount(ledger: Ledger, customer_id: str) -> Decimal:
    """What QuickBooks would keep as this exact customer's (or job's) balance."""
    owed = sum(
        (Decimal(i["balanceRemaining"]) for i in ledger.invoices if i["customer"]["id"] == customer_id), Decimal(0)
    )
    credits = sum(
        (Decimal(m["creditRemaining"]) for m in ledger.credit_memos if m["customer"]["id"] == customer_id),
        Decimal(0),
    )
    unused = sum(
        (Decimal(p["unusedPayment"]) for p in ledger.payments if p["customer"]["id"] == customer_id), Decimal(0)
    )
    return owed - credits - unused


def write_ledger(
    customers: list[dict], seed: int, zone: str, today: date, id_base: int, *, keep: tuple[str, ...] = ()
) -> Ledger:
    """Every customer's activity; sets each customer's `balance` to match it (except the
    few left out of step). Customers in `keep` keep their balance, owed on one open
    invoice. The caller rolls balances up into totalBalance."""
    writer = _Writer(seed, zone, today, id_base)
    for customer in customers:
        if customer["id"] in keep:
            if Decimal(customer["balance"]) > 0:
                writer.invoice(customer, today - timedelta(days=20), amount=Decimal(customer["balance"]))
        else:
            writer.history(customer)
    ledger = writer.ledger
    # Ref numbers are free text and not unique: a few invoices share one across customers.
    if len(ledger.invoices) > 12:
        for shared in (ledger.invoices[3], ledger.invoices[11]):
            shared["refNumber"] = ledger.invoices[0]["refNumber"]
    _refresh_references(ledger)
    for n, customer in enumerate(customers):
        customer["balance"] = money(open_amount(ledger, customer["id"]))
        if (
            customer["id"] not in keep
            and n % 13 == 5
            and any(i["customer"]["id"] == customer["id"] for i in ledger.invoices)
        ):
            # Out of step on purpose: a finance charge QuickBooks counts that no list shows.
            customer["balance"] = money(Decimal(customer["balance"]) + Decimal("25.00"))
            ledger.out_of_step.append(customer["id"])
    return ledger


def _refresh_references(ledger: Ledger) -> None:
    """Links carry the other side's ref number and remaining balance as they are now."""
    by_id = ledger.by_id()
    for payment in ledger.payments:
        for target in payment["appliedToTransactions"]:
            invoice = by_id[target["transactionId"]][1]
            target["refNumber"] = invoice["refNumber"]
            target["balanceRemaining"] = invoice["balanceRemaining"]
    for invoice in ledger.invoices:
        for link in invoice["linkedTransactions"]:
            link["refNumber"] = by_id[link["id"]][1]["refNumber"]
    for memo in ledger.credit_memos:
        for link in memo["linkedTransactions"]:
            link["refNumber"] = by_id[link["id"]][1]["refNumber"]


def transaction_row(kind: str, item: dict) -> dict:
    """The /transactions view of one transaction: the fields common to every type."""
    if kind == "estimate":
        return {k: v for k, v in item.items() if not k.startswith("_")}
    amount = item.get("totalAmount")
    if kind == "invoice":
        amount = money(Decimal(item["subtotal"]) + Decimal(item["salesTaxTotal"] or "0"))
    account = item.get("receivablesAccount") or item.get("depositToAccount")
    return {
        "transactionType": kind,
        "transactionId": item["id"],
        "transactionLineId": None,
        "createdAt": item["createdAt"],
        "updatedAt": item["updatedAt"],
        "entity": item["customer"],
        "account": account,
        "transactionDate": item["transactionDate"],
        "refNumber": item["refNumber"],
        "amount": amount,
        "currency": item["currency"],
        "exchangeRate": item["exchangeRate"],
        "amountInHomeCurrency": item.get("totalAmountInHomeCurrency"),
        "memo": item["memo"],
    }


def is_open(kind: str, item: dict) -> bool:
    """Open as /transactions' paymentStatus reads it: money still to settle."""
    if kind == "invoice":
        return Decimal(item["balanceRemaining"]) != 0
    if kind == "credit_memo":
        return Decimal(item["creditRemaining"]) != 0
    if kind == "receive_payment":
        return Decimal(item["unusedPayment"]) != 0
    if kind == "estimate":
        return bool(item.get("_open"))
    return False
