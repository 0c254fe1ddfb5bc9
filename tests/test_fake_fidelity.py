"""Where the fake once differed from the contract: bodies left on a keep-alive
connection, updatedAfter/updatedBefore compared as strings, unchecked name ranges and
link lifetimes, and seed data that did not hang together in time."""

import http.client
import json
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from fake_conductor.data import COMPANY_TIME_ZONE, DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, seed_companies
from fake_conductor.faults import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, wait_for

ZONE = ZoneInfo(COMPANY_TIME_ZONE)


@pytest.fixture
def connection(fake):
    host, port = fake.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    yield conn
    conn.close()


def send(conn, method, path, key=DEMO_SECRET_KEY, body=None):
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request(method, "/v1" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


@pytest.mark.parametrize(
    "refusal",
    [
        {"key": "sk_conductor_wrong_key_000000000000", "path": "/end-users"},  # a bad key
        {"key": DEMO_SECRET_KEY, "path": "/no-such-route"},  # an unknown route
        {"key": DEMO_SECRET_KEY, "path": "/end-users", "fault": True},  # an injected fault
    ],
)
def test_a_refused_post_leaves_nothing_on_the_keep_alive_connection(fake, connection, refusal):
    if refusal.get("fault"):
        fake.faults.add(Fault(path="/end-users", error="internal", times=1))
    status, _ = send(
        connection,
        "POST",
        refusal["path"],
        refusal["key"],
        {"companyName": "X" * 2000, "sourceId": "s", "email": "e@example.com"},
    )
    assert status >= 400
    # the next two requests on the same connection are read as they were sent
    for _ in range(2):
        status, raw = send(connection, "GET", "/end-users")
        assert status == 200 and json.loads(raw)["objectType"] == "list"


@pytest.fixture
def customers(fake):
    with httpx.Client(
        base_url=fake.url + "/",
        headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}", "Conductor-End-User-Id": BAKERY},
    ) as http:

        def call(**params):
            return http.get("quickbooks-desktop/customers", params={"status": "all", **params})

        yield call


def ids(response):
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["data"]}


def a_seeded_customer(fake) -> dict:
    return next(c for c in fake.state.companies[BAKERY].customers if c["id"] != EXAMPLE_ID and c["sublevel"] == 0)


def test_updated_bounds_compare_instants_whatever_the_offset(customers, fake):
    customer = a_seeded_customer(fake)
    updated = datetime.fromisoformat(customer["updatedAt"])
    # the same instant written in UTC, a second either side
    later = (updated + timedelta(seconds=1)).astimezone(ZoneInfo("UTC")).isoformat()
    earlier = (updated - timedelta(seconds=1)).astimezone(ZoneInfo("Asia/Tokyo")).isoformat()
    assert customer["id"] not in ids(customers(updatedAfter=later))
    assert customer["id"] in ids(customers(updatedAfter=earlier))
    assert customer["id"] in ids(customers(updatedBefore=later))
    assert customer["id"] not in ids(customers(updatedBefore=earlier))


def test_a_date_is_a_whole_day_in_the_companys_zone(customers, fake):
    customer = a_seeded_customer(fake)
    local_day = datetime.fromisoformat(customer["updatedAt"]).astimezone(ZONE).date()
    assert customer["id"] in ids(customers(updatedAfter=local_day.isoformat()))  # from the start of that day
    assert customer["id"] in ids(customers(updatedBefore=local_day.isoformat()))  # to the end of that day
    assert customer["id"] not in ids(customers(updatedAfter=(local_day + timedelta(days=1)).isoformat()))
    assert customer["id"] not in ids(customers(updatedBefore=(local_day - timedelta(days=1)).isoformat()))
    # a date and time without an offset is the company's own clock
    local = datetime.fromisoformat(customer["updatedAt"]).astimezone(ZONE).replace(tzinfo=None)
    assert customer["id"] in ids(customers(updatedAfter=local.isoformat(timespec="seconds")))
    assert customer["id"] not in ids(
        customers(updatedAfter=(local + timedelta(seconds=1)).isoformat(timespec="seconds"))
    )


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-13-01",
        "2026-06-10T25:00:00",
        "2026-06-10 10:00:00",
        "1733000000",
        "2026-12-01T23:19:02.952732+00:00",  # fractional seconds: not one of the three forms
        "2026-12-01T23:19:02Z",  # "Z": written +00:00
    ],
)
@pytest.mark.parametrize("name", ["updatedAfter", "updatedBefore"])
def test_anything_else_is_a_400(customers, name, value):
    response = customers(**{name: value})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_REQUEST_ERROR"


