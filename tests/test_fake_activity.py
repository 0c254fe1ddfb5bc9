"""The fake's account activity: every answer matches the contract's schemas (jsonschema
and the official SDK in strict mode), its filters behave as the contract says, and the
seeded data adds up to each customer's balance, except the few left out of step."""

from decimal import Decimal

import conductor
import httpx
import pytest

from fake_conductor.data import DEMO_SECRET_KEY, ZONE
from fake_conductor.ledger import open_amount
from tests.conftest import BAKERY
from tests.test_fake_contract import check, response_schema

BUILDERS = "end_usr_demoBuilders02"
LISTS = ["invoices", "receive-payments", "credit-memos", "sales-receipts", "transactions"]
DOCUMENT_LISTS = ["invoices", "receive-payments", "credit-memos", "sales-receipts"]


@pytest.fixture(scope="module")
def spec():
    import json

    from tests.conftest import contract_file

    return json.loads(contract_file("openapi-subset.json").read_text())


@pytest.fixture
def qbd(fake):
    def get(path, company=BAKERY, **params):
        with httpx.Client(base_url=fake.url + "/") as client:
            return client.get(
                f"quickbooks-desktop/{path}",
                params=params,
                headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}", "Conductor-End-User-Id": company},
            )

    return get


@pytest.mark.parametrize("company", [BAKERY, BUILDERS])
@pytest.mark.parametrize("path", LISTS)
def test_every_list_and_page_matches_the_schema(spec, qbd, company, path):
    extra = {"includeLinkedTransactions": "true"} if path in ("invoices", "credit-memos") else {}
    first = qbd(path, company, limit=10, **extra)
    assert first.status_code == 200
    body = first.json()
    check(spec, response_schema(spec, f"/quickbooks-desktop/{path}"), body)
    assert body["data"] and body["hasMore"] and body["nextCursor"]
    rest = qbd(path, company, limit=150, cursor=body["nextCursor"], **extra)
    check(spec, response_schema(spec, f"/quickbooks-desktop/{path}"), rest.json())


@pytest.mark.parametrize("path", DOCUMENT_LISTS)
def test_every_retrieve_matches_the_schema(spec, qbd, fake, path):
    kind = {"invoices": "invoice", "receive-payments": "receive_payment"}.get(path, path[:-1].replace("-", "_"))
    for item in fake.state.companies[BAKERY].ledger.kinds()[kind][:10]:
        response = qbd(f"{path}/{item['id']}")
        assert response.status_code == 200
        check(spec, response_schema(spec, f"/quickbooks-desktop/{path}/{{id}}"), response.json())
        assert response.json().get("linkedTransactions", []) == []  # retrieve takes no options


def test_the_seeded_activity_adds_up_to_every_balance(fake):
    for company in fake.state.companies.values():
        ledger = company.ledger
        for customer in company.customers:
            owed = open_amount(ledger, customer["id"])
            if customer["id"] in ledger.out_of_step:
                assert Decimal(customer["balance"]) != owed
            else:
                assert Decimal(customer["balance"]) == owed, customer["fullName"]
        # totalBalance adds every job's balance
        for customer in company.customers:
            below = [c for c in company.customers if c["fullName"].startswith(customer["fullName"] + ":")]
            total = Decimal(customer["balance"]) + sum((Decimal(c["balance"]) for c in below), Decimal(0))
            assert Decimal(customer["totalBalance"]) == total


def test_the_seed_has_what_the_pages_must_show(fake):
    from datetime import date, datetime

    today = datetime.now(ZONE).date()
    bakery = fake.state.companies[BAKERY]
    ledger = bakery.ledger
    open_invoices = [i for i in ledger.invoices if Decimal(i["balanceRemaining"]) > 0]
    assert any(date.fromisoformat(i["dueDate"]) < today for i in open_invoices)  # overdue
    assert any(date.fromisoformat(i["dueDate"]) >= today for i in open_invoices)  # current
    assert any(i["isPaid"] for i in ledger.invoices) and any(i["linkedTransactions"] for i in ledger.invoices)
    refs = [i["refNumber"] for i in ledger.invoices]
    shared = {r for r in refs if refs.count(r) > 1}
    assert any(len({i["customer"]["id"] for i in ledger.invoices if i["refNumber"] == r}) > 1 for r in shared)
    assert any(Decimal(p["unusedPayment"]) > 0 for p in ledger.payments)
    assert any(Decimal(m["creditRemaining"]) > 0 for m in ledger.credit_memos)
    assert any(len(p["appliedToTransactions"]) > 1 for c in fake.state.companies.values() for p in c.ledger.payments)
    assert any(i["lineGroups"] for i in ledger.invoices)
    assert ledger.out_of_step
    cards = [c["creditCard"] for c in bakery.customers if c["creditCard"]]
    assert any((card["expirationYear"], card["expirationMonth"]) < (today.year, today.month) for card in cards)
    soon = [
        card
        for card in cards
        if 0 <= (card["expirationYear"] - today.year) * 12 + card["expirationMonth"] - today.month <= 1
    ]
    assert soon
    numbers = [
        p["creditCardTransaction"]["request"]["number"]
        for c in fake.state.companies.values()
        for p in [*c.ledger.payments, *c.ledger.sales_receipts]
        if p["creditCardTransaction"]
    ]
    assert "4111111111111111" in numbers  # an unmasked one, which the dashboard must cut


