"""Finding a caller without surprises: only an exact match goes straight to a customer, a
match by spelling is listed and says so, every row says what matched, and a search
across companies is one ranked list with the companies that could not answer said once,
after it."""

import re

import pytest

from dashboard.customer_index import sync
from dashboard.customer_index.match_reason import why_matched
from dashboard.models import AuditEntry
from dashboard.search_criteria import Status
from fake_conductor.faults import Fault
from tests.conftest import BAKERY, make_company
from tests.test_customer_index import control, fake_customers, page_text

pytestmark = pytest.mark.django_db(transaction=True)

BUILDERS = "end_usr_demoBuilders02"


@pytest.fixture
def synced(company, fake):
    control(fake, "POST", "customers", fields={"name": "Larsen, Ethan", "phone": "+1-555-301-4525"})
    assert sync.sync_company(company).ok
    fake.reset()
    return company


def larsen(fake):
    return next(c for c in fake_customers(fake) if c["name"] == "Larsen, Ethan")


def test_a_spelling_match_alone_is_listed_and_marked_not_opened(support_client, synced, fake):
    response = support_client.get("/", {"q": "Larson"})
    assert response.status_code == 200  # not a redirect to Larsen
    text = page_text(response)
    assert "Larsen, Ethan" in text and "matched by spelling" in text


def test_the_jump_box_lists_a_spelling_match_instead_of_opening_it(support_client, synced, fake):
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "Larson"})
    assert response.status_code == 302 and "/customers/?" in response["Location"]
    listed = page_text(support_client.get(response["Location"]))
    assert "Larsen, Ethan" in listed and "matched by spelling" in listed


def test_an_exact_match_still_goes_straight_to_the_customer(support_client, synced, fake):
    response = support_client.get("/", {"q": "Larsen, Ethan"})
    assert response.status_code == 302 and response["Location"].endswith(f"/customers/{larsen(fake)['id']}/")


def test_each_row_says_what_matched_with_the_part_highlighted(support_client, synced, fake):
    customer = next(c for c in fake_customers(fake) if c["email"] and c["name"] != "Larsen, Ethan")
    control(fake, "POST", "customers", fields={"name": "Other Email Holder", "email": customer["email"]})
    sync.sync_company(synced)
    body = support_client.get("/", {"q": customer["email"]}).content.decode()
    assert re.search(r"Email:</span>\s*<mark>" + re.escape(customer["email"]) + "</mark>", body, re.IGNORECASE)
    control(fake, "POST", "customers", fields={"name": "Second Phone Holder", "phone": "555.301.4525"})
    sync.sync_company(synced)
    body = support_client.get("/", {"q": "301-4525"}).content.decode()
    assert "Phone:</span> +1-555-<mark>301-4525</mark>" in body
    assert "555.<mark>301.4525</mark>" in body


def test_why_matched_reads_digits_through_formatting_and_leaves_name_matches_alone():
    record = {"name": "Ann", "phone": "(555) 301-4525", "billingAddress": {"line1": "1 Elm St", "city": "Portland"}}
    phone = why_matched(record, "Ann", "3014525", phone_query=True)
    assert phone and (phone.label, phone.before, phone.matched, phone.after) == ("Phone", "(555) ", "301-4525", "")
    city = why_matched(record, "Ann", "portland", phone_query=False)
    assert city and city.label == "Billing address" and city.matched == "Portland"
    assert why_matched(record, "Ann", "ann", phone_query=False) is None
    assert why_matched(None, "Ann", "x", phone_query=False) is None
    hostile = {"email": None, "customContactFields": [None, {"name": None, "value": 5}], "billingAddress": "x"}
    assert why_matched(hostile, "Ann", "zzz", phone_query=False) is None


def test_across_companies_one_ranked_table_and_the_unanswered_said_once_after_it(support_client, synced, fake, api_key):
    make_company(api_key, BUILDERS, "Northwind Builders LLC")  # not indexed: searched live
    fake.faults.add(Fault(end_user_id=BUILDERS, error="qbd_offline"))
    response = support_client.get("/", {"q": "Larsen"})
    results = response.content.decode().split('id="h-global"', 1)[1].split('id="h-companies"', 1)[0]
    assert response.status_code == 200
    assert results.count("<table") == 1 and '<th scope="col">Company</th>' in results
    text = page_text(response)
    assert re.search(r"\d+ customers? found in 1 company\b", text)
    assert text.index("Larsen, Ethan") < text.index("1 company could not answer")
    assert "Northwind Builders LLC" in text.split("could not answer", 1)[1]
    outcome = AuditEntry.objects.filter(action="search_all").latest("at").outcome
    assert re.fullmatch(r"found \d+ in 2 companies; 1 could not answer", outcome)


