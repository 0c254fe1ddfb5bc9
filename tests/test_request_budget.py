"""No request outlives its budget (CONDUCTOR_TOTAL_BUDGET): not by calls one after
another, not by retries, not by waiting for another request's call to the same record and
then making its own. The budget stays below gunicorn's worker timeout (dashboard.E001)."""

import threading

import httpx
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from dashboard import request_budget
from dashboard.caching import coalescing
from dashboard.conductor import client, errors
from tests.test_client import CUSTOMER_ID, END_USER, SECRET


class Clock:
    """A clock that moves only when told to, or by `step` on every reading."""

    def __init__(self, step: float = 0.0) -> None:
        self.now, self.step = 1000.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def clock(monkeypatch):
    ticking = Clock()
    monkeypatch.setattr(request_budget, "clock", ticking)
    return ticking


@pytest.fixture
def in_a_request(settings):
    """Run the test's body as a request's: its budget starts now."""
    settings.CONDUCTOR_TOTAL_BUDGET = 45.0
    token = request_budget._deadline.set(request_budget.clock() + settings.CONDUCTOR_TOTAL_BUDGET)
    yield
    request_budget._deadline.reset(token)


def test_a_call_gets_only_what_is_left_of_the_request(clock, in_a_request, monkeypatch, example_customer):
    timeouts = []

    def answer(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json=example_customer, headers={"Conductor-Request-Id": "req_1"})

    http = client.build_http_client(httpx.MockTransport(answer))
    monkeypatch.setattr(client, "_http", lambda: http)
    clock.now += 40  # the page already spent 40 of its 45 s
    client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    assert 4.9 <= timeouts[0] <= 5.0


def test_a_spent_request_sends_no_call(clock, in_a_request, monkeypatch):
    sent = []
    http = client.build_http_client(httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500)))
    monkeypatch.setattr(client, "_http", lambda: http)
    clock.now += 45
    with pytest.raises(errors.RequestTimeoutError):
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    assert sent == []


def another_process_holds(key: str) -> None:
    """Another worker process leads the call for `key` (its lock is in the shared cache)
    and has not published an answer."""
    assert cache.add(f"lock:{key}", 1, timeout=60)


@pytest.fixture
def slow_clock(monkeypatch):
    """Every look at the clock takes a second."""
    monkeypatch.setattr(request_budget, "clock", Clock(step=1.0))


def test_waiting_for_another_process_ends_with_the_budget_not_with_a_call_of_its_own(slow_clock, in_a_request):
    another_process_holds("record")
    fetched = []
    with pytest.raises(errors.RequestTimeoutError):
        coalescing.coalesced("record", lambda: fetched.append(1), published=lambda since: None, lock_seconds=50.0)
    assert fetched == []  # the page answers in its budget; the leader's call is the only one


def test_outside_a_request_a_vanished_leader_is_not_waited_for_beyond_the_lock(slow_clock):
    another_process_holds("record")
    fetched = []
    result = coalescing.coalesced(
        "record", lambda: fetched.append(1) or "fetched", published=lambda since: None, lock_seconds=5.0
    )
    assert result == "fetched" and fetched == [1]  # the sync worker: no request budget


def test_a_follower_in_the_same_process_waits_only_its_budget(settings):
    settings.CONDUCTOR_TOTAL_BUDGET = 0.2
    leading, release = threading.Event(), threading.Event()

    def slow_fetch():
        leading.set()
        release.wait(30)
        return "late"

    leader = threading.Thread(
        target=lambda: coalescing.coalesced("rec", slow_fetch, published=lambda since: None, lock_seconds=50.0)
    )
    leader.start()
    assert leading.wait(30)
    token = request_budget._deadline.set(request_budget.clock() + settings.CONDUCTOR_TOTAL_BUDGET)
    try:
        with pytest.raises(errors.RequestTimeoutError):
            coalescing.coalesced("rec", lambda: "own call", published=lambda since: None, lock_seconds=50.0)
    finally:
        request_budget._deadline.reset(token)
        release.set()
        leader.join(30)


def test_pages_run_with_a_budget(support_client, company, fake, monkeypatch):
    seen = []
    real = client._request

    def watching(*args, **kwargs):
        seen.append(request_budget.remaining())
        return real(*args, **kwargs)

    monkeypatch.setattr(client, "_request", watching)
    support_client.get("/end-users/end_usr_demoBakery01/customers/80000001-1234567890/")
    assert seen and all(left is not None and 0 < left <= 45 for left in seen)


def test_the_budget_must_stay_below_the_worker_timeout(settings):
    settings.CONDUCTOR_TOTAL_BUDGET, settings.GUNICORN_TIMEOUT = 58.0, 60
    with pytest.raises(SystemCheckError, match=r"dashboard\.E001"):
        call_command("check", "--tag", "dashboard")
    settings.CONDUCTOR_TOTAL_BUDGET = 45.0
    call_command("check", "--tag", "dashboard")


def test_a_server_whose_budget_outlives_the_worker_timeout_does_not_start():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "DASHBOARD_DEMO": "1", "GUNICORN_TIMEOUT": "40", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.wsgi"], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "dashboard.E001" in result.stderr
    env["GUNICORN_TIMEOUT"] = "60"
    result = subprocess.run(
        [sys.executable, "-c", "import dashboard.wsgi"], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
