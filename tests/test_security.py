import dataclasses
import io
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dashboard.conductor import records
from dashboard.models import ApiKey
from fake_conductor.data import DEMO_SECRET_KEY
from tests.conftest import BAKERY, EXAMPLE_ID, cached_raw_values

ROOT = Path(__file__).resolve().parents[1]
URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
PAN = "4111111111111111"


# --- headers -----------------------------------------------------------------------------


def test_pages_carry_a_strict_content_security_policy(support_client, company, fake):
    response = support_client.get(URL)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "private, no-store"


def test_no_template_has_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        # {# #} comments end at the line's end; a multi-line one is printed on the page
        assert not re.search(r"\{#(?:(?!#\}).)*$", text, re.MULTILINE), template
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"<style", text), template
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template


def production_env(**extra):
    return {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": "k" * 20 + "production-secret-key-with-entropy-9f8e7d6c5b4a3",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "dashboard.example.com",
        **extra,
    }


def test_check_deploy_reports_nothing_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=production_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_redirects_to_https_but_not_the_health_check():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dashboard.settings'; django.setup();"
        "from django.test import Client; c=Client();"
        "print(c.get('/').status_code, c.get('/healthz').status_code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=production_env(ALLOWED_HOSTS="testserver"),
    )
    assert result.stdout.split() == ["301", "200"], result.stderr


# --- login throttling ----------------------------------------------------------------------


def test_repeated_failed_sign_ins_lock_the_account(db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    User.objects.create_user("sam", password="right-password-123")
    client = Client()
    for _ in range(3):
        client.post(reverse("login"), {"username": "sam", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sam", "password": "right-password-123"})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_good_password_before_the_limit_signs_in(db):
    User.objects.create_user("sam", password="right-password-123")
    client = Client()
    client.post(reverse("login"), {"username": "sam", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sam", "password": "right-password-123"})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_admins_see_the_lockouts(db, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        Client().post(reverse("login"), {"username": "mallory", "password": "guess"})
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    body = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "mallory" in body


# --- secrets at rest ---------------------------------------------------------------------


def test_the_database_holds_no_plaintext_key(api_key, company):
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    dump = out.getvalue()
    assert DEMO_SECRET_KEY not in dump and DEMO_SECRET_KEY[13:] not in dump
    assert api_key.encrypted_secret in dump


def test_rotation_re_encrypts_every_key(api_key, settings):
    old = settings.ENCRYPTION_KEYS[0]
    new = Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [new, old]
    before = ApiKey.objects.get().encrypted_secret
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    settings.ENCRYPTION_KEYS = [new]
    rotated = ApiKey.objects.get()
    assert rotated.encrypted_secret != before and rotated.get_secret() == DEMO_SECRET_KEY


def test_rotation_names_keys_it_cannot_read(api_key, settings):
    from django.core.management import CommandError

    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="demo"):
        call_command("rotate_encryption_keys", stdout=io.StringIO())


def test_admin_explains_an_unreadable_key_instead_of_crashing(api_key, settings):
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    response = admin.get(reverse("admin:dashboard_apikey_change", args=[api_key.pk]))
    assert response.status_code == 200 and "Cannot be decrypted" in response.content.decode()
    response = admin.post(
        reverse("admin:dashboard_apikey_changelist"),
        {"action": "verify_keys", "_selected_action": [api_key.pk]},
        follow=True,
    )
    assert response.status_code == 200 and "cannot be decrypted" in response.content.decode()


# --- card data ---------------------------------------------------------------------------


@pytest.mark.parametrize("number", [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111", "xxxx4111111111111111"])
def test_a_full_card_number_reaches_no_page_log_or_cache_entry(support_client, company, fake, caplog, number):
    customer = fake.state.companies[BAKERY].customers[1]
    fake.state.companies[BAKERY].customers[1] = {**customer, "creditCard": {**customer["creditCard"], "number": number}}
    try:
        caplog.set_level("DEBUG")
        body = support_client.get(URL).content.decode()
        support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "website", "status": "all"})
    finally:
        fake.state.companies[BAKERY].customers[1] = customer
    digits = re.sub(r"\D", "", number)
    assert "•••• 1111" in body
    for text in (body, caplog.text):
        assert digits[:12] not in re.sub(r"\D", "", text)
    values = cached_raw_values()
    assert values  # the customer and the search are cached
    stored = b"".join(values)
    assert digits[:12].encode() not in re.sub(rb"\D", b"", stored)
    assert number.encode() not in stored


# --- input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/end-users/{BAKERY}/customers/..%2F..%2Fend-users/",
        f"/end-users/{BAKERY}/customers/80000001-1%2F..%2F../",
        f"/end-users/{BAKERY}/customers/{'8' * 200}-1/",
        f"/end-users/{BAKERY}/customers/８0000001-1234567890/",
        f"/end-users/{BAKERY}/customers/80000001-123%00/",
        f"/end-users/{BAKERY}/customers/80000001-1234567890%20/",
        "/end-users/end_usr_../customers/80000001-1/",
        "/end-users/end%5Fusr%5Fx%2F/customers/",
    ],
)
def test_hostile_ids_never_reach_conductor(support_client, company, fake, path):
    response = support_client.get(path)
    assert response.status_code in (400, 404)
    assert fake.stats == {}


def test_query_strings_are_bounded(support_client, company, fake):
    flood = "&".join(f"p{i}=x" for i in range(500))
    assert support_client.get(f"/end-users/{BAKERY}/customers/?{flood}").status_code == 400
    assert support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "x" * 5000}).status_code == 400
    assert support_client.get("/", {"q": "y" * 5000}).status_code == 400
    assert support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "z" * 5000}).status_code in (302, 400)
    assert fake.stats == {}


def _walk(value, seen_types):
    """Every object reachable from a cached value: dataclass fields, sequences, mappings."""
    seen_types.add(type(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _walk(getattr(value, field.name), seen_types)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item, seen_types)
    elif isinstance(value, dict):
        yield value
        for key, item in value.items():
            yield from _walk(key, seen_types)
            yield from _walk(item, seen_types)
    else:
        yield value


def test_no_cached_value_holds_raw_conductor_data_or_a_card_number(support_client, company, fake):
    example = fake.state.companies[BAKERY].customers[1]
    assert example["id"] == EXAMPLE_ID
    example["creditCard"] = {**example["creditCard"], "number": PAN}
    support_client.get(URL)
    support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "a", "status": "all"})
    seen_types: set[type] = set()
    scanned = 0
    for raw in cached_raw_values():
        try:
            value = pickle.loads(raw)
        except pickle.UnpicklingError:
            continue  # Redis keeps plain integers (counters, locks) unpickled
        for item in _walk(value, seen_types):
            scanned += 1
            # parsed records only, never Conductor's JSON as it came (sessions are dicts too)
            if isinstance(item, dict):
                assert not {"objectType", "creditCard", "fullName"} & set(item), "raw Conductor data is cached"
            if isinstance(item, str):
                assert PAN[:12] not in re.sub(r"\D", "", item)
    assert records.Customer in seen_types and scanned > 100
