"""An upstream that echoes the secret key where no key belongs (a buggy proxy, a hostile
server): in the Conductor-Request-Id header, in an error's requestId, in a record's field.
Nothing of the key reaches a page, a log line, the database or the cache."""

import logging
import re

import httpx
import pytest
from django.urls import reverse

from dashboard.conductor import client
from dashboard.identifiers import SCRUB_RUN
from dashboard.models import AuditEntry, Company, ConnectionCheck
from fake_conductor.data import DEMO_SECRET_KEY
from tests.conftest import BAKERY, DENTAL_OFFLINE, EXAMPLE_ID, cached_raw_values, make_company

TAIL = re.sub(r"[^A-Za-z0-9]", "", DEMO_SECRET_KEY.removeprefix("sk_conductor_"))
ECHOES = {
    "the key": DEMO_SECRET_KEY,
    "a request id made of the key": f"req_{TAIL}",
    "the bearer header": f"Bearer {DEMO_SECRET_KEY}",
}


@pytest.fixture(params=list(ECHOES), ids=list(ECHOES))
def echo(request, fake, monkeypatch):
    """A proxy in front of the fake that puts the echo in every answer's request-id header,
    in every error's requestId and in every customer's note."""
    echoed = ECHOES[request.param]
    upstream = httpx.Client()

    def forward(outgoing: httpx.Request) -> httpx.Response:
        answer = upstream.send(
            httpx.Request(outgoing.method, outgoing.url, headers=outgoing.headers, content=outgoing.content)
        )
        body = answer.content.replace(b'"requestId": "req_', b'"requestId": "' + echoed.encode() + b'", "x": "')
        body = body.replace(b'"note": "', b'"note": "' + echoed.encode() + b" ")
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-encoding")}
        headers["Conductor-Request-Id"] = echoed
        return httpx.Response(answer.status_code, headers=headers, content=body)

    http = client.build_http_client(httpx.MockTransport(forward))
    monkeypatch.setattr(client, "_http", lambda: http)
    yield echoed
    upstream.close()


def holds_the_key(text: str) -> bool:
    """Whether `text` holds a run of the key's characters past its public prefix that would
    give part of it away (with or without the key's underscores)."""
    folded = text.casefold()
    return any(
        secret[i : i + SCRUB_RUN].casefold() in folded
        for secret in (DEMO_SECRET_KEY.removeprefix("sk_conductor_"), TAIL)
        for i in range(len(secret) - SCRUB_RUN + 1)
    )


def test_an_echoed_key_reaches_no_page_log_row_or_cache_entry(echo, admin_client, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    bakery = make_company(api_key, BAKERY)
    offline = make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    pages = [
        admin_client.get(f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"),
        admin_client.get(f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/account/"),
        admin_client.get(f"/end-users/{DENTAL_OFFLINE}/customers/", {"q": "smith"}),
        admin_client.get(f"/end-users/{DENTAL_OFFLINE}/customers/80000001-1234567890/"),
        admin_client.post(
            reverse("admin:dashboard_company_changelist"),
            {"action": "check_connections", "_selected_action": [bakery.pk, offline.pk]},
            follow=True,
        ),
        admin_client.post(
            reverse("admin:dashboard_apikey_changelist"),
            {"action": "verify_keys", "_selected_action": [api_key.pk]},
            follow=True,
        ),
        admin_client.get(reverse("admin:dashboard_company_change", args=[offline.pk])),
        admin_client.get(reverse("admin:dashboard_auditentry_changelist")),
        admin_client.get("/"),
    ]
    offline.refresh_from_db()
    assert offline.last_error  # the offline company's failure was seen and stored
    assert pages[0].status_code == 200 and "[hidden]" in pages[0].content.decode()  # the echo in the note
    for page in pages:
        assert not holds_the_key(page.content.decode()), page.request["PATH_INFO"]
    assert not holds_the_key(caplog.text)
    rows = [
        *AuditEntry.objects.values_list("target", "outcome", "conductor_request_id"),
        *Company.objects.values_list("last_error", "last_error_request_id"),
        *ConnectionCheck.objects.values_list("message", "conductor_request_id"),
    ]
    assert rows and not holds_the_key(repr(rows))
    stored = b"".join(cached_raw_values()).decode("latin-1")
    assert stored and not holds_the_key(stored)


def test_a_request_id_is_taken_only_when_it_looks_like_one(echo, api_key):
    with pytest.raises(Exception) as raised:
        client.check_connection(DEMO_SECRET_KEY, DENTAL_OFFLINE)
    assert raised.value.request_id is None  # type: ignore[attr-defined]


def test_stored_request_ids_that_do_not_look_like_one_are_forgotten(api_key):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("dashboard.migrations.0010_forget_malformed_request_ids")
    company = make_company(api_key, BAKERY)
    Company.objects.filter(pk=company.pk).update(last_error_request_id=DEMO_SECRET_KEY)
    kept = AuditEntry.objects.create(username="sam", action="view", conductor_request_id="req_1234567abcdefg")
    leaked = AuditEntry.objects.create(username="sam", action="view", conductor_request_id=f"Bearer {DEMO_SECRET_KEY}")
    migration.forget_malformed_request_ids(apps, None)
    company.refresh_from_db(), kept.refresh_from_db(), leaked.refresh_from_db()
    assert (company.last_error_request_id, kept.conductor_request_id, leaked.conductor_request_id) == (
        "",
        "req_1234567abcdefg",
        "",
    )
