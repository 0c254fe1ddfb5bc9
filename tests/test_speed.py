"""Caching with visible freshness, stale copies while offline, coalescing, and one hanging
company never slowing the others.

Behaviour only: how fast things are is measured in benchmarks/, not here."""

import contextlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from dashboard.caching.coalescing import lock_key
from dashboard.caching.freshness import cache_key, publish
from dashboard.conductor import errors
from dashboard.lookups import customer_page
from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, clock_moved_on, make_company, wait_for

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
RETRIEVES = f"GET customer {EXAMPLE_ID}"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- keys ------------------------------------------------------------------------------


def test_cache_keys_are_namespaced_and_safe_for_any_backend():
    plain = cache_key("customer", BAKERY, EXAMPLE_ID)
    hostile = cache_key("tree", BAKERY, "<script> with spaces:and:colons" * 20)
    for key in (plain, hostile):  # memcached's rule, the strictest: short, no spaces or controls
        assert len(key) <= 250 and re.fullmatch(r"[!-~]+", key)
    assert BAKERY in plain and EXAMPLE_ID in plain  # readable where it can be
    assert "<" not in hostile and hostile != cache_key("tree", BAKERY, "<script>")
    assert cache_key("search", BAKERY, "a") != cache_key("search", BAKERY, "b")
    assert cache_key("customer", "end_usr_a", EXAMPLE_ID) != cache_key("customer", "end_usr_b", EXAMPLE_ID)


def test_search_keys_differ_by_every_criterion(company, fake):
    from dashboard.lookups.search import Criteria, search_company
    from dashboard.search_criteria import Status

    search_company(company, Criteria(text="a"))
    search_company(company, Criteria(text="a", status=Status.ALL))
    search_company(company, Criteria(text="a"), after="B")
    assert fake.stats["GET /quickbooks-desktop/customers"] == 3
    search_company(company, Criteria(text="a", status=Status.ALL))
    assert fake.stats["GET /quickbooks-desktop/customers"] == 3


# --- freshness and refresh ---------------------------------------------------------------


def test_a_second_view_comes_from_the_cache_and_says_how_old(support_client, company, fake):
    support_client.get(URL)
    response = support_client.get(URL)
    assert fake.stats[RETRIEVES] == 1
    body = text_of(response)
    assert re.search(r"Fetched <time[^>]*>(now|\d+ seconds? ago)</time>", body)
    assert f'href="{URL}?refresh=1"' in body


def test_the_age_is_shown_in_words(support_client, company, fake):
    support_client.get(URL)
    with clock_moved_on(40):  # from now: the copy was fetched a moment before, on a busy machine
        assert re.search(r"\b4\d seconds ago", text_of(support_client.get(URL)))


def test_an_expired_entry_is_fetched_again(support_client, company, fake, settings):
    settings.CUSTOMER_CACHE_TTL = 0
    support_client.get(URL)
    support_client.get(URL)
    assert fake.stats[RETRIEVES] == 2


def test_refresh_bypasses_the_cache_and_returns_to_the_plain_address(support_client, company, fake):
    support_client.get(URL)
    response = support_client.get(URL, {"refresh": "1"})
    assert response.status_code == 302 and response["Location"] == URL
    assert fake.stats[RETRIEVES] == 2
    support_client.get(URL)
    assert fake.stats[RETRIEVES] == 2  # the refreshed copy is the cached one now


def test_search_pages_are_cached_and_refreshable(support_client, company, fake):
    search = f"/end-users/{BAKERY}/customers/?q=a&status=all"
    support_client.get(search)
    body = text_of(support_client.get(search))
    calls = fake.stats["GET /quickbooks-desktop/customers"]
    assert "Refresh" in body
    response = support_client.get(search + "&refresh=1")
    assert response.status_code == 302 and "refresh" not in response["Location"]
    assert fake.stats["GET /quickbooks-desktop/customers"] > calls


# --- stale while offline --------------------------------------------------------------


@pytest.mark.parametrize(
    "fault,reason",
    [
        (Fault(error="qbd_offline"), "QuickBooks is unreachable right now."),
        (Fault(body="drop"), "Conductor could not be reached."),
    ],
)
def test_a_recent_copy_is_shown_with_a_banner_when_unreachable(support_client, company, fake, settings, fault, reason):
    support_client.get(URL)
    fake.faults.add(fault)
    with clock_moved_on(600):  # older than the TTL
        response = support_client.get(URL)
    assert response.status_code == 200
    body = text_of(response)
    assert reason in body and "saved copy fetched" in body and "10 minutes ago" in body
    assert "Website Redesign Project" in body


def test_a_refresh_while_offline_keeps_the_copy_and_says_so(support_client, company, fake):
    support_client.get(URL)
    fake.faults.add(Fault(error="qbd_offline"))
    response = support_client.get(URL, {"refresh": "1"})
    assert response.status_code == 200 and "QuickBooks is unreachable right now." in text_of(response)


