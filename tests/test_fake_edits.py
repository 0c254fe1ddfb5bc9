"""The fake can change QuickBooks under the dashboard, as the contract says changes look:
updatedAt moves, a rename re-names the jobs without moving their updatedAt, and a
deletion is listed by deleted-list-objects for 90 days."""

from datetime import UTC, datetime, timedelta

import conductor
import httpx
import pytest

from fake_conductor.data import DEMO_SECRET_KEY
from tests.conftest import BAKERY
from tests.test_fake_contract import check, response_schema


@pytest.fixture
def control(fake):
    with httpx.Client(base_url=fake.url.removesuffix("/v1") + "/_fake/") as client:
        yield client


@pytest.fixture
def qbd(fake):
    with httpx.Client(
        base_url=fake.url + "/quickbooks-desktop/",
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}", "Conductor-End-User-Id": BAKERY},
    ) as client:
        yield client


@pytest.fixture(scope="module")
def spec():
    import json

    from tests.conftest import contract_file

    return json.loads(contract_file("openapi-subset.json").read_text())


def with_jobs(fake):
    customers = fake.state.companies[BAKERY].customers
    return next(
        c
        for c in customers
        if c["sublevel"] == 0 and any(j["parent"] and j["parent"]["id"] == c["id"] for j in customers)
    )


def test_an_edit_moves_updated_at_and_is_found_by_updated_after(fake, control, qbd):
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    customer = fake.state.companies[BAKERY].customers[10]
    edited = control.post(
        f"customers/{customer['id']}", json={"end_user_id": BAKERY, "changes": {"phone": "+1-555-301-4525"}}
    )
    assert edited.status_code == 200
    found = qbd.get("customers", params={"updatedAfter": since.isoformat(), "status": "all"}).json()["data"]
    assert [c["id"] for c in found] == [customer["id"]] and found[0]["phone"] == "+1-555-301-4525"


def test_a_rename_renames_the_jobs_without_moving_their_updated_at(fake, control, qbd):
    top = with_jobs(fake)
    jobs = [c for c in fake.state.companies[BAKERY].customers if c["fullName"].startswith(top["fullName"] + ":")]
    before = {j["id"]: j["updatedAt"] for j in jobs}
    control.post(f"customers/{top['id']}", json={"end_user_id": BAKERY, "changes": {"name": "Renamed Co"}})
    page = qbd.get("customers", params={"nameFrom": "Renamed Co:", "nameTo": "Renamed Co;", "status": "all"}).json()
    assert {c["id"] for c in page["data"]} == set(before)
    assert all(c["updatedAt"] == before[c["id"]] for c in page["data"])


def test_a_move_puts_the_subtree_under_the_new_parent(fake, control):
    customers = fake.state.companies[BAKERY].customers
    top = with_jobs(fake)
    job = next(c for c in customers if c["parent"] and c["parent"]["id"] == top["id"])
    other = next(c for c in customers if c["sublevel"] == 0 and c["id"] != top["id"])
    moved = control.post(
        f"customers/{job['id']}", json={"end_user_id": BAKERY, "changes": {"parentId": other["id"]}}
    ).json()
    assert moved["fullName"] == f"{other['fullName']}:{job['name']}" and moved["parent"]["id"] == other["id"]
    assert (
        control.post(
            f"customers/{top['id']}", json={"end_user_id": BAKERY, "changes": {"parentId": top["id"]}}
        ).status_code
        == 400
    )


def test_deletions_are_listed_for_ninety_days_only(fake, control, qbd, spec):
    customers = fake.state.companies[BAKERY].customers
    leaves = [c for c in customers if not any(j["parent"] and j["parent"]["id"] == c["id"] for j in customers)]
    old, recent = leaves[-1], leaves[-2]
    long_ago = (datetime.now(UTC) - timedelta(days=91)).isoformat()
    assert (
        control.request("DELETE", f"customers/{old['id']}", json={"end_user_id": BAKERY, "at": long_ago}).status_code
        == 200
    )
    assert control.request("DELETE", f"customers/{recent['id']}", json={"end_user_id": BAKERY}).status_code == 200
    body = qbd.get("deleted-list-objects", params={"objectTypes": "customer"}).json()
    check(spec, response_schema(spec, "/quickbooks-desktop/deleted-list-objects"), body)
    assert [d["id"] for d in body["data"]] == [recent["id"]]
    later = (datetime.now(UTC) + timedelta(minutes=1)).replace(microsecond=0).isoformat()
    assert (
        qbd.get("deleted-list-objects", params={"objectTypes": "customer", "deletedAfter": later}).json()["data"] == []
    )
    assert qbd.get("deleted-list-objects").status_code == 400  # objectTypes is required
    fractional = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="microseconds")
    assert (
        qbd.get("deleted-list-objects", params={"objectTypes": "customer", "deletedAfter": fractional}).status_code
        == 400
    )
    assert qbd.get(f"customers/{recent['id']}").status_code == 502  # gone from QuickBooks


