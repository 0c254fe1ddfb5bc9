"""Notes and promises to pay that the next person sees: written on the customer page,
the dashboard's own (never sent to QuickBooks), kept when edited or deleted, judged from
the local copy, listed on the company page and found by the home search."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dashboard import notes
from dashboard.customer_index import sync
from dashboard.lookups import activity
from dashboard.models import AuditAction, AuditEntry, CompanyScope, CustomerNote
from tests.conftest import BAKERY, make_company, support_group
from tests.test_customer_index import control, fake_customers, page_text

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def caller(company, fake):
    control(fake, "POST", "customers", fields={"name": "Promise Keeper Ltd"})
    customer = next(c for c in fake_customers(fake) if c["name"] == "Promise Keeper Ltd")
    control(fake, "POST", "invoices", customer_id=customer["id"], amount="800.00")
    assert sync.sync_company(company).ok
    fake.reset()
    return customer


def page_of(customer):
    return f"/end-users/{BAKERY}/customers/{customer['id']}/"


def write(client, customer, text, amount="", by=""):
    return client.post(page_of(customer) + "notes/", {"text": text, "promise_amount": amount, "promise_date": by})


def another_person(name="riley"):
    user = User.objects.create_user(name, password="pw-for-tests-only")
    user.groups.add(support_group())
    client = Client()
    client.force_login(user)
    return client


def test_a_note_and_promise_greet_whoever_takes_the_next_call(support_client, caller, fake):
    by = activity.today() + timedelta(days=3)
    response = write(support_client, caller, "Called about invoice; promised payment Friday.", "$500", by.isoformat())
    assert response.status_code == 302 and response["Location"] == page_of(caller) + "#notes"
    text = page_text(another_person().get(page_of(caller)))
    assert "Called about invoice; promised payment Friday." in text
    assert f"Promised 500.00 by {by:%b} {by.day}, {by.year} Due" in text
    assert "sam," in text  # who wrote it, and when
    entry = AuditEntry.objects.get(action=AuditAction.NOTE_ADDED)
    assert entry.target == "Promise Keeper Ltd: Called about invoice; promised payment Friday."
    assert not any(key.startswith(("POST", "PUT", "DELETE")) for key in fake.stats)  # never sent to QuickBooks


def test_the_notes_come_newest_first_above_quickbooks_own(support_client, caller):
    write(support_client, caller, "First call.")
    write(support_client, caller, "Second call.")
    text = page_text(support_client.get(page_of(caller)))
    assert text.index("Second call.") < text.index("First call.") < text.index("Open invoices")


def test_a_promise_is_kept_when_the_payments_reach_it(support_client, caller, fake, company):
    write(support_client, caller, "Will pay 800 this week.", "800", (activity.today() + timedelta(days=2)).isoformat())
    invoice = next(i for i in fake.state.companies[BAKERY].ledger.invoices if i["customer"]["id"] == caller["id"])
    control(fake, "POST", f"invoices/{invoice['id']}/payments", amount="800.00")
    assert sync.sync_company(company).ok
    text = page_text(support_client.get(page_of(caller)))
    assert "Kept" in text and "800.00 received since" in text


def test_a_promise_past_its_date_unpaid_is_broken_and_the_company_page_lists_it(support_client, caller, company):
    today = activity.today()
    CustomerNote.objects.create(
        company=company,
        customer_id=caller["id"],
        customer_name=caller["fullName"],
        text="Promised last week.",
        promise_amount=Decimal("250.00"),
        promise_date=today - timedelta(days=1),
        author_name="sam",
        written_at=timezone.now() - timedelta(days=8),
    )
    CustomerNote.objects.create(
        company=company,
        customer_id=caller["id"],
        customer_name=caller["fullName"],
        text="Promised for today.",
        promise_amount=Decimal("100.00"),
        promise_date=today,
        author_name="sam",
    )
    assert "Broken" in page_text(support_client.get(page_of(caller)))
    listed = page_text(support_client.get(f"/end-users/{BAKERY}/customers/"))
    assert "Promises to pay" in listed
    due, broken = listed.split("Due today", 1)[1].split("Broken", 1)
    assert "100.00" in due and "Promised for today." in due
    assert "250.00" in broken and "Promised last week." in broken


def test_without_the_copys_transactions_a_promise_is_not_checked(company, caller):
    note = CustomerNote(promise_amount=Decimal(1), promise_date=activity.today(), written_at=timezone.now())
    assert notes.promise_state(note, None, activity.today()) == (notes.PromiseState.NOT_CHECKED, Decimal(0))


def test_an_edit_keeps_what_it_replaced(support_client, caller):
    write(support_client, caller, "Promised Fridy.")
    note = CustomerNote.objects.get()
    form = support_client.get(f"/end-users/{BAKERY}/notes/{note.pk}/edit/")
    assert form.status_code == 200 and "Promised Fridy." in form.content.decode()
    response = support_client.post(
        f"/end-users/{BAKERY}/notes/{note.pk}/edit/",
        {"text": "Promised Friday.", "promise_amount": "", "promise_date": ""},
    )
    assert response["Location"].endswith("#notes")
    text = page_text(support_client.get(page_of(caller)))
    assert "Promised Friday." in text and "Fridy" not in text and "edited by sam" in text
    note.refresh_from_db()
    assert note.text == "Promised Fridy." and note.replaced_by is not None  # kept, not erased
    assert AuditEntry.objects.filter(action=AuditAction.NOTE_EDITED).count() == 1


def test_a_deletion_is_marked_not_erased(support_client, caller):
    write(support_client, caller, "Wrong customer, sorry.")
    note = CustomerNote.objects.get()
    assert support_client.post(f"/end-users/{BAKERY}/notes/{note.pk}/delete/").status_code == 302
    assert "Wrong customer, sorry." not in page_text(support_client.get(page_of(caller)))
    note.refresh_from_db()
    assert note.deleted_at is not None and note.deleted_by_name == "sam"
    assert (
        AuditEntry.objects.get(action=AuditAction.NOTE_DELETED).target == "Promise Keeper Ltd: Wrong customer, sorry."
    )


def test_only_the_author_changes_a_note(support_client, caller):
    write(support_client, caller, "Mine.")
    note = CustomerNote.objects.get()
    other = another_person()
    assert other.post(f"/end-users/{BAKERY}/notes/{note.pk}/delete/").status_code == 403
    assert other.post(f"/end-users/{BAKERY}/notes/{note.pk}/edit/", {"text": "Theirs."}).status_code == 403
    assert CustomerNote.objects.current().get().text == "Mine."
    assert "Edit" not in page_text(other.get(page_of(caller))).split("Mine.", 1)[1].split("Open invoices")[0]


def test_a_promise_needs_both_parts_and_nothing_typed_is_lost(support_client, caller):
    response = write(support_client, caller, "Will pay soon.", "300", "")
    assert response.status_code == 400
    body = response.content.decode()
    assert "A promise needs the date it is promised by." in body and "Will pay soon." in body
    assert 'value="300"' in body
    assert write(support_client, caller, "Paid last year?", "300", "2020-01-01").status_code == 400
    assert write(support_client, caller, "", "", "").status_code == 400
    assert not CustomerNote.objects.exists()


def test_notes_follow_company_scopes(support_client, support_user, caller, api_key):
    write(support_client, caller, "Scoped note.")
    note = CustomerNote.objects.get()
    CompanyScope.objects.create(user=support_user).companies.set([make_company(api_key, "end_usr_other", "Other")])
    assert support_client.post(page_of(caller) + "notes/", {"text": "x"}).status_code == 404
    assert support_client.post(f"/end-users/{BAKERY}/notes/{note.pk}/delete/").status_code == 404
    assert "Scoped note." not in page_text(support_client.get("/", {"q": "Scoped"}))


def test_a_note_is_found_by_the_home_search(support_client, caller):
    write(support_client, caller, "Wants the invoices emailed to the warehouse manager.")
    response = support_client.get("/", {"q": "warehouse manager"})
    text = page_text(response)
    assert "Notes mentioning “warehouse manager”" in text and "Promise Keeper Ltd" in text


def test_a_note_needs_the_forms_token(caller, support_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(support_user)
    assert write(client, caller, "Forged.").status_code == 403
    assert not CustomerNote.objects.exists()


def test_the_add_form_is_on_the_customer_page(support_client, caller):
    body = support_client.get(page_of(caller)).content.decode()
    assert re.search(r'<form method="post" action="[^"]+/notes/"', body) and "csrfmiddlewaretoken" in body
    assert support_client.get(page_of(caller) + "notes/")["Location"].endswith("#notes")