def test_invoices_by_customer_and_payment_status(qbd, fake):
    invoice = next(i for i in fake.state.companies[BAKERY].ledger.invoices if not i["isPaid"])
    customer_id = invoice["customer"]["id"]
    unpaid = qbd("invoices", customerIds=customer_id, paymentStatus="not_paid", includeLineItems="false").json()
    assert unpaid["data"] and all(i["customer"]["id"] == customer_id and not i["isPaid"] for i in unpaid["data"])
    assert all(i["lines"] == [] and i["lineGroups"] == [] for i in unpaid["data"])
    assert qbd("invoices", paymentStatus="sometimes").status_code == 400


def test_ref_numbers_are_exact_and_an_unknown_one_fails_the_request(qbd, fake):
    invoice = fake.state.companies[BAKERY].ledger.invoices[0]
    found = qbd("invoices", refNumbers=invoice["refNumber"], customerIds="80000001-1").json()["data"]
    assert found and all(i["refNumber"] == invoice["refNumber"] for i in found)  # other filters ignored
    missing = qbd("invoices", refNumbers="NOPE-1")
    assert missing.status_code == 502 and missing.json()["error"]["code"] == "QBD_REQUEST_ERROR"
    ids = qbd("invoices", ids=invoice["id"], includeLinkedTransactions="true").json()["data"]
    assert [i["id"] for i in ids] == [invoice["id"]] and ids[0]["linkedTransactions"] == invoice["linkedTransactions"]


def test_transactions_filter_by_entity_type_and_open(qbd, fake):
    ledger = fake.state.companies[BAKERY].ledger
    payment = next(p for p in ledger.payments if Decimal(p["unusedPayment"]) > 0)
    owner = payment["customer"]["id"]
    rows = qbd("transactions", entityIds=owner, transactionTypes="receive_payment", paymentStatus="open").json()["data"]
    assert payment["id"] in {r["transactionId"] for r in rows}
    assert all(r["transactionType"] == "receive_payment" and r["entity"]["id"] == owner for r in rows)
    everything = qbd("transactions", entityIds=owner).json()["data"]
    assert {r["transactionType"] for r in everything} >= {"receive_payment"}
    assert qbd("transactions", transactionTypes="gift").status_code == 400
    assert qbd("transactions", transactionDateFrom="yesterday").status_code == 400


def test_the_official_sdk_reads_the_activity_strictly(fake):
    sdk = conductor.Conductor(
        api_key=DEMO_SECRET_KEY, base_url=fake.url, max_retries=0, _strict_response_validation=True
    )
    invoice = next(i for i in fake.state.companies[BAKERY].ledger.invoices if i["linkedTransactions"])
    listed = sdk.qbd.invoices.list(conductor_end_user_id=BAKERY, ids=[invoice["id"]], include_linked_transactions=True)
    assert listed.data[0].linked_transactions
    assert sdk.qbd.invoices.retrieve(invoice["id"], conductor_end_user_id=BAKERY).id == invoice["id"]
    assert sdk.qbd.receive_payments.list(conductor_end_user_id=BAKERY, limit=150).data
    assert sdk.qbd.credit_memos.list(conductor_end_user_id=BAKERY, limit=150).data
    assert sdk.qbd.sales_receipts.list(conductor_end_user_id=BAKERY, limit=150).data
    rows = sdk.qbd.transactions.list(conductor_end_user_id=BAKERY, transaction_types=["invoice"], payment_status="open")
    assert rows.data and all(r.transaction_type == "invoice" for r in rows.data)
    with pytest.raises(conductor.APIStatusError):
        sdk.qbd.invoices.list(conductor_end_user_id=BAKERY, ref_numbers=["NOPE-1"])


def test_a_ref_number_range_compares_digit_only_numbers_as_numbers(qbd, fake):
    found = qbd("invoices", refNumberFrom="999", refNumberTo="1005").json()["data"]
    refs = sorted({i["refNumber"] for i in found}, key=int)
    expected = sorted(
        {i["refNumber"] for i in fake.state.companies[BAKERY].ledger.invoices if 999 <= int(i["refNumber"]) <= 1005},
        key=int,
    )
    assert refs == expected and refs  # "1002" is after "999" as a number, before it as text


def test_no_transaction_is_stamped_later_than_now(fake):
    """QuickBooks stamps what has happened: a later updatedAt would be named by every
    updatedAfter read until the day passes."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    for company in fake.state.companies.values():
        for kind, items in company.ledger.kinds().items():
            for item in items:
                if kind != "estimate":
                    assert datetime.fromisoformat(item["updatedAt"]) <= now, (company.id, item["id"])
