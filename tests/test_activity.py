"""What they owe and why: the customer page's header strip and activity section, the
activity page and statement, the transaction pages, and invoice numbers in the jump box."""

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache

from dashboard import account, activity_presentation
from dashboard.caching.side_by_side import settle
from dashboard.conductor.records import CreditCard
from dashboard.dates import date_text
from dashboard.lookups import activity
from dashboard.models import AuditAction, AuditEntry
from fake_conductor.faults import Fault
from fake_conductor.ledger import open_amount
from tests.conftest import BAKERY, EXAMPLE_ID, cached_raw_values

BASE = f"/end-users/{BAKERY}"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def account_parts(client, customer_id):
    return client.get(f"{BASE}/customers/{customer_id}/account/", HTTP_X_FRAGMENT="1")


def ledger(fake):
    return fake.state.companies[BAKERY].ledger


def customers(fake):
    return fake.state.companies[BAKERY].customers


def with_jobs_and_activity(fake):
    """A top-level customer whose jobs have invoices of their own, and whose figures add up."""
    for c in customers(fake):
        jobs = [j for j in customers(fake) if j["fullName"].startswith(c["fullName"] + ":")]
        job_ids = {j["id"] for j in jobs}
        if (
            c["sublevel"] == 0
            and any(
                i["customer"]["id"] in job_ids and Decimal(i["balanceRemaining"]) > 0 for i in ledger(fake).invoices
            )
            and c["id"] not in ledger(fake).out_of_step
            and not job_ids & set(ledger(fake).out_of_step)
        ):
            return c, jobs
    raise AssertionError("the seed has no customer with job activity")


def money(value) -> str:
    return f"{Decimal(value):,.2f}"


# --- the record never waits -----------------------------------------------------------


def test_the_page_answers_with_the_record_while_the_activity_hangs(support_client, company, fake):
    fake.faults.add(Fault(path="/quickbooks-desktop/invoices", body="hang"))
    try:
        response = support_client.get(f"{BASE}/customers/{EXAMPLE_ID}/")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Website Redesign Project" in body
        # the activity comes later, by the page's script, or by a plain link without it
        assert f'data-fragment="{BASE}/customers/{EXAMPLE_ID}/account/"' in body
        assert f'href="{BASE}/customers/{EXAMPLE_ID}/account/"' in body
    finally:
        fake.stop_hanging()


def test_an_activity_failure_is_explained_in_its_section_only(support_client, company, fake):
    assert support_client.get(f"{BASE}/customers/{EXAMPLE_ID}/").status_code == 200
    settle()
    cache.clear()
    fake.faults.add(Fault(path="/quickbooks-desktop/invoices", error="qbd_timeout"))
    parts = account_parts(support_client, EXAMPLE_ID)
    assert parts.status_code == 504
    text = text_of(parts)
    assert 'id="activity-part"' in parts.content.decode() and "only the account activity could not be loaded" in text
    assert "req_fake" in text  # the request id support can quote
    assert "Traceback" not in text


def test_a_cached_page_with_activity_makes_no_upstream_call(support_client, company, fake):
    url = f"{BASE}/customers/{EXAMPLE_ID}/"
    support_client.get(url)
    account_parts(support_client, EXAMPLE_ID)  # what the page's script asks for next
    fake.reset()
    body = support_client.get(url).content.decode()
    assert fake.stats == {}
    assert 'id="activity-section"' in body and "data-fragment" not in body  # inline, from the cache
    assert 'id="jobs-section"' in body


# --- the balance explained ----------------------------------------------------------------


def test_the_balance_is_explained_to_the_cent_with_the_jobs(support_client, company, fake):
    top, jobs = with_jobs_and_activity(fake)
    body = account_parts(support_client, top["id"]).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))
    total = Decimal(top["totalBalance"])
    assert f"= balance {money(total)}" in text and "(this customer and its jobs)" in text
    assert "do not add up" not in text
    # every open invoice of the customer and its jobs is listed and linked, naming its job
    ids = {top["id"], *(j["id"] for j in jobs)}
    open_invoices = [i for i in ledger(fake).invoices if i["customer"]["id"] in ids and Decimal(i["balanceRemaining"])]
    for invoice in open_invoices:
        assert f'href="{BASE}/invoices/{invoice["id"]}/"' in body
    job_names = {i["customer"]["fullName"].removeprefix(top["fullName"] + ":") for i in open_invoices} - {
        top["fullName"]
    }
    assert job_names and all(name in text for name in job_names)


