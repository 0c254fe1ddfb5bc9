import re

import pytest
from django.contrib.auth.models import User

from fake_conductor.server import Fault
from tests.conftest import BAKERY, DENTAL_OFFLINE, EXAMPLE_ID, GARDEN_NOT_SET_UP, make_company, nullable_customer_keys

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- access -------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, company):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_signed_in_users_without_the_permission_get_403(client, company, fake):
    client.force_login(User.objects.create_user("outsider"))
    response = client.get(URL)
    assert response.status_code == 403
    assert "Support group" in text_of(response)
    assert fake.stats == {}


def test_superusers_always_have_access(client, company, fake):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    assert client.get(URL).status_code == 200


def test_home_lists_the_active_companies_with_their_status(support_client, company, api_key):
    make_company(api_key, "end_usr_hidden1", "Hidden Co").__class__.objects.filter(
        conductor_id="end_usr_hidden1"
    ).update(is_active=False)
    body = text_of(support_client.get("/"))
    assert "Fulton Street Bakery Group" in body and "Never checked" in body
    assert "Hidden Co" not in body


# --- the customer page ----------------------------------------------------------


def test_it_shows_every_section_of_the_example_customer(support_client, company, fake):
    response = support_client.get(URL)
    assert response.status_code == 200
    body = text_of(response)
    expected = [
        # identity and breadcrumb
        "Website Redesign Project",
        "Job of ABC Corporation",
        "Active",
        "Job: In progress",
        "Record: Active",
        "Acme Corporation",
        "Retail Customer",
        "Consulting",
        # contact
        "Dr. John A. Doe",
        "Purchasing Manager",
        "+1-555-123-4567",
        "+1-555-987-6543",
        "+1-555-555-1212",
        'href="mailto:customer@example.com"',
        'href="mailto:manager@example.com"',
        "Jane Smith",
        "Bob Johnson",
        "Main Phone",
        "555-123-4567",
        # additional contacts, addresses
        "Additional contacts",
        "Billing address",
        "Shipping address",
        "Alternate shipping address",
        "Default shipping",
        "540 Market St.",
        "San Francisco, CA 94110",
        "Conductor HQ",
        # balances, terms, tax, card
        "1,000.00",
        "5,000.00",
        "USD",
        "Net 30",
        "Jane Doe",
        "Gold Member Pricing",
        "Credit Card",
        "Email",
        "Non",
        "State Sales Tax",
        "US",
        "123456789",
        "GB123456789",
        "1010",
        "•••• 1234",
        "12/2024",
        "John Doe",
        "1234 Main St, Anytown, USA, 12345",
        # job
        "In progress",
        "Installation",
        "Jan 15, 2024",
        "Dec 31, 2024",
        "Nov 30, 2024",
        "Kitchen renovation project for residential client.",
        # notes, custom fields, record
        "Our favorite customer.",
        "This is a fun note.",
        "Jan 1, 2024",
        "Customer Rating",
        "Premium",
        "12345678-abcd-1234-abcd-1234567890ab",
        "1721172183",
        'data-copy="80000001-1234567890"',
    ]
    missing = [item for item in expected if item not in body]
    assert missing == []
    assert "None" not in re.sub(r"<[^>]+>", " ", body).replace("Preferred delivery", "")


def test_the_parent_is_linked_in_the_breadcrumb(support_client, company, fake):
    body = text_of(support_client.get(URL))
    parent_id = fake.state.companies[BAKERY].customers[0]["id"]
    assert f'href="/end-users/{BAKERY}/customers/{parent_id}/">ABC Corporation</a>' in body


def test_customer_pages_are_private_and_not_stored(support_client, company, fake):
    assert support_client.get(URL)["Cache-Control"] == "private, no-store"


