"""Bringing a company in from admin and watching its connection."""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboard import connections
from dashboard.models import Company, ConnectionCheck, ConnectionStatus
from fake_conductor.data import DEMO_PUBLISHABLE_KEY
from fake_conductor.server import Fault
from tests.conftest import BAKERY, DENTAL_OFFLINE, GARDEN_NOT_SET_UP, make_company

CREATE = "admin:dashboard_company_create_in_conductor"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def body(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- add a company ----------------------------------------------------------------------


def test_an_admin_creates_a_company_in_conductor(admin_client, api_key, fake):
    response = admin_client.post(
        reverse(CREATE),
        {
            "api_key": api_key.pk,
            "name": "Maple Dental",
            "source_id": "acct-2001",
            "email": "it@maple.example.com",
        },
    )
    company = Company.objects.get(source_id="acct-2001")
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:dashboard_company_change", args=[company.pk]
    )
    assert company.conductor_id in fake.state.companies
    assert fake.state.companies[company.conductor_id].company_name == "Maple Dental"
    assert company.api_key == api_key and company.email == "it@maple.example.com"


def test_a_duplicate_source_id_is_caught_here_first(admin_client, api_key, fake):
    Company.objects.create(conductor_id="end_usr_existing1", name="X", source_id="acct-1001", api_key=api_key)
    response = admin_client.post(
        reverse(CREATE),
        {"api_key": api_key.pk, "name": "Again", "source_id": "acct-1001", "email": "a@b.example.com"},
    )
    assert response.status_code == 200 and "already exists" in body(response)
    assert "POST /end-users" not in fake.stats


def test_a_duplicate_source_id_in_conductor_is_a_clear_message(admin_client, api_key, fake):
    # acct-1002 belongs to an end user that exists in Conductor but was never imported here
    response = admin_client.post(
        reverse(CREATE),
        {"api_key": api_key.pk, "name": "Again", "source_id": "acct-1002", "email": "a@b.example.com"},
    )
    assert response.status_code == 200
    assert "Conductor already has an end user with source id" in body(response)
    assert not Company.objects.filter(source_id="acct-1002").exists()


@pytest.mark.parametrize(
    "fault,message",
    [
        (Fault(path="/end-users", error="authentication"), "Conductor did not create it"),
        (Fault(path="/end-users", body="drop"), "Conductor did not create it"),
    ],
)
def test_conductor_errors_while_creating_are_shown(admin_client, api_key, fake, fault, message):
    fake.faults.add(fault)
    response = admin_client.post(
        reverse(CREATE),
        {"api_key": api_key.pk, "name": "Nope", "source_id": "acct-9", "email": "a@b.example.com"},
    )
    assert response.status_code == 200 and message in body(response)
    assert not Company.objects.filter(source_id="acct-9").exists()


def test_the_end_user_list_offers_the_create_page(admin_client, api_key):
    assert reverse(CREATE) in admin_client.get(reverse("admin:dashboard_company_changelist")).content.decode()


# --- setup links ---------------------------------------------------------------------------


@pytest.fixture
def key_with_publishable(api_key):
    api_key.set_publishable_key(DEMO_PUBLISHABLE_KEY)
    api_key.save()
    return api_key


def test_the_publishable_key_is_stored_encrypted_and_never_shown(admin_client, api_key):
    admin_client.post(
        reverse("admin:dashboard_apikey_change", args=[api_key.pk]),
        {"name": "demo", "secret_key": "", "publishable_key": DEMO_PUBLISHABLE_KEY},
    )
    api_key.refresh_from_db()
    assert api_key.get_publishable_key() == DEMO_PUBLISHABLE_KEY
    assert DEMO_PUBLISHABLE_KEY not in api_key.encrypted_publishable_key
    page = admin_client.get(reverse("admin:dashboard_apikey_change", args=[api_key.pk])).content.decode()
    assert DEMO_PUBLISHABLE_KEY not in page and "pk_conductor_…" in page


def test_a_setup_link_is_created_shown_with_its_expiry_and_copyable(admin_client, key_with_publishable, fake):
    company = make_company(key_with_publishable, GARDEN_NOT_SET_UP, "Sunrise Landscaping Co.")
    response = admin_client.post(
        reverse("admin:dashboard_company_changelist"),
        {"action": "create_setup_links", "_selected_action": [company.pk]},
        follow=True,
    )
    company.refresh_from_db()
    assert company.setup_link_url.startswith("https://connect.conductor.is/qbd/")
    assert company.setup_link_expires_at > timezone.now()
    assert f'data-copy="{company.setup_link_url}"' in response.content.decode()
    page = admin_client.get(reverse("admin:dashboard_company_change", args=[company.pk])).content.decode()
    assert "Expires" in page and 'class="copy-button"' in page and "js/app" in page


