import re

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from dashboard.models import ApiKey, Company, ConnectionStatus
from fake_conductor.data import DEMO_SECRET_KEY
from fake_conductor.server import Fault
from tests.conftest import BAKERY, DENTAL_OFFLINE, GARDEN_NOT_SET_UP, make_company

NEW_SECRET = "sk_conductor_admin_test_9f8e7d6c5b4a3210"


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_a_new_key_is_stored_encrypted_and_never_shown_back(admin_client):
    response = admin_client.post(reverse("admin:dashboard_apikey_add"), {"name": "prod", "secret_key": NEW_SECRET})
    assert response.status_code == 302
    key = ApiKey.objects.get(name="prod")
    assert NEW_SECRET not in key.encrypted_secret and key.get_secret() == NEW_SECRET
    assert key.secret_hint == "sk_conductor_…3210"
    for url in (reverse("admin:dashboard_apikey_changelist"), reverse("admin:dashboard_apikey_change", args=[key.pk])):
        body = admin_client.get(url).content.decode()
        assert NEW_SECRET not in body and "sk_conductor_…3210" in body


def test_a_form_that_fails_validation_does_not_echo_the_key(admin_client):
    response = admin_client.post(reverse("admin:dashboard_apikey_add"), {"name": "", "secret_key": NEW_SECRET})
    assert response.status_code == 200
    assert NEW_SECRET not in response.content.decode()


@pytest.mark.parametrize("bad", ["pk_conductor_abcdefghijklmnopqrstuv", "hello", "sk_conductor_ has spaces inside"])
def test_it_refuses_what_is_not_a_secret_key(admin_client, bad):
    response = admin_client.post(reverse("admin:dashboard_apikey_add"), {"name": "x", "secret_key": bad})
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert bad not in response.content.decode()


def test_leaving_the_secret_blank_keeps_it(admin_client, api_key):
    admin_client.post(
        reverse("admin:dashboard_apikey_change", args=[api_key.pk]), {"name": "renamed", "secret_key": ""}
    )
    api_key.refresh_from_db()
    assert api_key.name == "renamed" and api_key.get_secret() == DEMO_SECRET_KEY