def test_null_values_are_left_out_cleanly(support_client, company, fake):
    customer = fake.state.companies[BAKERY].customers[1]
    sparse = dict(customer.items())
    # every key the contract lets be null, but the parent (the breadcrumb needs it here)
    for key in [k for k in nullable_customer_keys() if k != "parent"]:
        sparse[key] = None
    sparse.update(customContactFields=[], additionalContacts=[], additionalNotes=[], customFields=[])
    fake.state.companies[BAKERY].customers[1] = sparse
    try:
        response = support_client.get(URL)
    finally:
        fake.state.companies[BAKERY].customers[1] = customer
    assert response.status_code == 200
    visible = re.sub(r"<[^>]+>", " ", response.content.decode())
    assert "None" not in visible
    for heading in ["Billing address", "Other addresses", "Additional contacts", "Sales tax", "Custom fields"]:
        assert heading not in visible
    assert "No notes yet." in visible and "From QuickBooks" not in visible  # a note can still be added
    assert "No limit" in visible


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_markup_in_every_text_field_comes_out_escaped(support_client, company, fake):
    customer = fake.state.companies[BAKERY].customers[1]
    hostile = {**customer}
    for key, value in customer.items():
        if isinstance(value, str) and key not in (
            "id",
            "objectType",
            "createdAt",
            "updatedAt",
            "balance",
            "totalBalance",
            "creditLimit",
            "jobStatus",
            "jobStartDate",
            "jobProjectedEndDate",
            "jobEndDate",
            "preferredDeliveryMethod",
        ):
            hostile[key] = HOSTILE
    hostile["email"] = "javascript:alert(1)//@evil.com"
    hostile["phone"] = "javascript:alert(2)"
    hostile["customFields"] = [{"ownerId": "0", "name": HOSTILE, "type": "string_255_type", "value": HOSTILE}]
    hostile["additionalNotes"] = [{"id": 1, "date": None, "note": HOSTILE}]
    hostile["billingAddress"] = {**customer["billingAddress"], "line1": HOSTILE, "note": HOSTILE}
    hostile["creditCard"] = {**customer["creditCard"], "name": HOSTILE, "number": "4111111111119999"}
    hostile["terms"] = {"id": "1-1", "fullName": HOSTILE}
    fake.state.companies[BAKERY].customers[1] = hostile
    try:
        response = support_client.get(URL)
    finally:
        fake.state.companies[BAKERY].customers[1] = customer
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    assert (
        'href="javascript:' not in body and 'href="mailto:javascript' not in body and 'href="tel:javascript' not in body
    )
    assert "4111111111119999" not in body and "•••• 9999" in body


def test_a_card_number_sent_in_full_shows_only_its_last_four(support_client, company, fake):
    customer = fake.state.companies[BAKERY].customers[1]
    fake.state.companies[BAKERY].customers[1] = {
        **customer,
        "creditCard": {**customer["creditCard"], "number": "4111-1111-1111-1111"},
    }
    try:
        body = support_client.get(URL).content.decode()
    finally:
        fake.state.companies[BAKERY].customers[1] = customer
    assert "4111-1111" not in body and "41111111" not in body and "•••• 1111" in body


# --- error pages ----------------------------------------------------------------


def test_an_unknown_company_is_404(support_client, company, fake):
    response = support_client.get(f"/end-users/end_usr_nobody/customers/{EXAMPLE_ID}/")
    assert response.status_code == 404
    assert "Company not found" in text_of(response)
    assert fake.stats == {}


@pytest.mark.parametrize(
    "bad_id", ["not-an-id", "80000001-12345678901234567890123", "..", "80000001-１２３", "80000001-1%2F..", "<script>"]
)
def test_a_malformed_customer_id_is_404_without_any_upstream_call(support_client, company, fake, bad_id):
    response = support_client.get(f"/end-users/{BAKERY}/customers/{bad_id}/")
    assert response.status_code == 404
    assert fake.stats == {}


