"""Pages answer from the local copy without asking QuickBooks, say how old it is, and a
live check confirms or corrects the customer a person is looking at."""

import re
from decimal import Decimal

import pytest

from dashboard.customer_index import sync
from dashboard.customer_index.models import IndexedCustomer
from fake_conductor.faults import Fault
from tests.conftest import BAKERY, upstream_requests
from tests.test_customer_index import control, fake_customers
from tests.test_customer_page import text_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synced(company, fake):
    assert sync.sync_company(company).ok
    fake.reset()
    return company


def customer_url(customer_id: str) -> str:
    return f"/end-users/{BAKERY}/customers/{customer_id}/"


def with_open_invoice(fake) -> tuple[dict, dict]:
    company = fake.state.companies[BAKERY]
    invoice = next(i for i in company.ledger.invoices if float(i["balanceRemaining"]) > 0 and i["refNumber"])
    customer = next(c for c in company.customers if c["id"] == invoice["customer"]["id"])
    return customer, invoice


def test_the_customer_page_is_whole_from_the_copy_with_no_call_and_says_how_old_it_is(support_client, synced, fake):
    customer, invoice = with_open_invoice(fake)
    response = support_client.get(customer_url(customer["id"]))
    body = text_of(response)
    assert response.status_code == 200
    assert upstream_requests(fake) == 0
    assert "From the local copy, as of" in body and invoice["refNumber"] in body
    assert "Loading" not in body and 'data-check="' in response.content.decode()


def test_a_check_with_nothing_changed_costs_two_requests_and_says_so(support_client, synced, fake):
    customer, _ = with_open_invoice(fake)
    check = support_client.get(customer_url(customer["id"]) + "check/", headers={"X-Fragment": "1"})
    assert check.status_code == 200 and "X-Copy-Changed" not in check
    assert "Checked with QuickBooks just now: up to date" in text_of(check)
    assert upstream_requests(fake) == 2
    assert fake.stats["GET /quickbooks-desktop/transactions"] == 1
    # Asked again a moment later (another tab, a colleague): the check just made stands.
    again = support_client.get(customer_url(customer["id"]) + "check/", headers={"X-Fragment": "1"})
    assert "up to date" in text_of(again) and upstream_requests(fake) == 2


def test_a_change_in_quickbooks_reaches_the_open_page_with_one_check(support_client, synced, fake):
    customer, _ = with_open_invoice(fake)
    added = control(fake, "POST", "invoices", customer_id=customer["id"], amount="432.10")
    check = support_client.get(customer_url(customer["id"]) + "check/", headers={"X-Fragment": "1"})
    assert check["X-Copy-Changed"] == "1"
    words = text_of(check)
    assert "Updated from QuickBooks just now" in words and "1 new invoice" in words and "balance" in words
    page = text_of(support_client.get(customer_url(customer["id"])))
    assert added["refNumber"] in page and "432.10" in page
    live = next(c for c in fake_customers(fake) if c["id"] == customer["id"])
    row = IndexedCustomer.objects.get(company=synced, customer_id=customer["id"])
    assert str(row.total_balance.normalize()) in (live["totalBalance"], live["totalBalance"].rstrip("0").rstrip("."))


def test_check_quickbooks_now_without_scripts_checks_and_returns_to_the_page(support_client, synced, fake):
    customer, _ = with_open_invoice(fake)
    response = support_client.get(customer_url(customer["id"]) + "check/?now=1")
    assert response.status_code == 302 and response["Location"] == customer_url(customer["id"])
    assert upstream_requests(fake) == 2


def test_a_failed_check_leaves_the_page_whole_and_says_why(support_client, synced, fake):
    customer, invoice = with_open_invoice(fake)
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    check = support_client.get(customer_url(customer["id"]) + "check/", headers={"X-Fragment": "1"})
    assert check.status_code == 200 and "Could not check with QuickBooks" in text_of(check)
    page = support_client.get(customer_url(customer["id"]))
    assert page.status_code == 200 and invoice["refNumber"] in text_of(page)


def test_a_customer_the_copy_does_not_know_reads_live_and_is_then_copied(support_client, synced, fake):
    added = control(fake, "POST", "customers", fields={"name": "Brand New Caller", "phone": "555-0199"})
    first = support_client.get(customer_url(added["id"]))
    assert first.status_code == 200 and "Brand New Caller" in text_of(first)
    assert fake.stats["GET /quickbooks-desktop/customers/{id}"] == 1
    assert IndexedCustomer.objects.filter(company=synced, customer_id=added["id"]).exists()
    fake.reset()
    again = support_client.get(customer_url(added["id"]))
    assert "From the local copy" in text_of(again) and upstream_requests(fake) == 0