def test_a_balance_that_does_not_add_up_ends_on_quickbooks_figure_with_the_difference_named(
    support_client, company, fake
):
    off = next(c for c in customers(fake) if c["id"] in ledger(fake).out_of_step)
    text = text_of(account_parts(support_client, off["id"]))
    computed = sum(
        (
            open_amount(ledger(fake), c["id"])
            for c in customers(fake)
            if c["id"] == off["id"] or c["fullName"].startswith(off["fullName"] + ":")
        ),
        Decimal(0),
    )
    difference = Decimal(off["totalBalance"]) - computed
    sign = "+" if difference > 0 else "−"
    # The sum ends on QuickBooks' figure, the header's, with the difference as its own term.
    assert (
        f"{sign} not listed here {money(abs(difference))} = balance {money(abs(Decimal(off['totalBalance'])))}" in text
    )
    assert f"QuickBooks counts {money(abs(difference))} {'more' if difference > 0 else 'less'}" in text


def test_a_credit_balance_reads_as_a_credit_in_the_sum_as_in_the_header(support_client, company, fake):
    owner = next(
        c
        for c in customers(fake)
        if Decimal(c["totalBalance"]) < 0 and c["sublevel"] == 0 and c["id"] not in ledger(fake).out_of_step
    )
    text = text_of(account_parts(support_client, owner["id"]))
    assert f"= balance {money(-Decimal(owner['totalBalance']))} credit" in text
    assert f"balance -{money(-Decimal(owner['totalBalance']))}" not in text


def test_overdue_says_it_is_before_credits_not_yet_applied(support_client, company, fake):
    today = date.today().isoformat()
    owners_with_credit = {c["customer"]["id"] for c in ledger(fake).credit_memos if Decimal(c["creditRemaining"]) > 0}
    owner = next(
        i["customer"]["id"]
        for i in ledger(fake).invoices
        if Decimal(i["balanceRemaining"]) > 0
        and (i["dueDate"] or today) < today
        and i["customer"]["id"] in owners_with_credit
        and next(c for c in customers(fake) if c["id"] == i["customer"]["id"])["sublevel"] == 0
    )
    text = text_of(account_parts(support_client, owner))
    assert "of credits not yet applied" in text.split("Open invoices", 1)[0]  # in the header's overdue figure


def test_unapplied_payments_and_open_credits_enter_the_sum(support_client, company, fake):
    payment = next(p for p in ledger(fake).payments if Decimal(p["unusedPayment"]) > 0)
    owner = payment["customer"]["id"]
    body = account_parts(support_client, owner).content.decode()
    assert f'href="{BASE}/payments/{payment["id"]}/"' in body
    assert money(payment["unusedPayment"]) in body and "unapplied payments" in body


def test_explanation_arithmetic():
    from dashboard.conductor.transactions import Document

    def doc(kind, **amounts):
        fields: dict[str, Any] = dict.fromkeys(Document.__dataclass_fields__)
        fields.update(kind=kind, id="1-1", lines=(), line_groups=(), linked=(), **amounts)
        return Document(**fields)

    found = account.Activity(
        customer_ids=("1-1",),
        open_invoices=(doc("invoice", balance_remaining=Decimal("1200.00")),),
        open_credits=(doc("credit_memo", credit_remaining=Decimal("200.00")),),
        unapplied_payments=(),
        recent_payments=(),
        since=date(2026, 1, 1),
        incomplete=False,
    )
    explained = account.explain(found, Decimal("1000.00"))
    assert explained.computed == Decimal("1000.00") and explained.matches
    assert not account.explain(found, Decimal("1000.01")).matches
    assert account.explain(found, Decimal("1000.01")).difference == Decimal("0.01")


# --- overdue, aging, the card -----------------------------------------------------------------