def test_the_change_page_has_a_button_that_creates_a_setup_link(admin_client, key_with_publishable, fake):
    company = make_company(key_with_publishable, GARDEN_NOT_SET_UP, "Sunrise Landscaping Co.")
    change = reverse("admin:dashboard_company_change", args=[company.pk])
    page = body(admin_client.get(change))
    button_url = reverse("admin:dashboard_company_setup_link", args=[company.pk])
    assert f'formaction="{button_url}"' in page and ">Create a setup link</button>" in page
    assert "action: Create a setup link" not in page
    response = admin_client.post(button_url, follow=True)
    company.refresh_from_db()
    assert response.redirect_chain[-1][0] == change
    assert company.setup_link_url and f'data-copy="{company.setup_link_url}"' in body(response)
    # only a POST creates one
    assert admin_client.get(button_url).status_code == 403


def test_an_expired_link_is_shown_as_expired(admin_client, api_key):
    company = make_company(api_key)
    company.setup_link_url = "https://connect.conductor.is/qbd/old"
    company.setup_link_expires_at = timezone.now() - timedelta(minutes=1)
    company.save()
    page = body(admin_client.get(reverse("admin:dashboard_company_change", args=[company.pk])))
    assert (
        "Expired at" in re.sub(r"<[^>]+>", "", page) and 'data-copy="https://connect.conductor.is/qbd/old"' not in page
    )


def test_no_publishable_key_means_a_clear_message(admin_client, api_key, fake):
    company = make_company(api_key, GARDEN_NOT_SET_UP, "Sunrise")
    response = admin_client.post(
        reverse("admin:dashboard_company_changelist"),
        {"action": "create_setup_links", "_selected_action": [company.pk]},
        follow=True,
    )
    assert "has no publishable key" in body(response)
    assert "POST /auth-sessions" not in fake.stats


# --- what "connected" means ------------------------------------------------------------


def test_connected_needs_a_last_successful_request_and_a_passing_check(api_key, fake):
    company = make_company(api_key)
    fake.state.companies[BAKERY].last_successful_request_at = None  # the record exists, never succeeded
    try:
        connections.check_connection(company)
    finally:
        fake.state.companies[BAKERY].last_successful_request_at = "2026-11-24T16:02:11.000Z"
    assert company.connection_status == ConnectionStatus.SETUP_UNFINISHED
    connections.check_connection(company)
    assert company.connection_status == ConnectionStatus.CONNECTED
    assert company.conductor_last_successful_request_at is not None


def test_offline_since_is_the_first_failure_of_a_run(api_key, fake):
    company = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    connections.check_connection(company)
    first = company.offline_since
    connections.check_connection(company)
    assert company.connection_status == ConnectionStatus.OFFLINE and company.offline_since == first
    assert "QuickBooks is running" in company.last_error


def test_home_shows_offline_since_and_conductors_message(support_client, api_key, fake):
    company = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    connections.check_connection(company)
    page = body(support_client.get("/"))
    assert "QuickBooks offline" in page and "since" in page and "Please make sure QuickBooks is running." in page


def test_offline_means_no_answer_since_the_last_successful_request_not_our_first_failed_check(
    support_client, api_key, fake
):
    company = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    connections.check_connection(company)
    # Conductor's record says QuickBooks last answered days before our first failed check
    last_answer = datetime.fromisoformat(fake.state.companies[DENTAL_OFFLINE].last_successful_request_at)
    assert company.offline_since > last_answer
    since = company.no_answer_since()
    assert since.at == last_answer and since.basis == "last successful request"
    page = re.sub(r"<[^>]+>", "", body(support_client.get("/")))
    assert "no answer since Nov 20, 2026 08:44 UTC (last successful request)" in page


def test_an_answer_after_our_first_failed_check_is_the_start_of_the_silence(api_key, fake):
    company = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    connections.check_connection(company)
    assert company.offline_since is not None
    later = company.offline_since + timedelta(hours=2)
    company.conductor_last_successful_request_at = later  # QuickBooks answered someone since
    assert company.no_answer_since().at == later


