"""The customer on screen when the phone rings: /call/?number=… (a phone system's screen
pop) and /call/?email=… (a helpdesk's), matched against the local copies."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from dashboard import incoming
from dashboard.customer_index import sync
from dashboard.models import AuditAction, AuditEntry, CompanyScope
from tests.conftest import BAKERY, make_company
from tests.test_customer_index import control, fake_customers, page_text

pytestmark = pytest.mark.django_db(transaction=True)

BUILDERS = "end_usr_demoBuilders02"


def added(fake, name, **fields):
    control(fake, "POST", "customers", fields={"name": name, **fields})
    return next(c for c in fake_customers(fake) if c["name"] == name)


@pytest.fixture
def synced(company, fake):
    caller = added(fake, "Cedar & Pine Callers", phone="+1-555-301-4525", email="ap@cedarpine.example")
    assert sync.sync_company(company).ok
    fake.reset()
    return caller


@pytest.mark.parametrize(
    "typed",
    ["+15553014525", "(555) 301-4525", "555.301.4525 x12", "555-301-4525", "1 555 301 4525", "+1 (555) 301-4525"],
)
def test_a_number_in_any_form_is_the_same_caller(typed):
    who = incoming.caller(number=typed)
    assert who.phone_digits == "5553014525" and who.shown == "+1 555-301-4525"


def test_an_international_number_keeps_its_country_and_the_default_region_is_a_setting(settings):
    who = incoming.caller(number="+44 20 7946 0958")
    assert (who.phone_digits, who.shown) == ("2079460958", "+44 20 7946 0958")
    # Not a possible US number: shown as sent, its digits still find the London customer.
    assert incoming.caller(number="020 7946 0958") == incoming.Caller("020 7946 0958", "2079460958")
    settings.PHONE_REGION = "GB"
    assert incoming.caller(number="020 7946 0958") == incoming.Caller("+44 20 7946 0958", "2079460958")
    settings.PHONE_REGION = "Narnia"
    with pytest.raises(ImproperlyConfigured):
        incoming.caller(number="020 7946 0958")


@pytest.mark.parametrize(
    "number,email,said",
    [
        ("anonymous", "", "“anonymous” is not a phone number."),
        ("12", "", "“12” is too short"),
        ("", "not-an-address", "“not-an-address” is not an email address."),
        ("", "", "No caller was named"),
    ],
)
def test_what_is_not_a_caller_is_said_plainly(support_client, company, number, email, said):
    response = support_client.get("/call/", {"number": number, "email": email})
    assert response.status_code == 400
    text = page_text(response)
    assert said in text and "Traceback" not in text
    assert "Find the customer by name" in text


def test_one_customer_with_the_number_opens_at_once_and_the_call_is_audited(support_client, synced, fake):
    response = support_client.get("/call/", {"number": "(555) 301-4525"})
    assert response.status_code == 302
    assert response["Location"] == f"/end-users/{BAKERY}/customers/{synced['id']}/"
    entry = AuditEntry.objects.get(action=AuditAction.CALL)
    assert entry.target == "incoming call +1 555-301-4525 → Cedar & Pine Callers"
    assert entry.company_name == "Fulton Street Bakery Group" and entry.outcome == "ok"
    assert fake.stats == {}  # the phone is ringing: the copy answers, never QuickBooks


def test_an_email_finds_its_customer_exactly_not_a_longer_address(support_client, synced, fake):
    response = support_client.get("/call/", {"email": "AP@cedarpine.example"})
    assert response["Location"].endswith(f"/customers/{synced['id']}/")
    assert support_client.get("/call/", {"email": "p@cedarpine.example"})["Location"].startswith("/?caller=")


def test_several_customers_with_the_number_are_listed_to_choose_from(support_client, synced, fake, company):
    second = added(fake, "Second Line Holder", phone="555.301.4525")
    assert sync.sync_company(company).ok
    response = support_client.get("/call/", {"number": "+15553014525"})
    assert response.status_code == 200
    text = page_text(response)
    assert "2 customers have +1 555-301-4525" in text
    for name in ("Cedar &amp; Pine Callers", "Second Line Holder"):
        assert name in text
    body = response.content.decode()
    assert f"/customers/{second['id']}/" in body and "Overdue" in body and "<mark>" in body
    assert AuditEntry.objects.get(action=AuditAction.CALL).outcome == "2 matches"


def test_no_customer_with_the_number_opens_the_home_search_filled_in(support_client, synced, fake):
    response = support_client.get("/call/", {"number": "555-999-0000"})
    assert response.status_code == 302 and response["Location"] == "/?caller=%2B1+555-999-0000"
    home = support_client.get(response["Location"])
    text = page_text(home)
    assert "No customer in the local copies has +1 555-999-0000" in text
    assert 'value="+1 555-999-0000"' in home.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.SEARCH_ALL).exists()  # shown, not run


def test_signed_out_people_sign_in_and_land_on_the_caller(client, synced):
    response = client.get("/call/", {"number": "555-301-4525"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/call/%3Fnumber%3D555-301-4525"


def test_a_caller_of_a_company_out_of_scope_is_not_found(support_client, support_user, synced, api_key):
    builders = make_company(api_key, BUILDERS, "Northwind Builders")
    CompanyScope.objects.create(user=support_user).companies.set([builders])
    response = support_client.get("/call/", {"number": "555-301-4525"})
    assert response["Location"].startswith("/?caller=")


def test_an_international_caller_is_found_whatever_form_the_number_is_stored_in(support_client, company, fake):
    london = added(fake, "London Office", phone="020 7946 0958")  # stored without its country code
    assert sync.sync_company(company).ok
    response = support_client.get("/call/", {"number": "+442079460958"})
    assert response["Location"].endswith(f"/customers/{london['id']}/")
