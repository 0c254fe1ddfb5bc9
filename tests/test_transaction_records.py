"""Transactions in, records out: the same tolerant reader as customers, exact money, and
no card number beyond its last four digits."""

import json
from decimal import Decimal

import pytest

from dashboard.conductor.record_fields import MalformedRecord
from dashboard.conductor.transactions import list_parser, parse_document, parse_payment, parse_transaction_row
from fake_conductor.data import seed_companies


@pytest.fixture(scope="module")
def ledger():
    return seed_companies()[0].ledger


def test_an_invoice_reads_whole(ledger):
    raw = next(i for i in ledger.invoices if i["lineGroups"] and i["linkedTransactions"])
    invoice = parse_document(raw)
    assert invoice.kind == "invoice" and invoice.id == raw["id"]
    assert invoice.total == Decimal(raw["subtotal"]) + Decimal(raw["salesTaxTotal"])  # an invoice has no total field
    assert invoice.balance_remaining == Decimal(raw["balanceRemaining"])
    assert len(invoice.lines) == len(raw["lines"]) and invoice.line_groups[0].lines
    assert [link.transaction_id for link in invoice.linked] == [link["id"] for link in raw["linkedTransactions"]]
    assert invoice.unreadable == ()


def test_credit_memos_and_receipts_keep_their_own_fields(ledger):
    memo = parse_document(ledger.credit_memos[0])
    assert memo.kind == "credit_memo" and memo.credit_remaining == Decimal(ledger.credit_memos[0]["creditRemaining"])
    receipt = parse_document(ledger.sales_receipts[0])
    assert receipt.kind == "sales_receipt" and receipt.total == Decimal(ledger.sales_receipts[0]["totalAmount"])


@pytest.mark.parametrize("number", ["4111111111111111", "4111 1111 1111 1111", "xxxxxxxxxxxx1111", "41-11"])
def test_a_card_number_in_a_payment_is_cut_to_four_digits(ledger, number):
    raw = json.loads(json.dumps(ledger.payments[0]))
    raw["creditCardTransaction"] = {
        "request": {"number": number, "expirationMonth": 1, "expirationYear": 2030},
        "response": None,
    }
    payment = parse_payment(raw)
    assert payment.card_last_four == "".join(ch for ch in number if ch.isdigit())[-4:]
    assert number not in repr(payment)


def test_one_bad_field_does_not_cost_the_document(ledger):
    raw = json.loads(json.dumps(ledger.invoices[0]))
    raw["balanceRemaining"] = "1,000.00"
    raw["dueDate"] = "next week"
    raw["lines"][0]["amount"] = 12.5
    invoice = parse_document(raw)
    assert invoice.balance_remaining is None and invoice.due_date is None
    assert set(invoice.unreadable) >= {"balanceRemaining", "dueDate", "lines[0].amount"}


def test_what_is_not_a_document_is_malformed(ledger):
    with pytest.raises(MalformedRecord):
        parse_document({**ledger.invoices[0], "id": None})
    with pytest.raises(MalformedRecord):
        parse_document({**ledger.invoices[0], "objectType": "qbd_customer"})
    with pytest.raises(MalformedRecord):
        list_parser(parse_transaction_row)({"objectType": "list", "data": "nope"})


def test_nulls_everywhere_read_as_nothing(ledger):
    raw = dict.fromkeys(ledger.payments[0])
    raw.update(id="1A-1700000000", objectType="qbd_receive_payment")
    payment = parse_payment(raw)
    assert payment.total_amount is None and payment.applied_to == () and payment.card_last_four is None