def test_no_match_offers_quickbooks_live_and_says_how_fresh_the_copy_is(support_client, synced, fake):
    response = support_client.get("/", {"q": "Zyxwvut"})
    text = page_text(response)
    assert "No customer matches" in text and "in step with QuickBooks" in text
    assert "live=1" in response.content.decode() and fake.stats == {}
    control(fake, "POST", "customers", fields={"name": "Zyxwvut Newcomer"})  # not in the copy yet
    fake.reset()
    live = support_client.get("/", {"q": "Zyxwvut", "live": "1"})
    assert fake.stats["GET /quickbooks-desktop/customers"] >= 1
    assert live.status_code == 302  # one exact answer from QuickBooks: straight to it


def an_invoice(fake):
    from tests.test_activity import ledger

    numbers = [i["refNumber"] for i in ledger(fake).invoices]
    return next(i for i in ledger(fake).invoices if i["refNumber"].isdigit() and numbers.count(i["refNumber"]) == 1)


@pytest.mark.parametrize("form", ["#{}", "INV-{}", "Invoice {}"])
def test_the_jump_box_takes_an_invoice_number_in_the_forms_people_say_it(support_client, synced, fake, form):
    invoice = an_invoice(fake)
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": form.format(invoice["refNumber"])})
    assert response.status_code == 302 and response["Location"].endswith(f"/invoices/{invoice['id']}/")


def test_the_jump_box_reads_a_number_form_live_too_and_an_exact_number_wins(support_client, company, fake):
    invoice = an_invoice(fake)
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": f"#{invoice['refNumber']}"})
    assert response.status_code == 302 and response["Location"].endswith(f"/invoices/{invoice['id']}/")
    other = an_invoice_numbered(fake, f"#{invoice['refNumber']}")
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": f"#{invoice['refNumber']}"})
    assert response["Location"].endswith(f"/invoices/{other}/")  # QuickBooks' own "#1028" first


def an_invoice_numbered(fake, number: str) -> str:
    from tests.test_activity import ledger

    invoice = next(i for i in ledger(fake).invoices if i["refNumber"].isdigit() and i["refNumber"] != number[1:])
    invoice["refNumber"] = number
    from django.core.cache import cache

    cache.clear()  # the earlier answer for "#…" is not kept
    return invoice["id"]


def test_a_customer_deleted_in_quickbooks_leaves_recently_viewed(support_client, synced, fake):
    from dashboard.models import RecentView

    customer = larsen(fake)
    support_client.get(f"/end-users/{BAKERY}/customers/{customer['id']}/")
    assert RecentView.objects.filter(customer_id=customer["id"]).exists()
    control(fake, "DELETE", f"customers/{customer['id']}")
    assert sync.sync_company(synced).ok
    assert not RecentView.objects.filter(customer_id=customer["id"]).exists()
    assert "Larsen, Ethan" not in page_text(support_client.get("/"))


def test_the_jump_box_is_on_every_page_of_a_company(support_client, synced, fake):
    from tests.test_activity import ledger

    invoice = an_invoice(fake)
    payment = ledger(fake).payments[0]
    customer = invoice["customer"]["id"]
    for path in (
        f"invoices/{invoice['id']}/",
        f"payments/{payment['id']}/",
        f"customers/{customer}/activity/",
        f"customers/{customer}/account/",
        f"customers/{customer}/",
        "customers/",
    ):
        body = support_client.get(f"/end-users/{BAKERY}/{path}").content.decode()
        assert f'action="/end-users/{BAKERY}/jump/"' in body, path


def test_what_matched_is_worked_out_for_the_rows_shown_only(support_client, synced, fake, monkeypatch):
    from dashboard.customer_index import search as customer_index
    from dashboard.lookups.search import PER_COMPANY_LIMIT

    asked = []
    real = customer_index.why_matched
    monkeypatch.setattr(customer_index, "why_matched", lambda *a, **k: asked.append(a) or real(*a, **k))
    assert customer_index.search([synced], "a", status=Status.ALL, explain=False).total > PER_COMPANY_LIMIT
    response = support_client.get("/", {"q": "a"})  # a broad search: many candidates
    assert response.status_code == 200 and 0 < len(asked) <= PER_COMPANY_LIMIT
