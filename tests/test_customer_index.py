"""The local customer index: a full read, incremental reads, deletions, renames, a read
that stops and resumes, one syncer per company, people first; and what a search finds."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import httpx
import pytest
from django.utils import timezone

from dashboard.caching import company_limit
from dashboard.conductor import client as conductor_client
from dashboard.customer_index import search, sync
from dashboard.customer_index.models import CompanySync, IndexedCustomer
from dashboard.search_criteria import Status
from fake_conductor.faults import Fault
from tests.conftest import BAKERY, clock_moved_on, upstream_requests

pytestmark = pytest.mark.django_db(transaction=True)


def fake_customers(fake):
    return fake.state.companies[BAKERY].customers


def control(fake, method, path, **body):
    response = httpx.request(
        method, fake.url.removesuffix("/v1") + "/_fake/" + path, json={"end_user_id": BAKERY, **body}
    )
    assert response.status_code == 200, response.text
    return response.json()


def indexed(company):
    return dict(IndexedCustomer.objects.filter(company=company).values_list("customer_id", "full_name"))


@pytest.fixture
def synced(company, fake):
    report = sync.sync_company(company)
    assert report.ok and report.kind == "full"
    fake.reset()
    return company


def test_a_full_read_indexes_every_customer_and_job(company, fake):
    report = sync.sync_company(company)
    assert report.ok and report.kind == "full"
    assert indexed(company) == {c["id"]: c["fullName"] for c in fake_customers(fake)}
    state = CompanySync.objects.get(company=company)
    assert state.ready and state.customers == len(fake_customers(fake)) and state.in_step_at
    assert state.full_read_started_at is None and state.last_error == ""


def test_an_incremental_read_with_nothing_changed_is_one_page_and_the_deletions(synced, fake):
    report = sync.sync_company(synced)
    assert report.ok and report.kind == "incremental"
    assert fake.stats["GET /quickbooks-desktop/customers"] == 1
    assert fake.stats["GET /quickbooks-desktop/deleted-list-objects"] == 1


def test_changes_renames_and_deletions_reach_the_index(synced, fake):
    customers = fake_customers(fake)
    top = next(
        c
        for c in customers
        if c["sublevel"] == 0 and any(j["parent"] and j["parent"]["id"] == c["id"] for j in customers)
    )
    leaf = next(
        c for c in reversed(customers) if not any(j["parent"] and j["parent"]["id"] == c["id"] for j in customers)
    )
    control(fake, "POST", f"customers/{customers[20]['id']}", changes={"phone": "+1-555-301-4525"})
    control(fake, "POST", f"customers/{top['id']}", changes={"name": "Renamed Holdings"})
    control(fake, "DELETE", f"customers/{leaf['id']}")
    report = sync.sync_company(synced)
    assert report.ok and report.kind == "incremental"
    assert indexed(synced) == {c["id"]: c["fullName"] for c in fake_customers(fake)}
    assert IndexedCustomer.objects.get(customer_id=customers[20]["id"]).phone == "+1-555-301-4525"


def test_a_stopped_full_read_resumes_after_its_last_name(company, fake):
    original = sync.PAGE
    sync.PAGE = 20  # several pages
    try:
        calls = {"n": 0}
        real = conductor_client.list_customers

        def flaky(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise conductor_client.errors.IntegrationConnectionError("QuickBooks went away")
            return real(*args, **kwargs)

        conductor_client.list_customers = flaky
        first = sync.sync_company(company)
        assert not first.ok
        state = CompanySync.objects.get(company=company)
        assert state.full_read_started_at and state.full_read_after and not state.ready
        assert (
            IndexedCustomer.objects.filter(company=company).count() == 39
        )  # two pages kept (the second starts at the first's last name), still searchable
        conductor_client.list_customers = real
        second = sync.sync_company(company)
        assert second.ok and second.kind == "full"
        assert indexed(company) == {c["id"]: c["fullName"] for c in fake_customers(fake)}
    finally:
        sync.PAGE = original
        conductor_client.list_customers = real


def test_a_customer_renamed_during_a_full_read_is_not_lost(company, fake):
    real = conductor_client.list_customers
    customers = fake_customers(fake)
    late = sorted(customers, key=lambda c: c["fullName"].casefold())[-1]  # read last
    renamed = {"done": False}

    def rename_after_first_page(*args, **kwargs):
        page = real(*args, **kwargs)
        if not renamed["done"]:
            renamed["done"] = True
            control(fake, "POST", f"customers/{late['id']}", changes={"name": "AAA Moved To The Front"})
        return page

    conductor_client.list_customers = rename_after_first_page
    try:
        sync.PAGE, original = 30, sync.PAGE
        assert sync.sync_company(company).ok
    finally:
        sync.PAGE = original
        conductor_client.list_customers = real
    assert indexed(company)[late["id"]].startswith("AAA Moved To The Front")


def test_deletions_older_than_ninety_days_need_a_full_read(synced, fake):
    CompanySync.objects.filter(company=synced).update(deletions_checked_at=timezone.now() - timedelta(days=91))
    assert sync.sync_company(synced).kind == "full"


def test_one_syncer_per_company(synced, fake):
    state = CompanySync.objects.get(company=synced)
    CompanySync.objects.filter(pk=state.pk).update(
        lease_owner="other-host:1", lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert sync.sync_company(synced).kind == "skipped"
    assert fake.stats == {}


def test_a_second_syncer_during_a_sync_is_turned_away_and_nothing_is_lost(company, fake, monkeypatch):
    real = conductor_client.list_customers
    second = []

    def first_page_then_a_rival(*args, **kwargs):
        if not second:
            # Another worker (another owner) tries the same company while this one reads.
            second.append(sync.sync_company(company, owner="other-host:2"))
        return real(*args, **kwargs)

    monkeypatch.setattr(conductor_client, "list_customers", first_page_then_a_rival)
    first = sync.sync_company(company, owner="this-host:1")
    assert first.ok and first.kind == "full"
    assert second[0].kind == "skipped" and second[0].pages == 0
    assert upstream_requests(fake) == first.pages  # nothing read twice
    assert indexed(company) == {c["id"]: c["fullName"] for c in fake_customers(fake)}


def test_the_sync_waits_while_peoples_pages_ask(synced, fake, monkeypatch):
    events: list[str] = []

    def pages_waiting(conductor_id):  # a person's pages ask until the sync has looked three times
        looked = sum(1 for e in events if e == "looked")
        events.append("looked")
        return looked < 3

    def counted(*args, **kwargs):
        events.append("asked QuickBooks")
        return real(*args, **kwargs)

    real = conductor_client.list_customers
    monkeypatch.setattr(sync, "pages_waiting", pages_waiting)
    monkeypatch.setattr(conductor_client, "list_customers", counted)
    report = sync.sync_company(synced)
    assert report.ok
    # held back while the person's pages asked, then on its way
    assert events[:4] == ["looked"] * 4 and "asked QuickBooks" in events


def test_a_page_asking_is_seen_by_every_process_for_a_moment(settings):
    """How the sync knows people are waiting: a mark in the shared cache, which a page
    renews with every call and which fades a moment after the last."""
    assert not company_limit.pages_waiting(BAKERY)
    company_limit.signal_pages_busy(BAKERY)
    assert company_limit.pages_waiting(BAKERY)
    assert not company_limit.pages_waiting("end_usr_other")
    with clock_moved_on(company_limit.PAGES_BUSY_SECONDS + 0.5):
        assert not company_limit.pages_waiting(BAKERY)


# --- finding -------------------------------------------------------------------------


def names(found):
    return [h.full_name for h in found.hits]


def test_a_phone_number_in_any_format_finds_its_customer(synced, fake):
    customer = fake_customers(fake)[20]
    control(fake, "POST", f"customers/{customer['id']}", changes={"phone": "+1-555-301-4525"})
    sync.sync_company(synced)
    for typed in ("555-301-4525", "(555) 301-4525", "5553014525", "301-4525", "+1 555 301 4525"):
        found = search.search([synced], typed, status=Status.ALL)
        assert customer["fullName"] in names(found), typed


def test_fragments_of_any_field_find_the_customer(synced, fake):
    customer = next(c for c in fake_customers(fake) if c["email"] and c["accountNumber"] and c["billingAddress"])
    local = customer["email"].split("@")[0]
    for typed in (
        customer["name"][:5],
        local,
        customer["email"].upper(),
        customer["accountNumber"],
        customer["billingAddress"]["city"],
    ):
        assert customer["fullName"] in names(search.search([synced], typed, status=Status.ALL)), typed


def test_a_small_typo_still_finds_the_name_and_ranks_below_exact_matches(synced, fake):
    control(fake, "POST", "customers", fields={"name": "Garcia, Maya", "phone": "+1-555-301-4525"})
    control(fake, "POST", "customers", fields={"name": "Garcia Landscaping"})
    sync.sync_company(synced)
    garcia = [c for c in fake_customers(fake) if "Garcia" in c["fullName"]]
    found = search.search([synced], "Garica", status=Status.ALL)
    assert {c["fullName"] for c in garcia} <= set(names(found))
    assert all(h.typo for h in found.hits if "Garcia" in h.full_name)
    exact = search.search([synced], "garcia", status=Status.ALL)
    assert exact.hits and not exact.hits[0].typo and "Garcia" in exact.hits[0].full_name


def test_exact_and_prefix_matches_rank_first(synced, fake):
    top = next(c for c in fake_customers(fake) if c["sublevel"] == 0 and c["name"].startswith("Acme"))
    found = search.search([synced], top["name"], status=Status.ALL)
    assert found.hits[0].full_name == top["fullName"]


def test_status_filter_keeps_its_meaning(synced, fake):
    inactive = next(c for c in fake_customers(fake) if not c["isActive"])
    assert inactive["fullName"] not in names(search.search([synced], inactive["name"], status=Status.ACTIVE))
    assert inactive["fullName"] in names(search.search([synced], inactive["name"], status=Status.ALL))


def test_only_the_companies_given_are_searched(synced, fake, api_key):
    from tests.conftest import make_company

    other = make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders LLC")
    sync.sync_company(other)
    name = fake.state.companies["end_usr_demoBuilders02"].customers[0]["name"]
    assert all(h.company == synced for h in search.search([synced], name, status=Status.ALL).hits)
    assert any(h.company == other for h in search.search([synced, other], name, status=Status.ALL).hits)


# --- the pages use it ------------------------------------------------------------------


def page_text(response):
    import re

    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_company_search_answers_from_the_index_without_a_call(support_client, synced, fake):
    customer = fake_customers(fake)[20]
    control(fake, "POST", f"customers/{customer['id']}", changes={"phone": "+1-555-301-4525"})
    sync.sync_company(synced)
    fake.reset()
    response = support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "(555) 301-4525", "status": "all"})
    assert response.status_code == 200 and fake.stats == {}
    body = response.content.decode()
    assert f"/customers/{customer['id']}/" in body and "in step with QuickBooks" in page_text(response)


def test_a_company_without_a_ready_index_is_searched_live_and_says_so(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/customers/", {"q": "acme", "status": "all"})
    assert response.status_code == 200 and fake.stats["GET /quickbooks-desktop/customers"] >= 1
    assert "local copy of this company is not ready yet" in page_text(response)


def test_search_across_companies_uses_each_index_and_keeps_to_scopes(
    support_client, support_user, synced, fake, api_key
):
    from dashboard.models import CompanyScope
    from tests.conftest import make_company

    builders = make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders LLC")
    sync.sync_company(builders)
    inactive = next(c for c in fake_customers(fake) if not c["isActive"])
    control(fake, "POST", "customers", fields={"name": inactive["name"] + " Two"})  # two matches: a list
    sync.sync_company(synced)
    fake.reset()
    response = support_client.get("/", {"q": inactive["name"]})
    assert response.status_code == 200 and fake.stats == {}
    text = page_text(response)
    assert inactive["name"] in text and "Inactive" in text and "From the local copies" in text
    CompanyScope.objects.create(user=support_user).companies.add(builders)
    scoped = page_text(support_client.get("/", {"q": inactive["name"]}))
    assert "Fulton Street Bakery Group" not in scoped


def test_the_jump_box_finds_a_full_name_in_the_index(support_client, synced, fake):
    job = next(c for c in fake_customers(fake) if c["sublevel"] == 2)
    fake.reset()
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": job["fullName"].lower()})
    assert response.status_code == 302 and response["Location"].endswith(f"/customers/{job['id']}/")
    assert fake.stats == {}


def test_the_sync_customers_command_reports_and_fails_loudly(synced, fake):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("sync_customers", stdout=out)
    # An idle company costs four requests: customers and transactions changed, and deleted.
    assert "incremental, 4 requests" in out.getvalue()
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    with pytest.raises(CommandError):
        call_command("sync_customers", "--full", stdout=StringIO(), stderr=StringIO())
    assert CompanySync.objects.get(company=synced).last_error


def test_the_worker_runs_the_scheduled_sync(company, fake):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from dashboard.customer_index.tasks import sync_due_companies

    call_command("sync_worker", "--batch")
    assert CompanySync.objects.get(company=company).ready
    assert DBTaskResult.objects.filter(task_path=sync_due_companies.module_path, status="READY").exists()  # next run


def test_a_callers_phone_number_on_the_home_page_lands_on_the_customer(support_client, synced, fake):
    customer = fake_customers(fake)[20]
    control(fake, "POST", f"customers/{customer['id']}", changes={"phone": "+1-555-301-4525"})
    sync.sync_company(synced)
    fake.reset()
    response = support_client.get("/", {"q": "(555) 301-4525"})
    assert response.status_code == 302 and response["Location"] == f"/end-users/{BAKERY}/customers/{customer['id']}/"
    assert fake.stats == {}


def test_admin_shows_the_sync_state_and_asks_for_a_sync(admin_client, synced, fake):
    from django_tasks_db.models import DBTaskResult

    from dashboard.customer_index.tasks import sync_company_task

    page = page_text(admin_client.get(f"/admin/dashboard/company/{synced.pk}/change/"))
    assert "In step" in page and f"{len(fake_customers(fake)):,} customers" in page
    response = admin_client.post(
        "/admin/dashboard/company/", {"action": "sync_now", "_selected_action": [synced.pk]}, follow=True
    )
    assert response.status_code == 200
    assert DBTaskResult.objects.filter(task_path=sync_company_task.module_path, status="READY").exists()


def test_result_rows_show_money_as_quickbooks_sent_it(synced, fake):
    from dashboard.presentation import result_row

    customer = next(c for c in fake_customers(fake) if c["balance"] not in ("0.00", None))
    hit = next(h for h in search.search([synced], customer["name"], status=Status.ALL).hits if h.id == customer["id"])
    assert result_row(hit).balance.text == f"{abs(Decimal(customer['balance'])):,.2f}"


def test_the_jump_box_lists_a_partial_names_matches_or_goes_to_the_only_one(support_client, synced, fake):
    control(fake, "POST", "customers", fields={"name": "Evergreen North"})
    control(fake, "POST", "customers", fields={"name": "Evergreen South"})
    control(fake, "POST", "customers", fields={"name": "Zanzibar Imports"})
    sync.sync_company(synced)
    several = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "Evergreen"})
    assert several.status_code == 302 and "q=Evergreen" in several["Location"]
    assert "Evergreen North" in page_text(support_client.get(several["Location"]))
    only = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "Zanzib"})
    zanzibar = next(c for c in fake_customers(fake) if c["name"] == "Zanzibar Imports")
    assert only.status_code == 302 and only["Location"].endswith(f"/customers/{zanzibar['id']}/")


def _listed_ids(response):
    import re

    # A result's link also names the list it is in (?in=…&n=…: previous and next there).
    return re.findall(
        rf'href="/end-users/{BAKERY}/customers/([0-9A-F]+-[0-9]+)/(?:\?[^"]*)?"', response.content.decode()
    )


@pytest.mark.parametrize("q", ["", "a"])
def test_the_company_list_orders_by_balance_largest_first_from_the_query_string(support_client, synced, fake, q):
    response = support_client.get(f"/end-users/{BAKERY}/customers/", {"q": q, "status": "all", "order": "balance"})
    assert response.status_code == 200 and fake.stats == {}
    balances = {c["id"]: Decimal(c["totalBalance"] or "-Infinity") for c in fake_customers(fake)}
    shown = [balances[i] for i in _listed_ids(response)]
    assert len(shown) > 10 and shown == sorted(shown, reverse=True)
    # by name, the default, is another order; the next page keeps the order asked for
    by_name = support_client.get(f"/end-users/{BAKERY}/customers/", {"q": q, "status": "all"})
    assert _listed_ids(by_name) != _listed_ids(response)
    html = response.content.decode()
    assert 'rel="next"' in html and "order=balance" in html.split('rel="next"')[0].rsplit("href=", 1)[-1]


def test_a_live_search_asked_for_balance_order_says_it_lists_by_name(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/customers/", {"status": "all", "order": "balance"})
    assert response.status_code == 200
    assert "Listed by name: QuickBooks itself lists customers by name only" in page_text(response)


def test_sync_customers_for_one_company_fails_when_another_syncer_holds_it(synced, fake):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from dashboard.customer_index.sync import _Lease

    assert _Lease(CompanySync.objects.get(company=synced), "another-worker").take()
    with pytest.raises(CommandError, match="skipped, another worker is syncing it"):
        call_command("sync_customers", "--company", synced.conductor_id, stdout=StringIO())


def test_a_stopped_sync_lets_go_of_its_company_at_once(synced, fake, monkeypatch):
    import signal

    from dashboard.customer_index import sync
    from dashboard.management.commands.sync_customers import stop_gracefully

    def stopped_midway(self):
        stop_gracefully(signal.SIGTERM, None)  # what SIGTERM does during the read

    monkeypatch.setattr(sync._Syncer, "incremental", stopped_midway)
    with pytest.raises(SystemExit) as stopped:
        sync.sync_company(synced)
    assert stopped.value.code == 128 + signal.SIGTERM
    state = CompanySync.objects.get(company=synced)
    assert state.lease_owner == "" and state.lease_until is None  # another worker may sync it now


def test_a_sync_that_waits_for_people_between_pages_keeps_its_place(synced, fake, monkeypatch):
    import fake_conductor.server

    # Cursors die at once (they live ten seconds after their last page; the sync may wait
    # for people far longer between two pages), and pages are small: a walk of many pages.
    monkeypatch.setattr(fake_conductor.server, "CURSOR_TTL_SECONDS", -1.0)
    monkeypatch.setattr(sync, "PAGE", 4)
    changed = [c for c in fake_customers(fake) if c["sublevel"] == 0][:11]
    for n, customer in enumerate(changed):
        control(fake, "POST", f"customers/{customer['id']}", changes={"phone": f"+1-555-301-{4500 + n}"})
    asks = iter([False, False, True, True, False] + [False] * 1000)  # people ask after the first page
    monkeypatch.setattr(sync, "pages_waiting", lambda conductor_id: next(asks))
    report = sync.sync_company(synced)
    assert report.ok and report.kind == "incremental", report.error
    phones = dict(IndexedCustomer.objects.filter(company=synced).values_list("customer_id", "phone"))
    assert [phones[c["id"]] for c in changed] == [f"+1-555-301-{4500 + n}" for n in range(len(changed))]
    assert indexed(synced) == {c["id"]: c["fullName"] for c in fake_customers(fake)}
    assert fake.stats["GET /quickbooks-desktop/customers"] >= 3  # several pages, by name


def test_a_row_is_written_whole_every_field_but_its_identity_and_its_check(example_customer):
    from django.utils import timezone

    from dashboard.conductor.records import parse_customer
    from dashboard.customer_index.models import IndexedCustomer
    from dashboard.customer_index.rows import STORED_FIELDS, index_fields

    written = index_fields(parse_customer(example_customer), timezone.now())
    every_field = {f.name for f in IndexedCustomer._meta.concrete_fields if not f.primary_key}
    # When its transactions were last checked live is written by the live check alone.
    assert set(written) == set(STORED_FIELDS) == every_field - {"company", "customer_id", "checked_at"}