def test_a_customer_with_jobs_cannot_be_deleted(fake, control):
    top = with_jobs(fake)
    assert control.request("DELETE", f"customers/{top['id']}", json={"end_user_id": BAKERY}).status_code == 400


def test_an_added_customer_is_listed(fake, control, qbd):
    added = control.post(
        "customers", json={"end_user_id": BAKERY, "fields": {"name": "Zephyr Tools", "email": "hi@zephyr.example.com"}}
    ).json()
    found = qbd.get("customers", params={"fullNames": "Zephyr Tools"}).json()["data"]
    assert [c["id"] for c in found] == [added["id"]]


def test_the_sdk_reads_deletions_strictly(fake, control):
    customers = fake.state.companies[BAKERY].customers
    leaf = next(
        c for c in reversed(customers) if not any(j["parent"] and j["parent"]["id"] == c["id"] for j in customers)
    )
    control.request("DELETE", f"customers/{leaf['id']}", json={"end_user_id": BAKERY})
    sdk = conductor.Conductor(
        api_key=DEMO_SECRET_KEY, base_url=fake.url, max_retries=0, _strict_response_validation=True
    )
    listed = sdk.qbd.deleted_list_objects.list(conductor_end_user_id=BAKERY, object_types=["customer"])
    assert [d.id for d in listed.data] == [leaf["id"]]


def test_deleted_after_is_on_or_after_and_object_types_are_the_specs(fake, control, qbd):
    recent = fake.state.companies[BAKERY].customers[12]
    deleted = control.request("DELETE", f"customers/{recent['id']}", json={"end_user_id": BAKERY}).json()
    at = deleted["deletedAt"]  # to the second: "on or after" that very moment finds it
    found = qbd.get("deleted-list-objects", params={"objectTypes": "customer", "deletedAfter": at}).json()["data"]
    assert [d["id"] for d in found] == [recent["id"]]
    assert qbd.get("deleted-list-objects", params={"objectTypes": "customers"}).status_code == 400
    assert qbd.get("deleted-list-objects", params={"objectTypes": ["customer", "vendor"]}).status_code == 200


def test_an_added_job_sits_under_its_parent_and_the_list_still_works(fake, control, qbd):
    parent = next(c for c in fake.state.companies[BAKERY].customers if c["sublevel"] == 0)
    added = control.post(
        "customers", json={"end_user_id": BAKERY, "fields": {"name": "Spring Job", "parentId": parent["id"]}}
    )
    assert added.status_code == 200, added.text
    job = added.json()
    assert job["fullName"] == f"{parent['fullName']}:Spring Job" and job["sublevel"] == parent["sublevel"] + 1
    assert job["parent"] == {"id": parent["id"], "fullName": parent["fullName"]}
    listed = qbd.get("customers", params={"status": "all", "limit": 150})
    assert listed.status_code == 200
    refused = control.post("customers", json={"end_user_id": BAKERY, "fields": {"name": "Orphan", "parentId": "0-1"}})
    assert refused.status_code == 400  # no such parent: nothing half-made is left behind
    assert all(c["fullName"] for c in fake.state.companies[BAKERY].customers)


def test_a_transaction_is_read_by_id_as_transactions_lists_it(fake, qbd, spec):
    invoice = fake.state.companies[BAKERY].ledger.invoices[0]
    row = qbd.get(f"transactions/{invoice['id']}")
    assert row.status_code == 200, row.text
    check(spec, response_schema(spec, "/quickbooks-desktop/transactions/{id}"), row.json())
    listed = qbd.get("transactions", params={"entityIds": invoice["customer"]["id"], "limit": 150}).json()["data"]
    assert row.json() in listed
    assert qbd.get("transactions/123ABC-99").status_code in (404, 502)  # no such transaction
    assert qbd.get(f"transactions/{'8' * 40}").status_code == 400