def test_a_copy_older_than_the_maximum_is_not_shown(support_client, company, fake, settings):
    settings.STALE_MAX_AGE = 3600  # within a signed-in session's life
    support_client.get(URL)
    fake.faults.add(Fault(error="qbd_offline"))
    with clock_moved_on(3601):
        assert support_client.get(URL).status_code == 503


def test_other_errors_never_show_a_stale_copy(support_client, company, fake, settings):
    settings.CUSTOMER_CACHE_TTL = 0
    support_client.get(URL)
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="not_found"))
    assert support_client.get(URL).status_code == 404


# --- coalescing -------------------------------------------------------------------------


def test_simultaneous_opens_of_one_uncached_customer_make_one_call(company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=0.4))
    start = threading.Barrier(20)

    def open_customer(_):
        cache.get("warm-up")  # this thread's cache connections, opened before the race
        start.wait()
        return customer_page.fetch_customer(company, EXAMPLE_ID).value.id

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(open_customer, range(20)))
    assert ids == [EXAMPLE_ID] * 20
    assert fake.stats[RETRIEVES] == 1


def test_waiters_share_the_leaders_error(company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=0.3, error="not_found"))
    start = threading.Barrier(8)

    def open_customer(_):
        # Each thread opens its own cache connections first (seconds on a busy machine):
        # after the barrier all eight reach the shared call within the leader's 0.3 s.
        cache.get("warm-up")
        start.wait()
        try:
            customer_page.fetch_customer(company, EXAMPLE_ID)
        except errors.NotFoundError:
            return "not found"

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(open_customer, range(8))) == ["not found"] * 8
    assert fake.stats[RETRIEVES] == 1


def test_another_process_waits_for_the_leaders_result_in_the_cache(company, fake):
    """A held lock means another process is fetching: wait for its result, do not call."""
    key = cache_key("customer", BAKERY, EXAMPLE_ID)
    cache.add(lock_key(key), 1, timeout=30)

    def other_process_finishes():
        time.sleep(0.3)
        publish(key, "from the other process")
        cache.delete(lock_key(key))

    threading.Thread(target=other_process_finishes).start()
    assert cast(object, customer_page.fetch_customer(company, EXAMPLE_ID).value) == "from the other process"
    assert RETRIEVES not in fake.stats


def test_a_result_published_just_after_the_cache_was_looked_at_is_taken_not_fetched_again(company, fake, monkeypatch):
    """Another process publishes between this request's look at the cache and its wait for
    the lock (a race two servers met under load): its result is this request's too."""
    from dashboard.caching import freshness

    key = cache_key("customer", BAKERY, EXAMPLE_ID)
    real_peek = freshness.peek
    later = contextlib.ExitStack()

    def nothing_yet_then_the_other_process_publishes(*args, **kwargs):
        found = real_peek(*args, **kwargs)
        publish(key, "from the other process")
        later.enter_context(clock_moved_on(0.5))  # the wait for the lock starts after it
        return found

    monkeypatch.setattr(freshness, "peek", nothing_yet_then_the_other_process_publishes)
    with later:
        value = customer_page.fetch_customer(company, EXAMPLE_ID).value
    assert cast(object, value) == "from the other process"
    assert RETRIEVES not in fake.stats


# --- the per-company limit (more in test_company_limit.py) -----------------------------


@pytest.mark.django_db(transaction=True)
def test_a_hanging_company_does_not_slow_other_pages(api_key, fake, support_user, settings):
    settings.CONDUCTOR_LIMIT_START = 2
    settings.CONDUCTOR_WAIT_BUDGET = 0.3
    make_company(api_key)
    other = make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders")
    other_customer = fake.state.companies[other.conductor_id].customers[0]["id"]
    # four different customers, so coalescing does not fold them into one call
    hanging = [c["id"] for c in fake.state.companies[BAKERY].customers[:4]]
    fake.faults.add(Fault(end_user_id=BAKERY, body="hang"))

    def client():
        c = Client()
        c.force_login(support_user)
        return c

    with ThreadPoolExecutor(6) as pool:
        hung = [pool.submit(client().get, f"/end-users/{BAKERY}/customers/{cid}/") for cid in hanging]
        wait_for(lambda: sum(f.done() for f in hung) >= 2)  # the pages that found no place were told
        started = time.monotonic()
        assert client().get("/healthz").status_code == 200
        assert client().get("/").status_code == 200
        assert client().get(f"/end-users/{other.conductor_id}/customers/{other_customer}/").status_code == 200
        elapsed = time.monotonic() - started
        busy = [f.result().status_code for f in hung if f.done()]
        fake.faults.clear()
        fake.stop_hanging()
    assert elapsed < 5  # not held behind the hanging company (it never answers)
    assert busy.count(503) >= 2  # those that found no place in time were told the company is busy
    connection.close()