def test_overdue_and_aging_are_judged_against_today():
    from dashboard.conductor.transactions import Document

    def invoice(due, remaining):
        fields: dict[str, Any] = dict.fromkeys(Document.__dataclass_fields__)
        fields.update(
            kind="invoice",
            id="1-1",
            lines=(),
            line_groups=(),
            linked=(),
            due_date=due,
            balance_remaining=Decimal(remaining),
        )
        return Document(**fields)

    today = date(2026, 6, 30)
    invoices = (
        invoice(date(2026, 7, 1), "10"),  # current
        invoice(date(2026, 6, 30), "1"),  # due today: not overdue yet
        invoice(date(2026, 6, 29), "20"),  # 1 day
        invoice(date(2026, 5, 1), "30"),  # 60 days
        invoice(date(2026, 4, 1), "40"),  # 90 days
        invoice(date(2026, 1, 1), "50"),  # over 90
    )
    assert [account.days_overdue(i, today) for i in invoices] == [0, 0, 1, 60, 90, 180]
    assert account.aging(invoices, today) == [
        ("Current", Decimal(11)),
        ("1–30 days", Decimal(20)),
        ("31–60 days", Decimal(30)),
        ("61–90 days", Decimal(40)),
        ("Over 90 days", Decimal(50)),
    ]


def test_the_deployments_time_zone_decides_today(settings):
    from django.utils import timezone

    settings.TIME_ZONE = "Pacific/Kiritimati"  # UTC+14: already tomorrow for most of the world
    with timezone.override("Pacific/Kiritimati"):
        assert activity.today() == timezone.localdate()


@pytest.mark.parametrize(
    "month,year,expected",
    [(5, 2026, "Expired"), (6, 2026, "Expires soon"), (7, 2026, "Expires soon"), (8, 2026, None), (12, 2030, None)],
)
def test_card_expiry_badges(month, year, expected):
    card = CreditCard("4242", month, year, None, None, None)
    status = activity_presentation.card_status(card, date(2026, 6, 15))
    assert (status.label if status else None) == expected


def test_the_header_strip_shows_the_card_and_status_pills(support_client, company, fake):
    text = text_of(support_client.get(f"{BASE}/customers/{EXAMPLE_ID}/"))
    assert "•••• 1234" in text and "Expired" in text  # the contract's card expired 12/2024
    assert "Record: Active" in text and "Job: In progress" in text


# --- the transaction pages ---------------------------------------------------------------------


def test_an_invoice_page_shows_lines_totals_and_the_payments_applied(support_client, company, fake):
    invoice = (
        next(i for i in ledger(fake).invoices if i["linkedTransactions"] and i["lineGroups"])
        if any(i["linkedTransactions"] and i["lineGroups"] for i in ledger(fake).invoices)
        else next(i for i in ledger(fake).invoices if i["linkedTransactions"])
    )
    response = support_client.get(f"{BASE}/invoices/{invoice['id']}/")
    assert response.status_code == 200
    body = response.content.decode()
    for link in invoice["linkedTransactions"]:
        page = {"receive_payment": "payments", "credit_memo": "credit-memos"}[link["transactionType"]]
        assert f'href="{BASE}/{page}/{link["id"]}/"' in body
    assert f'href="{BASE}/customers/{invoice["customer"]["id"]}/"' in body
    text = text_of(response)
    total = Decimal(invoice["subtotal"]) + Decimal(invoice["salesTaxTotal"])
    assert money(total) in text and money(invoice["balanceRemaining"]) in text
    # The trail names the invoice as a reader knows it: its number and customer.
    named = f"invoice {invoice['id']} (no. {invoice['refNumber']}, {invoice['customer']['fullName']})"
    assert AuditEntry.objects.filter(action=AuditAction.DOCUMENT, target=named[:300]).exists()


def test_a_payment_page_links_the_invoices_it_paid(support_client, company, fake):
    payment = next(p for p in ledger(fake).payments if p["appliedToTransactions"])
    body = support_client.get(f"{BASE}/payments/{payment['id']}/").content.decode()
    for target in payment["appliedToTransactions"]:
        assert f'href="{BASE}/invoices/{target["transactionId"]}/"' in body
    assert f'href="{BASE}/customers/{payment["customer"]["id"]}/"' in body