def test_verify_reports_valid_and_invalid_keys(admin_client, api_key, fake):
    bad = ApiKey(name="bad")
    bad.set_secret("sk_conductor_not_known_to_conductor_0000")
    bad.save()
    response = admin_client.post(
        reverse("admin:dashboard_apikey_changelist"),
        {"action": "verify_keys", "_selected_action": [api_key.pk, bad.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("demo: Valid") for m in messages)
    assert any(m.startswith("bad: Invalid") for m in messages)
    api_key.refresh_from_db(), bad.refresh_from_db()
    assert api_key.last_verification_ok is True and bad.last_verification_ok is False


def test_import_creates_then_updates_without_duplicates(admin_client, api_key, fake):
    changelist = reverse("admin:dashboard_apikey_changelist")
    response = admin_client.post(
        changelist, {"action": "import_companies", "_selected_action": [api_key.pk]}, follow=True
    )
    assert "4 companies created, 0 updated" in response.content.decode()
    Company.objects.filter(conductor_id=BAKERY).update(name="old name", is_active=False)
    response = admin_client.post(
        changelist, {"action": "import_companies", "_selected_action": [api_key.pk]}, follow=True
    )
    assert "0 companies created, 4 updated" in response.content.decode()
    bakery = Company.objects.get(conductor_id=BAKERY)
    assert bakery.name == "Fulton Street Bakery Group" and bakery.is_active is False
    assert Company.objects.count() == 4
    assert bakery.conductor_last_successful_request_at is not None


def test_import_failure_is_reported_not_raised(admin_client, api_key, fake):
    fake.faults.add(Fault(path="/end-users", error="internal"))
    response = admin_client.post(
        reverse("admin:dashboard_apikey_changelist"),
        {"action": "import_companies", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "import failed" in response.content.decode()


def test_check_connection_stores_each_outcome(admin_client, api_key, fake):
    ok = make_company(api_key, BAKERY)
    offline = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    unfinished = make_company(api_key, GARDEN_NOT_SET_UP, "Sunrise")
    response = admin_client.post(
        reverse("admin:dashboard_company_changelist"),
        {"action": "check_connections", "_selected_action": [ok.pk, offline.pk, unfinished.pk]},
        follow=True,
    )
    assert response.status_code == 200
    for company in (ok, offline, unfinished):
        company.refresh_from_db()
    assert ok.connection_status == ConnectionStatus.CONNECTED and ok.last_success_at
    assert offline.connection_status == ConnectionStatus.OFFLINE
    assert "QuickBooks is running" in offline.last_error and offline.last_error_request_id.startswith("req_")
    assert unfinished.connection_status == ConnectionStatus.SETUP_UNFINISHED
    assert all(e.last_checked_at for e in (ok, offline, unfinished))


def test_each_end_user_row_links_to_its_company_page(admin_client, company):
    body = admin_client.get(reverse("admin:dashboard_company_changelist")).content.decode()
    assert f'href="/end-users/{BAKERY}/customers/"' in body


def test_end_user_ids_are_validated(admin_client, api_key):
    form = {
        "name": "X",
        "api_key": api_key.pk,
        "is_active": "on",
        "checks-TOTAL_FORMS": "0",
        "checks-INITIAL_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:dashboard_company_add"), {**form, "conductor_id": "end_usr_../../x"})
    assert response.status_code == 200 and not Company.objects.exists()
    assert "Enter a Conductor end-user id" in response.content.decode()
    response = admin_client.post(reverse("admin:dashboard_company_add"), {**form, "conductor_id": "end_usr_good1"})
    assert response.status_code == 302 and Company.objects.get().conductor_id == "end_usr_good1"


def test_support_staff_cannot_manage_keys(client, support_user):
    support_user.is_staff = True
    support_user.save()
    client.force_login(support_user)
    assert client.get(reverse("admin:dashboard_apikey_changelist")).status_code == 403


def test_bookmarks_to_the_old_end_user_pages_land_on_the_company_pages(admin_client, company):
    response = admin_client.get(f"/admin/dashboard/enduser/{company.pk}/change/?_changelist_filters=x")
    assert response.status_code == 301
    assert response["Location"] == f"/admin/dashboard/company/{company.pk}/change/?_changelist_filters=x"
    assert admin_client.get(response["Location"]).status_code == 200


def test_the_company_list_keeps_to_short_columns(admin_client, api_key, fake):
    from dashboard import connections

    make_company(api_key)
    offline = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental Partners")
    connections.check_connection(offline)
    page = admin_client.get(reverse("admin:dashboard_company_changelist")).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers == ["name", "conductor_id", "is_active", "connection_in_short", "last_checked", "dashboard_link"]
    assert "Offline since Nov 20" in page and ">now</span>" in page and "css/admin" in page


@pytest.mark.parametrize("page", ["create_in_conductor"])
def test_our_own_admin_pages_have_admins_breadcrumbs(admin_client, api_key, page):
    html = admin_client.get(reverse(f"admin:dashboard_company_{page}")).content.decode()
    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', html, re.S).group(1)
    assert "Companies</a>" in crumbs and 'aria-current="page"' in crumbs


def test_a_key_conductor_refuses_is_not_saved(admin_client, fake):
    response = admin_client.post(
        reverse("admin:dashboard_apikey_add"),
        {"name": "typo", "secret_key": "sk_conductor_not_known_to_conductor_0000"},
    )
    assert response.status_code == 200 and not ApiKey.objects.exists()
    assert "Conductor refused this key" in response.content.decode()


def test_a_key_conductor_accepts_is_saved_verified(admin_client, fake):
    response = admin_client.post(reverse("admin:dashboard_apikey_add"), {"name": "prod", "secret_key": DEMO_SECRET_KEY})
    assert response.status_code == 302
    key = ApiKey.objects.get(name="prod")
    assert key.last_verification_ok is True and key.last_verified_at is not None


def test_the_same_key_cannot_be_added_twice_under_two_names(admin_client, api_key, fake):
    response = admin_client.post(
        reverse("admin:dashboard_apikey_add"), {"name": "again", "secret_key": DEMO_SECRET_KEY}
    )
    assert response.status_code == 200 and ApiKey.objects.count() == 1
    body = response.content.decode()
    assert f"already stored, as “{api_key.name}”" in body and DEMO_SECRET_KEY not in body


def test_a_key_that_cannot_be_verified_now_is_saved_with_a_warning(admin_client, fake):
    fake.faults.add(Fault(path="/end-users", error="internal"))
    response = admin_client.post(
        reverse("admin:dashboard_apikey_add"), {"name": "later", "secret_key": NEW_SECRET}, follow=True
    )
    key = ApiKey.objects.get(name="later")
    assert key.last_verification_ok is None
    assert "saved but not verified" in response.content.decode()


def test_a_refused_key_is_never_offered_for_a_company(admin_client, api_key, fake):
    refused = ApiKey(name="refused", last_verification_ok=False)
    refused.set_secret(NEW_SECRET)
    refused.save()
    company = make_company(api_key)
    for url in (
        reverse("admin:dashboard_company_create_in_conductor"),
        reverse("admin:dashboard_company_change", args=[company.pk]),
    ):
        body = admin_client.get(url).content.decode()
        assert f'value="{api_key.pk}"' in body and f'value="{refused.pk}"' not in body, url


def test_the_scope_form_picks_its_user_and_group_from_plain_selects(admin_client):
    """The asynchronous autocomplete took Enter, pressed before its list had filtered, as
    its first entry ("admin"): a native select picks what was typed."""
    User.objects.create_user("sam", password="pw")
    body = admin_client.get(reverse("admin:dashboard_companyscope_add")).content.decode()
    for name in ("user", "group"):
        select = re.search(rf'<select name="{name}"[^>]*>', body)
        assert select and "admin-autocomplete" not in select.group(0), name
    assert re.search(r'<option value="\d+">sam</option>', body)
