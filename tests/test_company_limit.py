"""The per-company limit adapts to the upstream (it rises on a parallel fake and stays
near one on a serial one, as the fake's max_in_flight shows; a slow kind of call is not
queueing), admits pages in arrival order only while they can be answered within their
budget, refuses the rest at once, lets hung calls go, and offers a saved copy instead of
the busy page.

The arithmetic is tested with every time given; against the fake, one test per
mechanism with bounds a busy machine keeps. How fast is measured in benchmarks/."""

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from dashboard.caching import company_limit
from dashboard.caching.company_limit import AdaptiveLimit, Waiter, company_slot
from dashboard.conductor import errors
from dashboard.failures import CompanyBusyError
from dashboard.lookups import activity, customer_page
from fake_conductor.server import Fault
from tests.conftest import BAKERY, clock_moved_on, wait_for

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


# --- the arithmetic, with every time given ------------------------------------------


def limit(start: float = 4, maximum: float = 64) -> AdaptiveLimit:
    return AdaptiveLimit(limit=start, maximum=maximum)


def answer(state: AdaptiveLimit, *calls: tuple[str, float], pages_waiting: bool = False) -> None:
    """Calls answered after the given seconds, with pages waiting meanwhile or not."""
    if pages_waiting:
        state.window_saturated = True
    for kind, seconds in calls:
        state.record(kind, seconds)


def test_flat_latency_while_pages_wait_doubles_the_limit_up_to_its_maximum():
    state = limit(start=4, maximum=16)
    for _ in range(4):
        answer(state, *[("retrieve_customer", 0.2)] * state.slots, pages_waiting=True)
    assert state.slots == 16


def test_flat_latency_with_nobody_waiting_leaves_the_limit_alone():
    state = limit(start=4)
    answer(state, *[("retrieve_customer", 0.2)] * 12)
    assert state.slots == 4


def test_kinds_of_call_not_seen_before_are_no_evidence_of_room():
    """A page's first calls (record, tree, activity) are each a kind's first: however long
    they queued upstream, nothing says they are flat, so the limit does not double on them."""
    state = limit(start=2)
    answer(state, ("retrieve_customer", 0.5), ("list_customers", 1.0), pages_waiting=True)
    answer(state, ("list_invoices", 0.5), ("list_credit_memos", 1.0), pages_waiting=True)
    assert state.slots == 2
    answer(state, ("retrieve_customer", 0.5), ("list_invoices", 0.5), pages_waiting=True)  # now flat
    assert state.slots == 4


def test_a_limit_shrunk_to_a_fraction_doubles_the_places_it_uses_not_the_fraction():
    state = limit(start=1.6)  # one place: what a shrink towards one leaves
    answer(state, ("retrieve_customer", 1.0))  # the kind's baseline
    answer(state, ("retrieve_customer", 1.0), pages_waiting=True)  # flat at one call at a time
    assert state.slots == 2


def test_latency_that_grows_with_calls_at_once_shrinks_the_limit_towards_one():
    state = limit(start=4)
    answer(state, ("retrieve_customer", 0.2), ("retrieve_customer", 0.2), pages_waiting=False)
    answer(state, ("retrieve_customer", 0.2), ("retrieve_customer", 0.2))  # baseline: 0.2 s
    for _ in range(4):  # a serial QuickBooks: the n-th call at once takes n times as long
        answer(state, *[("retrieve_customer", 0.2 * (n + 1)) for n in range(state.slots)], pages_waiting=True)
    assert state.slots == 1


def test_a_slow_kind_of_call_is_not_taken_for_queueing():
    """Activity lists take seconds where a record takes a fraction of one: side by side
    on a parallel QuickBooks, each kind at its own usual pace, the limit stays."""
    state = limit(start=4)
    for _ in range(6):
        answer(
            state,
            ("retrieve_customer", 0.05),
            ("list_invoices", 2.0),
            ("list_credit_memos", 2.0),
            ("list_payments", 2.1),
            pages_waiting=True,
        )
    assert state.slots >= 4


def test_every_kind_growing_slower_than_its_own_best_is_queueing():
    state = limit(start=4)
    record, invoices = ("retrieve_customer", 0.05), ("list_invoices", 2.0)
    answer(state, record, invoices, record, invoices)  # each kind's best
    for _ in range(3):  # serial: the n-th call at once waits for the n - 1 before it
        calls = [(kind, seconds * (n + 1)) for n, (kind, seconds) in enumerate([record, invoices] * 2)]
        answer(state, *calls[: state.slots], pages_waiting=True)
    assert state.slots <= 2


