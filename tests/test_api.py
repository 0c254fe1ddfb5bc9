"""The lookup API for integrations: a key issued in admin (shown once, kept hashed), acting
as its user; zero, one or many matches by phone, email or name; limited and audited."""

import hashlib

import pytest
from django.contrib.auth.models import User
from django.test import Client

from dashboard import api_tokens
from dashboard.customer_index import sync
from dashboard.models import ApiToken, AuditAction, AuditEntry, CompanyScope
from tests.conftest import BAKERY, make_company
from tests.test_customer_index import control, fake_customers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def caller(company, fake):
    control(
        fake,
        "POST",
        "customers",
        fields={"name": "Api Caller Inc", "phone": "+1-555-301-4525", "email": "ap@api.example"},
    )
    assert sync.sync_company(company).ok
    fake.reset()
    return next(c for c in fake_customers(fake) if c["name"] == "Api Caller Inc")


@pytest.fixture
def key(support_user):
    return api_tokens.issue(support_user, "3CX phone system")[1]


def ask(key, **params):
    return Client().get("/api/v1/lookup", params, headers={"Authorization": f"Bearer {key}"})


def test_a_phone_number_finds_its_customer_with_balance_overdue_and_page(caller, key, fake):
    response = ask(key, phone="(555) 301-4525")
    assert response.status_code == 200
    answer = response.json()
    assert answer["count"] == 1 and answer["not_searched"] == []
    [match] = answer["matches"]
    assert match["full_name"] == "Api Caller Inc" and match["company_id"] == BAKERY
    assert match["url"] == f"http://testserver/end-users/{BAKERY}/customers/{caller['id']}/"
    assert match["overdue"] is not None and match["matched_by_spelling"] is False
    assert fake.stats == {}  # the copy answers, never QuickBooks
    entry = AuditEntry.objects.get(action=AuditAction.API)
    assert entry.username == "sam" and entry.target == "phone +1 555-301-4525" and entry.outcome == "1 match(es)"


def test_an_email_and_a_name_with_a_typo_find_it_too(caller, key):
    assert ask(key, email="AP@api.example").json()["count"] == 1
    by_name = ask(key, name="Api Callr").json()
    assert [m["full_name"] for m in by_name["matches"]] == ["Api Caller Inc"]
    assert by_name["matches"][0]["matched_by_spelling"] is True


def test_no_match_is_an_empty_answer_not_an_error(caller, key):
    assert ask(key, phone="555-999-0000").json() == {"count": 0, "matches": [], "not_searched": []}


@pytest.mark.parametrize(
    "params", [{}, {"phone": "555-301-4525", "name": "Api"}, {"phone": "anonymous"}, {"name": "a"}]
)
def test_a_bad_question_gets_a_400_that_says_why(caller, key, params):
    response = ask(key, **params)
    assert response.status_code == 400 and response.json()["detail"]


def test_the_key_is_shown_once_and_kept_only_as_its_hash(support_user):
    token, key = api_tokens.issue(support_user, "helpdesk")
    assert key.startswith("dsh_") and len(key) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in str(vars(stored))


@pytest.mark.parametrize("header", ["", "Bearer dsh_wrong", "Basic abc", "Bearer "])
def test_without_a_valid_key_the_answer_is_401(caller, header):
    response = Client().get(
        "/api/v1/lookup", {"phone": "555-301-4525"}, headers={"Authorization": header} if header else {}
    )
    assert response.status_code == 401


def test_a_revoked_key_or_an_inactive_user_is_refused(caller, support_user, key):
    api_tokens.revoke(ApiToken.objects.get())
    assert ask(key, phone="555-301-4525").status_code == 401
    other_key = api_tokens.issue(support_user, "again")[1]
    assert ask(other_key, phone="555-301-4525").status_code == 200
    User.objects.filter(pk=support_user.pk).update(is_active=False)
    assert ask(other_key, phone="555-301-4525").status_code == 401


def test_a_key_carries_its_users_permission_and_scopes(caller, support_user, key, api_key):
    CompanyScope.objects.create(user=support_user).companies.set([make_company(api_key, "end_usr_other", "Other")])
    assert ask(key, phone="555-301-4525").json()["count"] == 0
    outsider = User.objects.create_user("outsider")
    assert ask(api_tokens.issue(outsider, "no permission")[1], phone="555-301-4525").status_code == 403


def test_calls_are_limited_per_key(caller, key, settings):
    from ninja.throttling import SimpleRateThrottle

    from dashboard import api

    limited = [throttle for throttle in api.api.throttle if isinstance(throttle, SimpleRateThrottle)]
    for throttle in limited:
        throttle.rate, throttle.num_requests, throttle.duration = "2/m", 2, 60
    try:
        codes = [ask(key, phone="555-301-4525").status_code for _ in range(3)]
    finally:
        for throttle in limited:
            throttle.rate = settings.API_RATE
            throttle.num_requests, throttle.duration = throttle.parse_rate(settings.API_RATE)
    assert codes == [200, 200, 429]


def test_the_openapi_schema_is_published(key):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/lookup" in schema["paths"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_admin_issues_a_key_once_and_revokes_it(admin_client, support_user):
    response = admin_client.post(
        "/admin/dashboard/apitoken/add/", {"name": "Zendesk sidebar", "user": support_user.pk}, follow=True
    )
    body = response.content.decode()
    key = body.split("<code>", 1)[1].split("</code>", 1)[0]
    assert key.startswith("dsh_") and ask(key, phone="555-301-4525").status_code == 200
    token = ApiToken.objects.get(name="Zendesk sidebar")
    assert key not in admin_client.get(f"/admin/dashboard/apitoken/{token.pk}/change/").content.decode()
    admin_client.post("/admin/dashboard/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    assert ask(key, phone="555-301-4525").status_code == 401