def test_deleted_transactions_are_listed_for_ninety_days_by_type(fake, qbd, spec):
    now = datetime.now(UTC).replace(microsecond=0)
    deleted = fake.state.companies[BAKERY].deleted_transactions
    for days, kind, txn in ((1, "invoice", "1A-1"), (3, "receive_payment", "1B-1"), (95, "invoice", "1C-1")):
        at = (now - timedelta(days=days)).isoformat()
        deleted.append(
            {
                "transactionType": kind,
                "id": txn,
                "objectType": "qbd_deleted_transaction",
                "createdAt": at,
                "deletedAt": at,
                "refNumber": None,
            }
        )
    body = qbd.get("deleted-transactions", params={"transactionTypes": ["invoice", "receive_payment"]}).json()
    check(spec, response_schema(spec, "/quickbooks-desktop/deleted-transactions"), body)
    assert [d["id"] for d in body["data"]] == ["1B-1", "1A-1"]  # oldest first; 95 days is forgotten
    since = (now - timedelta(days=1)).isoformat()  # on or after
    assert [
        d["id"]
        for d in qbd.get("deleted-transactions", params={"transactionTypes": "invoice", "deletedAfter": since}).json()[
            "data"
        ]
    ] == ["1A-1"]
    assert qbd.get("deleted-transactions").status_code == 400  # transactionTypes is required
    assert qbd.get("deleted-transactions", params={"transactionTypes": "invoices"}).status_code == 400
    assert (
        qbd.get("deleted-transactions", params={"transactionTypes": "invoice", "deletedAfter": since + "Z"}).status_code
        == 400
    )


def test_an_added_invoice_is_served_as_the_spec_says_and_found_by_updated_after(fake, control, qbd, spec):
    customer = fake.state.companies[BAKERY].customers[4]
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    balance = customer["balance"]
    added = control.post("invoices", json={"end_user_id": BAKERY, "customer_id": customer["id"], "amount": "125.50"})
    assert added.status_code == 200, added.text
    invoice = added.json()
    listed = qbd.get("invoices", params={"ids": invoice["id"]}).json()
    check(spec, response_schema(spec, "/quickbooks-desktop/invoices"), listed)
    assert listed["data"][0]["balanceRemaining"] == "125.50"
    changed = qbd.get("transactions", params={"updatedAfter": before.isoformat(), "transactionTypes": "invoice"})
    assert [row["transactionId"] for row in changed.json()["data"]] == [invoice["id"]]
    assert float(customer["balance"]) == float(balance) + 125.50


def test_a_payment_moves_its_invoice_and_the_balance_but_not_the_customers_updated_at(fake, control, qbd):
    company = fake.state.companies[BAKERY]
    invoice = next(i for i in company.ledger.invoices if float(i["balanceRemaining"]) > 10)
    customer = next(c for c in company.customers if c["id"] == invoice["customer"]["id"])
    customer_updated, invoice_updated = customer["updatedAt"], invoice["updatedAt"]
    paid = control.post(f"invoices/{invoice['id']}/payments", json={"end_user_id": BAKERY, "amount": "10.00"})
    assert paid.status_code == 200, paid.text
    assert invoice["updatedAt"] != invoice_updated and customer["updatedAt"] == customer_updated
    assert invoice["linkedTransactions"][-1]["id"] == paid.json()["id"]


def test_a_voided_transaction_stays_with_its_amounts_at_zero_and_is_not_open(fake, control, qbd):
    invoice = next(i for i in fake.state.companies[BAKERY].ledger.invoices if float(i["balanceRemaining"]) > 0)
    assert control.post(f"transactions/{invoice['id']}/void", json={"end_user_id": BAKERY}).status_code == 200
    listed = qbd.get("invoices", params={"ids": invoice["id"]}).json()["data"][0]
    assert listed["balanceRemaining"] == "0.00" and listed["subtotal"] == "0.00"
    still_open = qbd.get("transactions", params={"paymentStatus": "open", "transactionTypes": "invoice"}).json()
    assert invoice["id"] not in {row["transactionId"] for row in still_open["data"]}


def test_a_deleted_transaction_is_listed_by_deleted_transactions(fake, control, qbd):
    receipt = fake.state.companies[BAKERY].ledger.sales_receipts[0]
    assert control.request("DELETE", f"transactions/{receipt['id']}", json={"end_user_id": BAKERY}).status_code == 200
    body = qbd.get("deleted-transactions", params={"transactionTypes": "sales_receipt"}).json()
    assert [d["id"] for d in body["data"]] == [receipt["id"]]
    gone = qbd.get(f"sales-receipts/{receipt['id']}")  # QuickBooks' own "not found"
    assert gone.status_code == 502 and "could not be found" in gone.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("invoices", {"customer_id": "nobody", "amount": "5"}),
        ("invoices", {"amount": "abc"}),
        ("invoices/0-0/payments", {"amount": "5"}),
        ("transactions/0-0/void", {}),
    ],
)
def test_a_transaction_edit_the_fake_cannot_make_is_a_400(fake, control, path, body):
    customer_id = fake.state.companies[BAKERY].customers[0]["id"]
    body = {"end_user_id": BAKERY, **({"customer_id": customer_id} if "customer_id" not in body else {}), **body}
    response = control.post(path, json=body)
    assert response.status_code == 400 and response.json()["detail"]