def test_a_page_is_admitted_while_there_is_room_and_queued_in_arrival_order_after():
    state = limit(start=2)
    first, second, third = (Waiter(deadline=100.0) for _ in range(3))
    assert state.arrive(first, 0.0) and state.arrive(second, 0.0)
    assert first.admitted.is_set() and second.admitted.is_set()
    state.calls.update({1: ("", 0.0), 2: ("", 0.0)})
    assert state.arrive(third, 0.0) and not third.admitted.is_set() and list(state.waiting) == [third]
    del state.calls[1]  # one call answered
    state.admit_waiters(1.0)
    assert third.admitted.is_set() and not third.refused


def test_a_page_whose_answer_would_come_after_its_deadline_is_refused_at_once():
    state = limit(start=1)
    state.record("retrieve_customer", 0.5)  # a call takes half a second
    state.calls[1] = ("retrieve_customer", 0.0)  # one running since 0
    # Behind it, the n-th page in the queue has its answer at about (n + 1) * 0.5 s.
    on_time = [Waiter(deadline=1.1), Waiter(deadline=1.6)]
    assert all(state.arrive(w, 0.0, "retrieve_customer") for w in on_time)
    late = Waiter(deadline=1.2)  # third in line: about 1.5 s
    assert not state.arrive(late, 0.0, "retrieve_customer")


def test_a_waiting_page_is_refused_as_soon_as_the_estimate_passes_its_deadline():
    state = limit(start=1)
    state.record("retrieve_customer", 0.5)
    state.calls[1] = ("retrieve_customer", 0.0)
    waiter = Waiter(deadline=1.2)
    assert state.arrive(waiter, 0.0, "retrieve_customer")  # next in line: about 1.0 s
    state.admit_waiters(0.8)  # the running call is slow: next in line now about 1.3 s
    assert waiter.refused and waiter.admitted.is_set() and not state.waiting


def test_a_call_far_longer_than_its_kind_usually_takes_stops_holding_its_place():
    state = limit(start=1)
    state.record("retrieve_customer", 0.1)
    state.record("list_invoices", 1.5)
    state.calls[1] = ("retrieve_customer", 0.0)
    state.calls[2] = ("list_invoices", 0.0)
    assert state.running(1.9) == 2  # both within HUNG_AT_LEAST
    assert state.running(2.1) == 1  # the record is hung; the list usually takes 1.5 s
    assert state.running(4 * 1.5 + 0.1) == 0


def test_what_was_learned_is_where_another_process_starts():
    state = limit(start=4)
    answer(state, *[("retrieve_customer", 0.2 * (n + 1)) for n in range(4)], pages_waiting=True)
    fresh = limit(start=4)
    fresh.start_from(state.learned())
    assert fresh.slots == state.slots and fresh.typical("retrieve_customer") == state.baseline("retrieve_customer")


# --- end to end, against the fake: one smoke test per mechanism, generous bounds ------


