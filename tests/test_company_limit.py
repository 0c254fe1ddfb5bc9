"""The per-company limit adapts to the upstream (it rises on a parallel fake and stays
near one on a serial one, as the fake's max_in_flight shows), admits pages in arrival
order only while they can be answered within their budget, refuses the rest at once,
lets hung calls go, and offers a saved copy instead of the busy page.

Behaviour only: how fast is measured in benchmarks/."""

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from dashboard.caching import company_limit
from dashboard.caching.company_limit import company_slot
from dashboard.caching.freshness import cache_key
from dashboard.conductor import errors
from dashboard.failures import CompanyBusyError
from dashboard.lookups import customer_page
from fake_conductor.server import Fault
from tests.conftest import BAKERY

IN_FLIGHT = f"max_in_flight {BAKERY}"


def customers(fake, count: int) -> list[str]:
    ids = [c["id"] for c in fake.state.companies[BAKERY].customers]
    assert len(ids) >= count
    return ids[:count]


def fetch_all(company, ids: list[str], stagger: float = 0.0) -> list[object]:
    """Open each customer from its own thread, all at once (or `stagger` apart); the
    record, or the failure raised."""

    def fetch(customer_id):
        try:
            return customer_page.fetch_customer(company, customer_id)
        except CompanyBusyError as exc:
            return exc

    with ThreadPoolExecutor(len(ids)) as pool:
        futures = []
        for customer_id in ids:
            futures.append(pool.submit(fetch, customer_id))
            if stagger:
                time.sleep(stagger)
        return [f.result() for f in futures]


def learned_limit(company_id: str = BAKERY) -> float:
    return company_limit._companies[company_id].limit


def test_the_limit_rises_on_a_parallel_upstream(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 20
    fake.latency = 0.2
    results = fetch_all(company, customers(fake, 40))
    assert not any(isinstance(r, Exception) for r in results)
    assert learned_limit() >= 16  # started at 4, doubled while latency stayed flat
    assert fake.stats[IN_FLIGHT] > settings.CONDUCTOR_LIMIT_START


def test_the_limit_stays_near_one_on_a_serial_upstream(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 30
    fake.latency, fake.serial = 0.2, True
    fetch_all(company, customers(fake, 10))  # learns: latency grows with every call at once
    assert learned_limit() <= 2
    fake.reset()
    cache.clear()  # the records, not what was learned
    results = fetch_all(company, customers(fake, 12)[2:])
    assert not any(isinstance(r, Exception) for r in results)
    assert fake.stats[IN_FLIGHT] <= 2  # QuickBooks never had more than two waiting on it


def test_pages_beyond_the_budget_are_refused_at_once_and_the_rest_answered_in_arrival_order(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 20
    fake.latency, fake.serial = 0.25, True
    fetch_all(company, customers(fake, 6))  # learn the serial upstream
    cache.clear()
    settings.CONDUCTOR_WAIT_BUDGET = 1.3  # room for about four answers, one after another
    order: list[str] = []
    fake.faults.clear()
    ids = customers(fake, 16)[6:]
    refused_after: list[float] = []

    def fetch(customer_id):
        arrived = time.monotonic()
        try:
            customer_page.fetch_customer(company, customer_id)
            order.append(customer_id)
        except CompanyBusyError:
            refused_after.append(time.monotonic() - arrived)

    with ThreadPoolExecutor(len(ids)) as pool:
        for customer_id in ids:
            pool.submit(fetch, customer_id)
            time.sleep(0.02)  # a clear arrival order
    assert 2 <= len(order) <= 6
    # first come, first answered (two calls may be in flight at once, and then QuickBooks
    # decides which of the two answers first)
    assert set(order) == set(ids[: len(order)])
    assert refused_after and max(refused_after) < 0.6  # told at once, not after the budget


def test_a_hung_call_stops_holding_its_place(company, fake, settings):
    settings.CONDUCTOR_LIMIT_START = 1
    settings.CONDUCTOR_WAIT_BUDGET = 10
    first, second = customers(fake, 2)
    customer_page.fetch_customer(company, first)  # calls usually take milliseconds
    cache.clear()
    fake.faults.add(Fault(customer_id=first, body="hang"))

    def open_the_hanging_one():
        with contextlib.suppress(errors.ConductorError):  # let go unanswered at the end
            customer_page.fetch_customer(company, first)

    hung = threading.Thread(target=open_the_hanging_one)
    hung.start()
    try:
        time.sleep(0.2)
        started = time.monotonic()
        customer_page.fetch_customer(company, second)  # waits only until the first counts as hung
        waited = time.monotonic() - started
    finally:
        fake.stop_hanging()
        hung.join(10)
    assert company_limit.HUNG_AT_LEAST - 0.5 <= waited < company_limit.HUNG_AT_LEAST + 1.0


def test_other_companies_have_limits_of_their_own(settings):
    settings.CONDUCTOR_LIMIT_START = 1
    settings.CONDUCTOR_WAIT_BUDGET = 0.2
    with company_slot(BAKERY):
        with pytest.raises(CompanyBusyError):
            with company_slot(BAKERY):
                pass
        with company_slot("end_usr_other"):
            pass
    with company_slot(BAKERY):  # the place comes back
        pass


def test_what_one_process_learned_is_where_the_next_one_starts(settings):
    settings.CONDUCTOR_LIMIT_START = 1
    settings.CONDUCTOR_WAIT_BUDGET = 5
    for _ in range(3):
        with company_slot(BAKERY):
            time.sleep(0.01)
    company_limit.forget()  # a new worker, or this one after a restart
    state = company_limit._company(BAKERY)
    assert state.latency is not None and state.latency < 0.5


def test_a_page_refused_for_want_of_time_shows_its_saved_copy(support_client, company, fake, settings):
    settings.CONDUCTOR_LIMIT_START = 1
    customer_id = customers(fake, 1)[0]
    url = f"/end-users/{BAKERY}/customers/{customer_id}/"
    assert support_client.get(url).status_code == 200
    key = cache_key("customer", BAKERY, customer_id)
    value, fetched_at = cache.get(key)
    cache.set(key, (value, fetched_at - 600), timeout=3600)  # expired, but within a day
    settings.CONDUCTOR_WAIT_BUDGET = 0.3
    with company_slot(BAKERY):  # the one place is taken for longer than the budget
        response = support_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "QuickBooks is busy with other lookups right now." in body and "saved copy" in body