def test_without_any_known_answer_offline_counts_from_the_first_failed_check(api_key, fake):
    fake.state.companies[DENTAL_OFFLINE].last_successful_request_at = None
    company = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    try:
        connections.check_connection(company)
    finally:
        fake.state.companies[DENTAL_OFFLINE].last_successful_request_at = "2026-11-20T08:44:09.000Z"
    since = company.no_answer_since()
    if company.connection_status == ConnectionStatus.OFFLINE:
        assert since.at == company.offline_since and since.basis == "first failed check"
    else:  # no successful request at all reads as setup not finished
        assert since is None


# --- monitoring --------------------------------------------------------------------------


def test_check_connections_checks_all_active_companies_and_fails_when_one_is_offline(api_key, fake):
    make_company(api_key)
    make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    make_company(api_key, GARDEN_NOT_SET_UP, "Sunrise")
    hidden = make_company(api_key, "end_usr_demoBuilders02", "Northwind")
    hidden.is_active = False
    hidden.save()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 companies are offline") as raised:
        call_command("check_connections", stdout=out)
    assert raised.value.returncode == 1
    statuses = dict(Company.objects.values_list("conductor_id", "connection_status"))
    assert statuses == {
        BAKERY: "connected",
        DENTAL_OFFLINE: "offline",
        GARDEN_NOT_SET_UP: "setup_unfinished",
        "end_usr_demoBuilders02": "never_checked",
    }
    assert ConnectionCheck.objects.count() == 3


def test_check_connections_succeeds_when_all_are_up(api_key, fake):
    make_company(api_key)
    out = io.StringIO()
    call_command("check_connections", stdout=out)
    assert "Checked 1 companies" in out.getvalue()


def test_a_slow_company_is_bounded_by_its_budget(api_key, fake):
    make_company(api_key)
    make_company(api_key, "end_usr_demoBuilders02", "Northwind")
    fake.faults.add(Fault(end_user_id=BAKERY, path="/quickbooks-desktop/health-check", body="hang"))  # never answers
    import time

    started = time.monotonic()
    try:
        with pytest.raises(CommandError):
            call_command("check_connections", "--timeout", "1", "--concurrency", "2", stdout=io.StringIO())
        assert time.monotonic() - started < 10  # bounded by the budget, not by the company
    finally:
        fake.stop_hanging()
    statuses = dict(Company.objects.values_list("conductor_id", "connection_status"))
    assert statuses == {BAKERY: "error", "end_usr_demoBuilders02": "connected"}


def test_the_history_is_short_and_shown_in_admin(admin_client, api_key, fake):
    company = make_company(api_key)
    for _ in range(ConnectionCheck.KEEP_PER_COMPANY + 3):
        connections.check_connection(company)
    assert company.checks.count() == ConnectionCheck.KEEP_PER_COMPANY
    page = admin_client.get(reverse("admin:dashboard_company_change", args=[company.pk])).content.decode()
    assert "connection history" in page.lower()


# --- remove ------------------------------------------------------------------------------


def test_deactivating_hides_a_company_from_staff(support_client, api_key, fake):
    company = make_company(api_key)
    company.is_active = False
    company.save()
    assert support_client.get(f"/end-users/{BAKERY}/customers/").status_code == 404
    assert BAKERY in fake.state.companies  # still in Conductor


def test_deleting_in_conductor_asks_first_then_deletes_both(admin_client, api_key, fake):
    company = make_company(api_key)
    changelist = reverse("admin:dashboard_company_changelist")
    response = admin_client.post(changelist, {"action": "delete_in_conductor", "_selected_action": [company.pk]})
    assert response.status_code == 200 and "cannot be undone" in body(response)
    assert BAKERY in fake.state.companies and Company.objects.exists()
    response = admin_client.post(
        changelist, {"action": "delete_in_conductor", "_selected_action": [company.pk], "confirmed": "yes"}, follow=True
    )
    assert "deleted in Conductor and here" in body(response)
    assert BAKERY not in fake.state.companies and not Company.objects.exists()


def test_a_failed_delete_keeps_the_company(admin_client, api_key, fake):
    company = make_company(api_key)
    fake.faults.add(Fault(path="/end-users/*", error="internal"))
    response = admin_client.post(
        reverse("admin:dashboard_company_changelist"),
        {"action": "delete_in_conductor", "_selected_action": [company.pk], "confirmed": "yes"},
        follow=True,
    )
    assert "not deleted" in body(response) and Company.objects.filter(pk=company.pk).exists()