@pytest.mark.parametrize("kind,page", [("credit_memos", "credit-memos"), ("sales_receipts", "sales-receipts")])
def test_credit_memo_and_sales_receipt_pages(support_client, company, fake, kind, page):
    item = getattr(ledger(fake), kind)[0]
    response = support_client.get(f"{BASE}/{page}/{item['id']}/")
    assert response.status_code == 200
    assert money(item["totalAmount"]) in text_of(response)


def test_card_numbers_in_payments_show_only_their_last_four(support_client, company, fake, caplog):
    for kind, page in (("payments", "payments"), ("sales_receipts", "sales-receipts")):
        item = next(p for p in getattr(ledger(fake), kind) if p["creditCardTransaction"])
        item["creditCardTransaction"]["request"]["number"] = "4111 1111 1111 9876"
        body = support_client.get(f"{BASE}/{page}/{item['id']}/").content.decode()
        assert "•••• 9876" in body and "4111" not in body
    assert all(b"4111 1111" not in raw and b"41111111" not in raw for raw in cached_raw_values())
    assert "4111" not in caplog.text


def test_hostile_text_in_transactions_is_escaped(support_client, company, fake):
    invoice = ledger(fake).invoices[0]
    invoice["memo"] = "<script>alert(1)</script>"
    invoice["lines"][0]["description"] = '<img src=x onerror="alert(2)">'
    invoice["refNumber"] = "<b>9</b>"
    body = support_client.get(f"{BASE}/invoices/{invoice['id']}/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body and "<b>9</b>" not in body


def test_hundreds_of_lines_and_open_invoices_render(support_client, company, fake):
    from fake_conductor.ledger import _Writer

    customer = next(c for c in customers(fake) if c["sublevel"] == 0 and c["id"] not in ledger(fake).out_of_step)
    writer = _Writer(7, "America/Los_Angeles", date.today(), 0x7A000000)
    big = writer.invoice(customer, date.today(), lines=600)
    for n in range(400):
        writer.invoice(customer, date(2026, 1, 1 + n % 28), amount=Decimal("1.00"))
    ledger(fake).invoices.extend(writer.ledger.invoices)
    customer["balance"] = str(open_amount(ledger(fake), customer["id"]))
    customer["totalBalance"] = customer["balance"]  # (its jobs' invoices moved aside below)
    response = support_client.get(f"{BASE}/invoices/{big['id']}/")
    assert response.status_code == 200 and response.content.decode().count('<tr class="') + 1 >= 1
    assert text_of(response).count("Hardware kit") + text_of(response).count("Consulting") >= 1
    assert response.content.decode().count("<tr") >= 600
    parts = account_parts(support_client, customer["id"])
    assert parts.status_code == 200
    assert parts.content.decode().count(f'href="{BASE}/invoices/') >= 401  # three pages walked


@pytest.mark.parametrize("bad_id", ["not-an-id", "..", "1A-１２３", "<script>", "1-" + "9" * 40])
@pytest.mark.parametrize("page", ["invoices", "payments", "credit-memos", "sales-receipts"])
def test_malformed_transaction_ids_never_reach_conductor(support_client, company, fake, page, bad_id):
    response = support_client.get(f"{BASE}/{page}/{bad_id}/")
    assert response.status_code == 404 and "Not a QuickBooks transaction id" in text_of(response)
    assert fake.stats == {}


def test_an_unknown_invoice_is_a_clear_404(support_client, company, fake):
    response = support_client.get(f"{BASE}/invoices/ABC-123/")
    assert response.status_code == 404 and "Invoice not found" in text_of(response)
    assert "QuickBooks has no invoice with this id" in text_of(response)


# --- the activity page and statement ------------------------------------------------------------


def statement_of(client, customer_id) -> str:
    body = client.get(f"{BASE}/customers/{customer_id}/activity/").content.decode()
    section = body.split('<section class="statement print-only" aria-label="Statement">', 1)[1].split("</section>")[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))