def test_documents_open_from_the_copy_with_no_call(support_client, synced, fake):
    company = fake.state.companies[BAKERY]
    _, invoice = with_open_invoice(fake)
    payment = company.ledger.payments[0]
    memo = company.ledger.credit_memos[0]
    receipt = company.ledger.sales_receipts[0]
    for path, item in (
        ("invoices", invoice),
        ("payments", payment),
        ("credit-memos", memo),
        ("sales-receipts", receipt),
    ):
        response = support_client.get(f"/end-users/{BAKERY}/{path}/{item['id']}/")
        assert response.status_code == 200, path
        if item.get("refNumber"):
            assert item["refNumber"] in text_of(response)
    assert upstream_requests(fake) == 0


def test_a_jump_by_invoice_number_lands_from_the_copy_with_no_call(support_client, synced, fake):
    company = fake.state.companies[BAKERY]
    numbers = [i["refNumber"] for i in company.ledger.invoices]
    _, invoice = next(
        (c, i) for c, i in ((None, i) for i in company.ledger.invoices) if numbers.count(i["refNumber"]) == 1
    )
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": invoice["refNumber"]})
    assert response.status_code == 302 and response["Location"].endswith(f"/invoices/{invoice['id']}/")
    assert upstream_requests(fake) == 0


def test_an_invoice_outside_the_copys_window_reads_live(support_client, synced, fake, settings):
    from dashboard.customer_index.models import CopiedTransaction

    company = fake.state.companies[BAKERY]
    settled = next(i for i in company.ledger.invoices if float(i["balanceRemaining"]) == 0)
    CopiedTransaction.objects.filter(transaction_id=settled["id"]).delete()  # as if out of the window
    response = support_client.get(f"/end-users/{BAKERY}/invoices/{settled['id']}/")
    assert response.status_code == 200
    assert fake.stats["GET /quickbooks-desktop/invoices"] == 1
    assert "from QuickBooks: older than the local copy’s window" in text_of(response)
    # Read live, then copied (it is within the window after all): the next view asks nothing.
    again = support_client.get(f"/end-users/{BAKERY}/invoices/{settled['id']}/")
    assert "From the local copy" in text_of(again) and fake.stats["GET /quickbooks-desktop/invoices"] == 1


def test_check_quickbooks_now_on_a_document_reads_it_live_and_updates_the_copy(support_client, synced, fake):
    _, invoice = with_open_invoice(fake)
    url = f"/end-users/{BAKERY}/invoices/{invoice['id']}/"
    control(fake, "POST", f"invoices/{invoice['id']}/payments", amount=invoice["balanceRemaining"])
    assert "Check QuickBooks now" in text_of(support_client.get(url))
    refreshed = support_client.get(url, {"refresh": "1"})
    assert refreshed.status_code == 302
    from dashboard.customer_index.models import CopiedTransaction

    assert not CopiedTransaction.objects.get(transaction_id=invoice["id"]).is_open


def test_the_activity_and_statement_list_from_the_copy_and_older_history_reads_live(support_client, synced, fake):
    customer, invoice = with_open_invoice(fake)
    url = customer_url(customer["id"]) + "activity/"
    response = support_client.get(url)
    body = text_of(response)
    assert response.status_code == 200 and upstream_requests(fake) == 0
    assert "From the local copy, as of" in body and invoice["refNumber"] in body
    assert "every open one and the others since" in body
    live = support_client.get(url, {"live": "1"})
    assert live.status_code == 200 and fake.stats["GET /quickbooks-desktop/transactions"] == 1
    assert "From the local copy" not in text_of(live)


def test_with_quickbooks_closed_a_caller_is_found_and_every_page_is_whole(support_client, synced, fake):
    """Done means: QuickBooks closed, a caller found by phone, what they owe and why, the
    overdue invoice and the statement, every page whole and stamped with its age."""
    customer, invoice = with_open_invoice(fake)
    control(fake, "POST", f"customers/{customer['id']}", changes={"phone": "+1-555-301-4525"})
    assert sync.sync_company(synced).ok
    fake.reset()
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    found = support_client.get("/", {"q": "(555) 301-4525"})
    assert found.status_code == 302 and found["Location"] == customer_url(customer["id"])
    for url in (
        customer_url(customer["id"]),
        f"/end-users/{BAKERY}/invoices/{invoice['id']}/",
        customer_url(customer["id"]) + "activity/",
    ):
        page = support_client.get(url)
        assert page.status_code == 200, url
        assert "local copy, as of" in text_of(page), url
    assert upstream_requests(fake) == 0


def test_an_edit_to_the_record_is_named_by_the_check(support_client, synced, fake):
    customer, _ = with_open_invoice(fake)
    control(fake, "POST", f"customers/{customer['id']}", changes={"phone": "+1-555-000-1111"})
    check = support_client.get(customer_url(customer["id"]) + "check/", headers={"X-Fragment": "1"})
    assert check["X-Copy-Changed"] == "1" and "the customer’s record was edited" in text_of(check)
    assert "+1-555-000-1111" in text_of(support_client.get(customer_url(customer["id"])))