def test_an_unknown_customer_is_404_naming_the_company(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/customers/80000001-99/")
    assert response.status_code == 404
    body = text_of(response)
    assert "Customer not found" in body and "Fulton Street Bakery Group" in body
    assert "req_fake" in body
    html = response.content.decode()
    # Asking again finds nothing more: the search is the way on, not "Try again".
    assert "Try again" not in body
    assert f'href="/end-users/{BAKERY}/customers/" class="button primary">Search Fulton Street Bakery Group' in html


@pytest.mark.parametrize(
    "fault,status,phrase",
    [
        (Fault(error="qbd_offline"), 503, "QuickBooks is unreachable"),
        (Fault(error="not_set_up"), 503, "QuickBooks setup is not finished"),
        (Fault(error="qbd_timeout"), 504, "QuickBooks took too long"),
        (Fault(error="authentication"), 502, "The Conductor API key was refused"),
        (Fault(error="permission"), 502, "The Conductor API key was refused"),
        (Fault(error="integration"), 502, "QuickBooks refused the request"),
        (Fault(error="internal"), 502, "Conductor reported an error"),
        (Fault(body="not_json"), 502, "Conductor sent an unreadable answer"),
        (Fault(body="bad_shape"), 502, "Conductor sent an unreadable answer"),
        (Fault(body="html_error"), 502, "Conductor sent an unreadable answer"),
        (Fault(body="drop"), 502, "Conductor could not be reached"),
        (Fault(latency=1.0), 504, "Conductor did not answer in time"),
    ],
)
def test_each_upstream_failure_has_its_own_page(support_client, company, fake, settings, fault, status, phrase):
    settings.CONDUCTOR_READ_TIMEOUT = 0.4
    fault.customer_id = EXAMPLE_ID
    fake.faults.add(fault)
    response = support_client.get(URL)
    assert response.status_code == status
    body = text_of(response)
    assert phrase in body and "What to do" in body
    assert "Traceback" not in body
    if fault.error:
        assert "Conductor request id" in body and "req_fake" in body


def test_an_offline_company_explains_what_the_quickbooks_user_must_do(support_client, api_key, fake):
    make_company(api_key, DENTAL_OFFLINE, "Harbor Dental Partners")
    body = text_of(support_client.get(f"/end-users/{DENTAL_OFFLINE}/customers/{EXAMPLE_ID}/"))
    assert "Web Connector" in body and "Please make sure QuickBooks is running." in body


def test_setup_unfinished_is_its_own_page(support_client, api_key, fake):
    make_company(api_key, GARDEN_NOT_SET_UP, "Sunrise Landscaping Co.")
    response = support_client.get(f"/end-users/{GARDEN_NOT_SET_UP}/customers/{EXAMPLE_ID}/")
    assert response.status_code == 503 and "setup is not finished" in text_of(response)


def test_a_refused_key_links_superusers_to_it_in_admin(client, company, fake):
    fake.faults.add(Fault(error="authentication"))
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    body = text_of(client.get(URL))
    assert f"/admin/dashboard/apikey/{company.api_key_id}/change/" in body


def test_a_refused_key_shows_support_staff_no_admin_link(support_client, company, fake):
    fake.faults.add(Fault(error="authentication"))
    body = text_of(support_client.get(URL))
    assert "/admin/dashboard/apikey/" not in body and "Ask a dashboard admin" in body


def test_an_unreadable_stored_key_is_a_clear_502(support_client, company, fake, settings):
    settings.ENCRYPTION_KEYS = ["Zm9yLXRlc3RzLW9ubHktYW5vdGhlci1rZXktMzJieXQ="]
    response = support_client.get(URL)
    assert response.status_code == 502
    assert "cannot be read" in text_of(response) and fake.stats == {}


def test_conductor_unreachable_is_502(support_client, company, settings):
    settings.CONDUCTOR_BASE_URL = "http://127.0.0.1:9/v1"
    response = support_client.get(URL)
    assert response.status_code == 502 and "Conductor could not be reached" in text_of(response)


def test_healthz_needs_nothing(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


def test_the_secret_key_never_reaches_a_page_or_a_log(support_client, company, monkeypatch, caplog):
    import logging

    import httpx

    from dashboard.conductor import client
    from fake_conductor.data import DEMO_SECRET_KEY

    caplog.set_level(logging.DEBUG)
    # An upstream that echoes the key everywhere it can.
    echo = {
        "error": {
            "message": f"bad key {DEMO_SECRET_KEY}",
            "userFacingMessage": f"key {DEMO_SECRET_KEY}",
            "type": "AUTHENTICATION_ERROR",
            "code": "API_KEY_INVALID",
            "httpStatusCode": 401,
            "requestId": "req_echo",
        }
    }
    http = client.build_http_client(httpx.MockTransport(lambda r: httpx.Response(401, json=echo)))
    monkeypatch.setattr(client, "_http", lambda: http)
    response = support_client.get(URL)
    assert response.status_code == 502
    assert DEMO_SECRET_KEY not in response.content.decode()
    assert DEMO_SECRET_KEY not in caplog.text


def test_home_shows_why_a_company_is_offline(support_client, company):
    company.connection_status = "offline"
    company.last_error = "We could not connect to QuickBooks Desktop."
    company.save()
    body = text_of(support_client.get("/"))
    assert "QuickBooks offline" in body and "We could not connect to QuickBooks Desktop." in body


def test_a_refused_key_tells_staff_to_ask_an_admin_and_not_to_try_again(support_client, company, fake):
    fake.faults.add(Fault(error="authentication"))  # Conductor's userFacingMessage is a generic phrase
    body = text_of(support_client.get(URL))
    assert "Ask a dashboard admin" in body and "Trying again will not help" in body
    assert ">Try again<" not in body
    assert "An internal server error occurred" not in body


def test_conductors_own_words_are_quoted_when_they_say_something(support_client, company, fake):
    fake.faults.add(Fault(error="integration"))
    body = text_of(support_client.get(URL))
    assert "This record is in use in QuickBooks Desktop. Please close it and try again." in body
    assert ">Try again<" in body


def test_an_offline_company_s_customer_page_is_whole_from_the_copy_and_the_check_says_why(
    support_client, api_key, fake
):
    from dashboard.customer_index import sync

    company = make_company(api_key)
    assert sync.sync_company(company).ok
    example = next(c for c in fake.state.companies[BAKERY].customers if c["id"] == EXAMPLE_ID)
    fake.reset()
    fake.faults.add(Fault(error="qbd_offline"))
    response = support_client.get(URL)
    body = text_of(response)
    assert response.status_code == 200 and "From the local copy, as of" in body
    assert example["name"] in body and f'href="mailto:{example["email"]}"' in response.content.decode()
    assert "Open invoices" in body and "Loading" not in body  # the activity is there at once
    assert fake.stats == {}  # nothing asked before the page was answered
    check = support_client.get(URL + "check/", headers={"X-Fragment": "1"})
    assert check.status_code == 200 and "Could not check with QuickBooks" in text_of(check)
    assert "QuickBooks" in text_of(check) and "The figures are the copy’s" in text_of(check)


# --- said once, linked, with its zone ------------------------------------------------------


def example_record(fake):
    return next(c for c in fake.state.companies[BAKERY].customers if c["id"] == EXAMPLE_ID)


def test_the_customer_page_says_each_thing_once(support_client, company, fake):
    record = example_record(fake)
    record["contact"] = "John Doe"  # the same person as "Dr. John A. Doe"
    html = support_client.get(URL).content.decode()
    text = text_of_html(html)
    assert "Job of ABC Corporation" in text and "ABC Corporation:Website Redesign Project" not in text
    assert text.count("Same as billing address") == 2  # the example's three addresses are one
    assert html.count(">USD<") == 1  # the currency, once
    assert "<dt>Contact</dt>" not in html and "Dr. John A. Doe" in text


def test_every_phone_number_on_the_customer_page_is_a_tel_link(support_client, company, fake):
    record = example_record(fake)
    record["customContactFields"] = [
        {"name": "Mobile", "value": "555-6082"},
        {"name": "Alt. Mobile", "value": "+1 (555) 222-0101"},
        {"name": "Main Email", "value": "ops@example.com"},
    ]
    html = support_client.get(URL).content.decode()
    for number in ("555-6082", "+1 (555) 222-0101", record["phone"], record["alternatePhone"]):
        assert f'href="tel:{number}"' in html
    assert 'href="mailto:ops@example.com"' in html


def test_times_say_their_zone_and_keep_quickbooks_own_clock(support_client, company, fake, settings):
    settings.TIME_ZONE = "UTC"
    example_record(fake)["updatedAt"] = "2025-02-01T07:34:56-05:00"
    text = text_of_html(support_client.get(URL).content.decode())
    assert "Jan 1, 2025 12:34 UTC" in text  # created, in the zone QuickBooks sent
    assert "Feb 1, 2025 12:34 UTC (Feb 1, 07:34 UTC−05:00 in QuickBooks)" in text


def text_of_html(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.replace("<wbr>", "")))


def test_the_currency_is_named_once_whatever_quickbooks_calls_it(support_client, company, fake):
    example_record(fake)["currency"] = {"id": "80000002-1234567890", "fullName": "US Dollar"}
    html = support_client.get(URL).content.decode()
    assert html.count("US Dollar") == 1 and ">USD<" not in html


def test_call_notes_come_first_newest_first_and_jobs_sit_in_a_card(support_client, company, fake):
    example = next(c for c in fake.state.companies[BAKERY].customers if c["id"] == EXAMPLE_ID)
    example["additionalNotes"] = [
        {"id": 1, "date": "2026-03-01", "note": "Older: sent the statement."},
        {"id": 2, "date": "2026-11-20", "note": "Called about invoice 1042; promised payment Friday."},
    ]
    body = support_client.get(URL).content.decode()
    notes = body.index('id="h-notes"')
    assert body.index('class="customer-head') < notes < body.index('id="h-activity"') < body.index('id="h-identity"')
    assert body.index("promised payment Friday") < body.index("Older: sent the statement")
    parts = support_client.get(URL + "account/", HTTP_X_FRAGMENT="1").content.decode()
    assert 'class="card jobs"' in parts  # the jobs arrive after the record, in a card like the rest


def visible_text(html: str) -> str:
    """The page as read: tags gone (attributes too), the script's templates left out."""
    html = re.sub(r"<(script|template)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.replace("<wbr>", "")))


def test_each_fact_is_said_once(support_client, company, fake):
    """The walk-through found the balance four times, terms and card twice: a person on
    a call reads each fact in one place (the sum that explains the balance adds up to it)."""
    record = example_record(fake)
    record.update(totalBalance="1000.00", balance="1000.00")
    text = visible_text(support_client.get(URL).content.decode())
    for fact in ["Net 30", "•••• 1234", "12/2024", "+1-555-123-4567", "customer@example.com", "5,000.00"]:
        assert text.count(fact) == 1, fact
    assert "Total balance" not in text and "Balances" not in text


def test_a_balance_with_jobs_says_the_customers_own_part_in_words(support_client, company, fake):
    example_record(fake).update(totalBalance="1500.00", balance="1000.00")
    text = visible_text(support_client.get(URL).content.decode())
    assert "Balance incl. jobs 1,500.00 this job alone 1,000.00" in text


def test_what_a_call_rarely_needs_folds_away(support_client, company, fake):
    body = support_client.get(URL).content.decode()
    folded = re.findall(r'<details class="card fold[^"]*">\s*<summary><h2>([^<]+)', body)
    assert [f.strip() for f in folded] == ["Other addresses", "Sales tax", "Custom fields", "Record"]
    assert '<details class="card fold" open' not in body
    # What a call needs is never folded: who, the billing address, terms and payment.
    for heading in ("h-identity", "h-contact", "h-billing", "h-terms"):
        before = body.split(f'id="{heading}"')[0]
        assert before.count("<details") == before.count("</details>"), heading


def test_only_the_latest_notes_are_open_the_rest_fold(support_client, company, fake):
    example_record(fake)["additionalNotes"] = [
        {"id": n, "date": f"2026-0{n}-01", "note": f"Note number {n}."} for n in range(1, 6)
    ]
    body = support_client.get(URL).content.decode()
    open_part, _, folded = body.partition('<details class="fold-inline">')
    for n in (5, 4, 3):
        assert f"Note number {n}." in open_part
    assert "2 earlier notes" in folded
    for n in (2, 1):
        assert f"Note number {n}." in folded.split("</details>")[0]