def test_the_statement_adds_up_line_by_line_to_the_amount_due(support_client, company, fake):
    top, _ = with_jobs_and_activity(fake)
    text = statement_of(support_client, top["id"])
    assert text.strip().startswith("Statement") and top["fullName"] in text
    due = money(Decimal(top["totalBalance"]))
    assert f"Amount due: {due}" in text
    table = text.split("Balance", 1)[1].split("Current", 1)[0]
    lines = re.findall(r"(−?[\d,]+\.\d\d) ([\d,]+\.\d\d)(?: credit)?", table)
    total = sum((Decimal(a.replace("−", "-").replace(",", "")) for a, _ in lines), Decimal(0))
    assert lines and total == Decimal(top["totalBalance"]) and lines[-1][1] == due  # the last running balance


def test_a_statement_that_quickbooks_counts_more_on_carries_the_difference_as_its_own_line(
    support_client, company, fake
):
    off = next(c for c in customers(fake) if c["id"] in ledger(fake).out_of_step and c["sublevel"] == 0)
    text = statement_of(support_client, off["id"])
    assert "Other charges and adjustments in QuickBooks" in text or "Other credits in QuickBooks" in text
    total = Decimal(off["totalBalance"])
    assert (f"Amount due: {money(total)}" if total >= 0 else f"Credit to you: {money(-total)}") in text


def test_the_activity_page_filters_pages_and_prints_a_statement(support_client, company, fake):
    top, _ = with_jobs_and_activity(fake)
    url = f"{BASE}/customers/{top['id']}/activity/"
    everything = support_client.get(url)
    assert everything.status_code == 200
    body = everything.content.decode()
    assert "Print statement" in body and company.name in body
    assert date_text(activity.today()) in body  # the statement's date, written as every date is
    assert "cursor" not in body
    invoices_only = support_client.get(url, {"type": "invoice", "status": "open"})
    rows = re.findall(r'data-label="Type">([^<]+)<', invoices_only.content.decode())
    assert rows and set(rows) == {"Invoice"}
    assert support_client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"}).status_code == 400
    assert support_client.get(url, {"type": "gift"}).status_code == 400
    assert AuditEntry.objects.filter(action=AuditAction.ACTIVITY).exists()


def test_the_activity_page_pages_on_our_side(support_client, company, fake):
    from fake_conductor.ledger import _Writer

    customer = customers(fake)[5]
    writer = _Writer(9, "America/Los_Angeles", date.today(), 0x7B000000)
    for n in range(120):
        writer.estimate(customer, date(2026, 1, 1 + n % 28))
    ledger(fake).estimates.extend(writer.ledger.estimates)
    url = f"{BASE}/customers/{customer['id']}/activity/"
    first = support_client.get(url, {"type": "estimate"}).content.decode()
    assert 'href="?type=estimate&amp;page=2"' in first and "Page 1 of 3" in first  # the filter kept
    third = support_client.get(url, {"type": "estimate", "page": "3"}).content.decode()
    assert "Page 3 of 3" in third and 'href="?type=estimate&amp;page=2"' in third
    # a refreshed copy's pages do not refresh again
    refreshed = support_client.get(url, {"type": "estimate", "page": "2", "refresh": "1"}, follow=True).content.decode()
    assert 'href="?type=estimate&amp;page=3"' in refreshed and "refresh=1&amp;page" not in refreshed


# --- invoice numbers in the jump box --------------------------------------------------------------


def jump(client, to):
    return client.get(f"{BASE}/jump/", {"to": to})


def test_one_invoice_number_lands_on_the_invoice(support_client, company, fake):
    refs = [i["refNumber"] for i in ledger(fake).invoices]
    unique = next(i for i in ledger(fake).invoices if refs.count(i["refNumber"]) == 1)
    response = jump(support_client, unique["refNumber"])
    assert response.status_code == 302 and response["Location"] == f"{BASE}/invoices/{unique['id']}/"


def test_a_shared_invoice_number_lists_them(support_client, company, fake):
    refs = [i["refNumber"] for i in ledger(fake).invoices]
    shared = next(r for r in refs if refs.count(r) > 1)
    response = jump(support_client, shared)
    assert response.status_code == 200
    body = response.content.decode()
    for invoice in ledger(fake).invoices:
        if invoice["refNumber"] == shared:
            assert f'href="{BASE}/invoices/{invoice["id"]}/"' in body


