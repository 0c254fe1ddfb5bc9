"""The retry policy: bounded, jittered, only where a retry can help, within one budget."""

import httpx
import pytest

from dashboard.conductor import client, errors
from fake_conductor.data import DEMO_SECRET_KEY
from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID


@pytest.fixture
def sleeps(monkeypatch, settings):
    settings.CONDUCTOR_MAX_RETRIES = 2
    slept = []
    monkeypatch.setattr(client, "_sleep", slept.append)
    return slept


def retrieve():
    return client.retrieve_customer(DEMO_SECRET_KEY, BAKERY, EXAMPLE_ID)


@pytest.mark.parametrize("error", ["internal", "rate_limited"])
def test_it_retries_server_errors_and_rate_limits_then_succeeds(fake, sleeps, error):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error=error, times=2))
    assert retrieve().id == EXAMPLE_ID
    assert len(sleeps) == 2 and fake.stats[f"GET customer {EXAMPLE_ID}"] == 3


def test_backoff_grows_with_jitter(fake, sleeps):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="internal", times=2))
    retrieve()
    assert 0.375 <= sleeps[0] <= 0.5 and 0.75 <= sleeps[1] <= 1.0


def test_it_honours_retry_after(fake, sleeps):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="rate_limited", retry_after=3, times=1))
    retrieve()
    assert sleeps == [3.0]


def test_it_gives_up_after_the_bounded_number_of_retries(fake, sleeps):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="internal"))
    with pytest.raises(errors.InternalError):
        retrieve()
    assert len(sleeps) == 2 and fake.stats[f"GET customer {EXAMPLE_ID}"] == 3


@pytest.mark.parametrize(
    "error",
    ["qbd_offline", "not_set_up", "qbd_timeout", "authentication", "not_found", "integration", "invalid_request"],
)
def test_it_never_retries_what_a_retry_cannot_fix(fake, sleeps, error):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error=error, times=1))
    with pytest.raises(errors.ConductorAPIError):
        retrieve()
    assert sleeps == [] and fake.stats[f"GET customer {EXAMPLE_ID}"] == 1


def test_it_retries_a_dropped_connection(fake, sleeps):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, body="drop", times=1))
    assert retrieve().id == EXAMPLE_ID and len(sleeps) == 1


def test_it_does_not_retry_a_timeout(fake, sleeps, settings):
    settings.CONDUCTOR_READ_TIMEOUT = 0.3
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=1.0, times=1))
    with pytest.raises(errors.RequestTimeoutError):
        retrieve()
    assert sleeps == []


def test_retries_stay_within_the_total_budget(fake, sleeps, settings):
    settings.CONDUCTOR_TOTAL_BUDGET = 5.0
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="rate_limited", retry_after=30))
    with pytest.raises(errors.ConductorAPIError):
        retrieve()
    assert sleeps == []  # waiting 30 s would overrun the 5 s budget


def test_the_budget_also_caps_each_attempts_read_timeout(monkeypatch, settings):
    settings.CONDUCTOR_TOTAL_BUDGET = 2.0
    settings.CONDUCTOR_BASE_URL = "https://conductor.test/v1"
    seen = []

    def handler(request):
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={"duration": 1, "status": "ok"})

    http = client.build_http_client(httpx.MockTransport(handler))
    monkeypatch.setattr(client, "_http", lambda: http)
    client.check_connection(DEMO_SECRET_KEY, BAKERY)
    assert seen and seen[0] <= 2.0


def test_posts_are_not_retried_once_sent(monkeypatch, sleeps, settings):
    settings.CONDUCTOR_BASE_URL = "https://conductor.test/v1"
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(
            500,
            json={
                "error": {
                    "message": "x",
                    "userFacingMessage": "x",
                    "type": "INTERNAL_ERROR",
                    "code": "INTERNAL",
                    "httpStatusCode": 500,
                    "requestId": "req_1",
                }
            },
        )

    http = client.build_http_client(httpx.MockTransport(handler))
    monkeypatch.setattr(client, "_http", lambda: http)
    with pytest.raises(errors.InternalError):
        client._request("POST", "end-users", secret_key=DEMO_SECRET_KEY, json_body={"a": 1})
    assert len(calls) == 1 and sleeps == []