def test_the_limit_rises_on_a_parallel_upstream(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 60
    fake.latency = 0.2
    results = fetch_all(company, customers(fake, 40))
    assert not any(isinstance(r, Exception) for r in results)
    assert fake.stats[IN_FLIGHT] > 1


def test_the_limit_stays_near_one_on_a_serial_upstream(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 60
    settings.CONDUCTOR_READ_TIMEOUT = 60  # the fourth call at once waits 4 s, more on a busy machine
    # A second per answer: far above what a saturated machine adds to each call, so the
    # queueing the limit learns from is QuickBooks', not our own.
    fake.latency, fake.serial = 1.0, True
    fetch_all(company, customers(fake, 6))  # learns: latency grows with every call at once
    assert company_limit.places(BAKERY) <= 2
    fake.reset()
    cache.clear()  # the records, not what was learned
    results = fetch_all(company, customers(fake, 12)[6:])
    assert not any(isinstance(r, Exception) for r in results)
    assert fake.stats[IN_FLIGHT] <= 2  # QuickBooks never had more than two waiting on it


def test_a_pages_activity_lists_go_side_by_side_on_a_parallel_upstream(company, fake, settings):
    """A record takes a fraction of a second, an activity list a second: after a few
    pages the lists of one page still go to QuickBooks together, not one after another.
    (Latencies this far above a busy machine's own noise keep the outcome QuickBooks'.)"""
    settings.CONDUCTOR_WAIT_BUDGET = 60
    fake.latency = 0.2

    def slow_lists():
        for path in ("invoices", "credit-memos", "receive-payments", "transactions"):
            fake.faults.add(Fault(path=f"/quickbooks-desktop/{path}", latency=0.8))

    slow_lists()
    for customer_id in customers(fake, 4):  # the limit learns from these
        customer = customer_page.fetch_customer(company, customer_id).value
        activity.fetch_activity(company, customer)
    fake.reset()
    slow_lists()
    customer = customer_page.fetch_customer(company, customers(fake, 5)[4]).value
    activity.fetch_activity(company, customer)
    assert fake.stats[IN_FLIGHT] >= 3  # invoices, credits, payments and open payments at once


def test_pages_beyond_the_budget_are_refused_before_it_and_the_rest_answered_in_arrival_order(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 60
    fake.latency, fake.serial = 1.0, True  # queueing far above a busy machine's own noise
    fetch_all(company, customers(fake, 6))  # learn the serial upstream
    cache.clear()
    settings.CONDUCTOR_WAIT_BUDGET = 4.5  # room for about four answers, one after another
    ids = customers(fake, 16)[6:]
    answered: list[str] = []
    refused_after: list[float] = []

    def fetch(customer_id):
        arrived = time.monotonic()
        try:
            customer_page.fetch_customer(company, customer_id)
            answered.append(customer_id)
        except CompanyBusyError:
            refused_after.append(time.monotonic() - arrived)

    with ThreadPoolExecutor(len(ids)) as pool:
        for customer_id in ids:
            settled = len(answered) + len(refused_after)
            asking = company_limit.asking(BAKERY)
            pool.submit(fetch, customer_id)
            # the next page arrives once this one holds a place or waits for one, or is
            # refused: a clear arrival order
            wait_for(
                lambda a=asking, s=settled: company_limit.asking(BAKERY) > a or len(answered) + len(refused_after) > s
            )
    assert answered and refused_after and len(answered) + len(refused_after) == len(ids)
    # QuickBooks took them up in arrival order (two may be let in at once, and then which
    # of the two reaches it first is the network's doing)
    served = [path.rsplit("/", 1)[-1] for path in fake.worked_on if path.rsplit("/", 1)[-1] in answered]
    arrival = sorted(served, key=ids.index)
    assert sorted(served) == sorted(answered)
    assert all(abs(served.index(i) - arrival.index(i)) <= 1 for i in served)
    # told by the budget at the latest (the estimate usually says so at once), not after the queue
    assert max(refused_after) < settings.CONDUCTOR_WAIT_BUDGET + 2


def test_a_hung_call_stops_holding_its_place(company, fake, settings):
    settings.CONDUCTOR_LIMIT_START = 1
    settings.CONDUCTOR_WAIT_BUDGET = 30
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
        wait_for(lambda: fake.stats.get(f"GET customer {first}") == 1)
        # the one place is held by the hanging call; this page gets it once that counts as hung
        assert customer_page.fetch_customer(company, second).value.id == second
        assert hung.is_alive()  # answered while the first still hangs
    finally:
        fake.stop_hanging()
        hung.join(10)


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


def test_what_one_process_learned_is_where_the_next_one_starts(company, fake, settings):
    settings.CONDUCTOR_WAIT_BUDGET = 60
    settings.CONDUCTOR_READ_TIMEOUT = 60  # the fourth call at once waits 4 s, more on a busy machine
    fake.latency, fake.serial = 1.0, True  # queueing far above a busy machine's own noise
    fetch_all(company, customers(fake, 6))
    learned = company_limit.places(BAKERY)
    assert learned < settings.CONDUCTOR_LIMIT_START
    company_limit.forget()  # a new worker, or this one after a restart
    assert company_limit.places(BAKERY) == learned


def test_a_page_refused_for_want_of_time_shows_its_saved_copy(support_client, company, fake, settings):
    settings.CONDUCTOR_LIMIT_START = 1
    customer_id = customers(fake, 1)[0]
    url = f"/end-users/{BAKERY}/customers/{customer_id}/"
    assert support_client.get(url).status_code == 200
    settings.CONDUCTOR_WAIT_BUDGET = 0.3
    with company_slot(BAKERY), clock_moved_on(600):  # the one place taken; the copy expired
        response = support_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "QuickBooks is busy with other lookups right now." in body and "saved copy" in body