def test_no_such_number_says_so_with_the_search_prefilled(support_client, company, fake):
    response = jump(support_client, "Z-404")
    assert response.status_code == 404
    assert 'value="Z-404"' in response.content.decode() and "no invoice with exactly that number" in text_of(response)


@pytest.mark.parametrize("text", ["123456789012", "10\x0742"])
def test_what_cannot_be_an_invoice_number_is_not_asked(support_client, company, fake, text):
    jump(support_client, text)
    assert "GET /quickbooks-desktop/invoices" not in fake.stats


def test_refresh_fetches_the_activity_again(support_client, company, fake):
    url = f"{BASE}/customers/{EXAMPLE_ID}/"
    support_client.get(url)
    account_parts(support_client, EXAMPLE_ID)
    fake.reset()
    assert support_client.get(url).status_code == 200 and fake.stats == {}  # all cached
    assert support_client.get(url, {"refresh": "1"}).status_code == 302
    account_parts(support_client, EXAMPLE_ID)
    assert fake.stats["GET /quickbooks-desktop/invoices"] == 1
    assert fake.stats["GET /quickbooks-desktop/customers"] >= 1  # the jobs, looked up again


def test_a_saved_activity_is_shown_when_quickbooks_is_offline(support_client, company, fake, settings):
    url = f"{BASE}/customers/{EXAMPLE_ID}/"
    support_client.get(url)
    account_parts(support_client, EXAMPLE_ID)
    settings.CUSTOMER_CACHE_TTL = 0  # every copy is old now
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    parts = account_parts(support_client, EXAMPLE_ID)
    assert parts.status_code == 200
    text = text_of(parts)
    assert "saved copy" in text and "Open invoices" in text


def test_an_old_unapplied_payment_is_fetched_by_id(support_client, company, fake):
    payment = next(p for p in ledger(fake).payments if Decimal(p["unusedPayment"]) > 0)
    payment["transactionDate"] = "2024-01-05"  # long before the recent payments' window
    body = account_parts(support_client, payment["customer"]["id"]).content.decode()
    assert f'href="{BASE}/payments/{payment["id"]}/"' in body
    assert fake.stats["GET /quickbooks-desktop/receive-payments"] == 2  # the recent ones, then this one by id


def test_a_recent_unapplied_payment_costs_no_second_round_trip(support_client, company, fake):
    from datetime import timedelta

    payment = next(p for p in ledger(fake).payments if Decimal(p["unusedPayment"]) > 0)
    payment["transactionDate"] = (activity.today() - timedelta(days=3)).isoformat()
    body = account_parts(support_client, payment["customer"]["id"]).content.decode()
    assert f'href="{BASE}/payments/{payment["id"]}/"' in body
    assert fake.stats["GET /quickbooks-desktop/receive-payments"] == 1


def test_transaction_pages_keep_to_company_scopes(support_client, support_user, api_key, company, fake):
    from dashboard.models import CompanyScope
    from tests.conftest import make_company

    other = make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders LLC")
    CompanyScope.objects.create(user=support_user).companies.add(other)
    invoice = ledger(fake).invoices[0]
    for url in (
        f"{BASE}/invoices/{invoice['id']}/",
        f"{BASE}/customers/{EXAMPLE_ID}/activity/",
        f"{BASE}/customers/{EXAMPLE_ID}/account/",
    ):
        response = support_client.get(url)
        assert response.status_code == 404 and "Company not found" in text_of(response)
    assert fake.stats == {}


def test_a_transaction_page_refreshes_and_falls_back_to_its_saved_copy(support_client, company, fake, settings):
    invoice = ledger(fake).invoices[0]
    url = f"{BASE}/invoices/{invoice['id']}/"
    assert support_client.get(url).status_code == 200
    refreshed = support_client.get(url, {"refresh": "1"})
    assert refreshed.status_code == 302 and refreshed["Location"] == url
    assert fake.stats["GET /quickbooks-desktop/invoices"] == 2
    settings.CUSTOMER_CACHE_TTL = 0
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    stale = support_client.get(url)
    assert stale.status_code == 200 and "Showing a saved copy" in text_of(stale)
