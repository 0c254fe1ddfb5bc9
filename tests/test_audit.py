from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dashboard import audit
from dashboard.models import AuditEntry
from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, clock_moved_on

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
# The trail names a customer by id and by the name a reader knows it by.
EXAMPLE_TARGET = f"{EXAMPLE_ID} (ABC Corporation:Website Redesign Project)"


def entries():
    return list(AuditEntry.objects.order_by("at", "pk").values_list("action", "target", "outcome", "company_name"))


def test_a_customer_view_is_recorded_with_its_request_id(support_client, support_user, company, fake):
    support_client.get(URL)
    [entry] = AuditEntry.objects.all()
    assert (entry.user, entry.username, entry.company, entry.action, entry.target, entry.outcome) == (
        support_user,
        "sam",
        company,
        "view",
        EXAMPLE_TARGET,
        "ok",
    )
    assert entry.conductor_request_id.startswith("req_fake")
    assert timezone.now() - entry.at < timedelta(seconds=5)


def test_failures_are_recorded_with_their_outcome(support_client, company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="qbd_offline"))
    support_client.get(URL)
    [entry] = AuditEntry.objects.all()
    assert entry.outcome == "failed: QuickBooks is unreachable" and entry.conductor_request_id.startswith("req_")
    assert entry.target == EXAMPLE_ID  # the name is unknown: not read, and not in an index


def test_a_failed_view_names_the_customer_from_the_index(support_client, company, fake):
    from dashboard.customer_index import sync

    assert sync.sync_company(company).ok
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="qbd_offline"))
    support_client.get(URL)
    assert AuditEntry.objects.get().target == EXAMPLE_TARGET


def test_refreshes_searches_and_jumps_are_recorded(support_client, company, fake):
    support_client.get(URL, {"refresh": "1"})
    support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "acme", "match": "starts", "status": "all"})
    support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "No Such Customer"})
    support_client.get("/", {"q": "corp"})
    assert entries() == [
        ("refresh", EXAMPLE_TARGET, "ok", "Fulton Street Bakery Group"),
        ("search", "name starts 'acme', status all", "ok", "Fulton Street Bakery Group"),
        ("jump", "No Such Customer", "no match", "Fulton Street Bakery Group"),
        ("search_all", "corp", "found 1 in 1 company", ""),
    ]


def test_a_stale_copy_is_recorded_as_stale(support_client, company, fake, settings):
    settings.CUSTOMER_CACHE_TTL = 0
    settings.CUSTOMER_CACHE_TTL = 1
    support_client.get(URL)
    fake.faults.add(Fault(error="qbd_offline"))
    with clock_moved_on(60):
        support_client.get(URL)
    assert [e[2] for e in entries()] == ["ok", "stale"]


@pytest.fixture
def admin_client(db):
    client = Client()  # its own session: support_client is signed in as someone else
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_admin_shows_the_trail_read_only_and_filterable(admin_client, support_client, company, fake):
    support_client.get(URL)
    entry = AuditEntry.objects.get()
    changelist = reverse("admin:dashboard_auditentry_changelist")
    body = admin_client.get(changelist).content.decode()
    assert EXAMPLE_ID in body and "sam" in body
    assert "ABC Corporation:Website Redesign Project" in body and "css/admin" in body
    for params in (
        {"user__id__exact": entry.user_id},
        {"company__id__exact": company.pk},
        {"at__gte": (timezone.now() - timedelta(days=1)).isoformat()},
    ):
        response = admin_client.get(changelist, params)
        assert response.status_code == 200 and EXAMPLE_ID in response.content.decode(), params
    assert admin_client.get(reverse("admin:dashboard_auditentry_add")).status_code == 403
    assert admin_client.get(reverse("admin:dashboard_auditentry_delete", args=[entry.pk])).status_code == 403
    change = admin_client.post(reverse("admin:dashboard_auditentry_change", args=[entry.pk]), {"target": "edited"})
    assert change.status_code == 403
    assert AuditEntry.objects.get().target == EXAMPLE_TARGET
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert AuditEntry.objects.count() == 1 and response.status_code in (200, 302)


def test_prune_deletes_only_entries_older_than_the_retention(support_client, company, fake, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    support_client.get(URL)
    support_client.get(f"/end-users/{BAKERY}/customers/")
    old = AuditEntry.objects.order_by("pk").first()
    AuditEntry.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("prune_audit", stdout=out)
    assert "Deleted 1 audit entries older than 30 days" in out.getvalue()
    assert AuditEntry.objects.count() == 1


# --- refusals ----------------------------------------------------------------------------


def denials():
    return list(
        AuditEntry.objects.filter(action="denied").order_by("at", "pk").values_list("username", "target", "outcome")
    )


def test_refused_requests_are_recorded_with_who_what_and_why(support_client, company, fake):
    outsider = Client()
    outsider.force_login(User.objects.create_user("eve"))
    assert outsider.get(URL).status_code == 403
    assert support_client.get("/end-users/end_usr_elsewhere1/customers/").status_code == 404
    assert support_client.get(f"/end-users/{BAKERY}/customers/not-an-id/").status_code == 404
    assert denials() == [
        ("eve", URL, "no permission"),
        ("sam", "/end-users/end_usr_elsewhere1/customers/", "company unknown or out of scope"),
        ("sam", f"/end-users/{BAKERY}/customers/not-an-id/", "malformed customer id"),
    ]
    assert AuditEntry.objects.filter(action="denied").first().client_address == "127.0.0.1"
    assert fake.stats == {}


def test_a_flood_of_refusals_from_one_address_records_a_bounded_number(support_client, company):
    for i in range(50):
        support_client.get(f"/end-users/end_usr_probe{i}/customers/")
    recorded = denials()
    assert len(recorded) == audit.DENIALS_PER_WINDOW + 1
    assert recorded[-1][2] == f"over {audit.DENIALS_PER_WINDOW} refusals a minute: the rest not recorded"