def test_a_name_range_that_ends_before_it_starts_is_a_400(customers):
    assert customers(nameFrom="M", nameTo="c").status_code == 400
    assert customers(nameFrom="c", nameTo="M").status_code == 200
    assert customers(nameFrom="abc", nameTo="ABC").status_code == 200  # case-insensitive, equal


@pytest.mark.parametrize(
    "minutes,ok",
    [
        (14, False),
        (15, True),
        (90.5, True),
        (60 * 24 * 7, True),
        (60 * 24 * 7 + 1, False),
        ("30", False),
        (True, False),
    ],
)
def test_a_setup_links_life_is_a_number_of_minutes_from_15_to_7_days(fake, connection, minutes, ok):
    status, raw = send(
        connection,
        "POST",
        "/auth-sessions",
        body={"publishableKey": DEMO_PUBLISHABLE_KEY, "endUserId": BAKERY, "linkExpiryMins": minutes},
    )
    assert (status == 200) is ok, raw


def test_a_setup_link_without_a_publishable_key_is_a_400(fake, connection):
    status, raw = send(connection, "POST", "/auth-sessions", body={"endUserId": BAKERY})
    assert status == 400, raw


def seeded_customers():
    for company in seed_companies():
        for customer in company.customers:
            yield company, customer


def test_seeded_records_never_predate_their_creation():
    contract_example_ids = {EXAMPLE_ID, "80000001-1234567800"}  # the contract's own example and its parent
    checked = 0
    for _, customer in seeded_customers():
        if customer["id"] in contract_example_ids:
            continue
        for record in [customer, *customer["additionalContacts"]]:
            created = datetime.fromisoformat(record["createdAt"])
            assert datetime.fromisoformat(record["updatedAt"]) >= created
            assert int(record["revisionNumber"]) >= int(created.timestamp())
            assert int(record["id"].split("-")[1]) >= int(created.timestamp())
            checked += 1
    assert checked > 100


def test_seeded_times_carry_the_offset_their_date_had():
    for company, customer in seeded_customers():
        for key in ("createdAt", "updatedAt"):
            stamp = datetime.fromisoformat(customer[key])
            if customer["id"] not in (EXAMPLE_ID, "80000001-1234567800"):
                assert stamp.utcoffset() == stamp.astimezone(ZoneInfo(company.time_zone)).utcoffset(), customer[key]


def test_no_active_job_sits_under_an_inactive_parent():
    for company in seed_companies():
        by_full_name = {c["fullName"]: c for c in company.customers}
        for customer in company.customers:
            parent = by_full_name.get(customer["fullName"].rpartition(":")[0])
            if customer["sublevel"] and parent and not parent["isActive"]:
                assert not customer["isActive"], customer["fullName"]


def test_each_company_file_has_one_currency_policy():
    for company in seed_companies():
        currencies = {json.dumps(c["currency"], sort_keys=True) for c in company.customers}
        assert len(currencies) <= 1, company.id


def test_a_serial_company_file_answers_one_request_at_a_time_in_arrival_order(fake):
    fake.latency, fake.serial = 2.0, True  # long enough for all four to arrive while the first is served
    answered: list[int] = []

    def ask(n):
        with httpx.Client(base_url=fake.url + "/", timeout=30) as http:
            http.get(
                "quickbooks-desktop/health-check",
                headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}", "Conductor-End-User-Id": BAKERY},
            )
        answered.append(n)

    threads = []
    # QuickBooks is busy with another request while the four arrive, so all four are in
    # line however slowly the machine starts them.
    with fake.company_file(BAKERY, "/quickbooks-desktop/health-check"):
        for n in range(4):
            threads.append(threading.Thread(target=ask, args=(n,)))
            threads[-1].start()
            # The next asks only once this one is in line for the company file: the order
            # is the test's, not the scheduler's.
            wait_for(lambda n=n: fake.in_line(BAKERY) >= n + 2)
        started = time.monotonic()
    for thread in threads:
        thread.join(30)
    assert time.monotonic() - started >= 4 * fake.latency - 0.25  # four answers, one after another
    assert answered == [0, 1, 2, 3]
    assert fake.stats[f"max_in_flight {BAKERY}"] == 4  # queued at Conductor, as QuickBooks does
    assert fake.stats[f"max_working {BAKERY}"] == 1  # worked on one at a time
    # in parallel mode the same four are worked on at once
    fake.reset()
    fake.serial, fake.latency = False, 2.0
    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert fake.stats[f"max_working {BAKERY}"] == 4