def test_a_malformed_id_on_the_check_is_answered_without_a_call(support_client, synced, fake):
    response = support_client.get(f"/end-users/{BAKERY}/customers/not-an-id/check/", headers={"X-Fragment": "1"})
    assert response.status_code == 404 and "Not a QuickBooks customer id" in text_of(response)
    assert upstream_requests(fake) == 0


def test_a_copied_record_that_cannot_be_read_is_read_live_instead(support_client, synced, fake):
    customer, _ = with_open_invoice(fake)
    IndexedCustomer.objects.filter(company=synced, customer_id=customer["id"]).update(record={"id": None})
    response = support_client.get(customer_url(customer["id"]))
    assert response.status_code == 200 and "From the local copy" not in text_of(response)
    assert fake.stats["GET /quickbooks-desktop/customers/{id}"] == 1


def test_a_page_opened_again_reads_only_what_says_whether_the_copy_changed(support_client, synced, fake):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer, _ = with_open_invoice(fake)
    support_client.get(customer_url(customer["id"]))
    with CaptureQueriesContext(connection) as queries:
        again = support_client.get(customer_url(customer["id"]))
    assert again.status_code == 200 and "Open invoices" in text_of(again)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "customer_index_copiedtransaction" not in sql  # worked out once for this version
    selected = [q["sql"].split(" FROM ")[0] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert not any('"record"' in columns for columns in selected)  # nor the record read and parsed again


def test_a_first_view_reads_the_customer_and_its_sync_state_in_one_query(support_client, synced, fake):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer, _ = with_open_invoice(fake)
    with CaptureQueriesContext(connection) as queries:
        first = support_client.get(customer_url(customer["id"]))
    assert first.status_code == 200 and "Open invoices" in text_of(first)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    record_reads = [  # the customer's own row (the jobs below it are read apart)
        sql
        for sql in selects
        if '"dashboard_indexedcustomer"."record"' in sql.split(" FROM ")[0] and customer["id"] in sql
    ]
    assert len(record_reads) == 1 and '"dashboard_companysync"' in record_reads[0]
    assert not [sql for sql in selects if sql.split(" FROM ")[1].startswith('"dashboard_companysync"')]
    recent = [q["sql"] for q in queries.captured_queries if "dashboard_recentview" in q["sql"]]
    assert len(recent) == 2  # one upsert, one trim: nothing read back


def test_a_page_opened_again_in_the_same_worker_is_not_read_back_from_the_shared_cache(
    support_client, synced, fake, monkeypatch
):
    from django.core.cache import cache

    customer, _ = with_open_invoice(fake)
    support_client.get(customer_url(customer["id"]))
    read = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *args, **kwargs: read.append(key) or real_get(key, *args, **kwargs))
    again = support_client.get(customer_url(customer["id"]))
    assert again.status_code == 200 and "Open invoices" in text_of(again)
    assert not [key for key in read if ":copy-page:" in key or ":html:" in key]


def test_what_a_worker_keeps_of_pages_is_bounded_and_the_least_recently_used_goes_first():
    from dashboard.caching.memo import Memo

    memo = Memo(entries=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # a used more recently than b
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)


def test_the_activity_page_says_each_rows_status_what_is_left_and_its_direction(support_client, synced, fake):
    ledger = fake.state.companies[BAKERY].ledger
    customer, invoice = with_open_invoice(fake)
    mine = [i for i in ledger.invoices if i["customer"]["id"] == customer["id"] and i["id"] != invoice["id"]]
    voided = next((i for i in mine if Decimal(i["balanceRemaining"]) > 0), None)
    if voided is not None:
        control(fake, "POST", f"transactions/{voided['id']}/void")
        sync.sync_company(synced)
    body = support_client.get(customer_url(customer["id"]) + "activity/").content.decode()
    row = re.search(r"<tr>(?:(?!</tr>).)*>" + re.escape(invoice["refNumber"]) + r"</a>(?:(?!</tr>).)*</tr>", body, re.S)
    assert row, "the open invoice's row"
    cells = text_of_html(row.group(0))
    left = Decimal(invoice["balanceRemaining"])
    total = Decimal(invoice["subtotal"]) + Decimal(invoice["salesTaxTotal"] or 0)  # an invoice: subtotal plus tax
    status = "Open" if left == total else "Partly paid"
    assert status in cells and f"{left:,.2f}" in cells
    if voided is not None:
        assert re.search(re.escape(voided["refNumber"]) + r"</a>(?:(?!</tr>).)*Void", body, re.S)
    payments = [p for p in ledger.payments if p["customer"]["id"] == customer["id"]]
    if payments:
        assert f"−{Decimal(payments[0]['totalAmount']):,.2f}" in body  # a payment takes off: its own column, signed


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
