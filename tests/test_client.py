import logging
from typing import Any

import httpx
import pytest

from dashboard.conductor import client, errors

SECRET = "sk_conductor_test_0123456789abcdefSECRET"
END_USER = "end_usr_1234567abcdefg"
CUSTOMER_ID = "80000001-1234567890"


@pytest.fixture
def transport(monkeypatch, settings):
    """Route the client's requests to a handler the test sets: transport.handler = fn."""
    settings.CONDUCTOR_BASE_URL = "https://conductor.test/v1"

    class Holder:
        handler: Any = None
        requests: list[httpx.Request] = []

    def handle(request):
        Holder.requests.append(request)
        return Holder.handler(request)

    http = client.build_http_client(httpx.MockTransport(handle))
    monkeypatch.setattr(client, "_http", lambda: http)
    Holder.requests = []
    return Holder


def envelope(status, type_, code, integration_code=None, message="boom", user="Try again."):
    error = {
        "message": message,
        "userFacingMessage": user,
        "type": type_,
        "code": code,
        "httpStatusCode": status,
        "requestId": "req_abc",
    }
    if integration_code:
        error["integrationCode"] = integration_code
    return httpx.Response(status, json={"error": error}, headers={"Conductor-Request-Id": "req_abc"})


def test_it_sends_the_key_the_end_user_and_an_encoded_id(transport, example_customer):
    transport.handler = lambda r: httpx.Response(200, json=example_customer, headers={"Conductor-Request-Id": "req_1"})
    customer = client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    [request] = transport.requests
    assert customer.id == CUSTOMER_ID
    assert request.method == "GET"
    assert request.url == f"https://conductor.test/v1/quickbooks-desktop/customers/{CUSTOMER_ID}"
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    assert request.headers["Conductor-End-User-Id"] == END_USER
    assert int(request.headers["Conductor-Timeout-Seconds"]) < 30


def test_end_user_calls_send_no_end_user_header(transport):
    transport.handler = lambda r: httpx.Response(200, json={"objectType": "list", "url": "/v1/end-users", "data": []})
    assert client.list_end_users(SECRET) == []
    assert "Conductor-End-User-Id" not in transport.requests[0].headers
    assert transport.requests[0].url.path == "/v1/end-users"


@pytest.mark.parametrize("bad_id", ["../end-users", "80000001-1/../../x", "80000001-1?x=1", "", "x" * 37])
def test_a_malformed_id_never_reaches_conductor(transport, bad_id):
    transport.handler = lambda r: pytest.fail("no request may be sent")
    with pytest.raises(ValueError):
        client.retrieve_customer(SECRET, END_USER, bad_id)
    assert transport.requests == []


@pytest.mark.parametrize(
    "response,expected",
    [
        (envelope(401, "AUTHENTICATION_ERROR", "API_KEY_INVALID"), errors.AuthenticationError),
        (envelope(403, "PERMISSION_ERROR", "PERMISSION_DENIED"), errors.PermissionDeniedError),
        (envelope(400, "INVALID_REQUEST_ERROR", "INVALID_REQUEST"), errors.InvalidRequestError),
        (envelope(404, "INVALID_REQUEST_ERROR", "RESOURCE_MISSING"), errors.NotFoundError),
        (envelope(502, "INTEGRATION_ERROR", "QBD_REQUEST_ERROR", "500"), errors.NotFoundError),
        (envelope(502, "INTEGRATION_ERROR", "QBD_REQUEST_ERROR", "3175"), errors.IntegrationError),
        (
            envelope(502, "INTEGRATION_CONNECTION_ERROR", "QBD_CONNECTION_ERROR", "0x80040420"),
            errors.IntegrationConnectionError,
        ),
        (
            envelope(409, "INTEGRATION_CONNECTION_ERROR", "INTEGRATION_CONNECTION_NOT_SET_UP"),
            errors.ConnectionNotSetUpError,
        ),
        (envelope(504, "INTEGRATION_CONNECTION_ERROR", "QBD_REQUEST_TIMEOUT"), errors.QuickBooksTimeoutError),
        (envelope(500, "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR"), errors.InternalError),
        (envelope(418, "SOMETHING_NEW", "NEW"), errors.ConductorAPIError),
    ],
)
def test_each_error_envelope_maps_to_its_exception(transport, response, expected):
    transport.handler = lambda r: response
    with pytest.raises(expected) as raised:
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    exc = raised.value
    assert type(exc) is expected
    assert exc.request_id == "req_abc" and exc.status == response.status_code
    assert exc.user_facing_message == "Try again." and exc.message == "boom"
    assert exc.code and exc.type


def test_it_keeps_the_integration_code(transport):
    transport.handler = lambda r: envelope(502, "INTEGRATION_CONNECTION_ERROR", "QBD_CONNECTION_ERROR", "0x80040420")
    with pytest.raises(errors.IntegrationConnectionError) as raised:
        client.check_connection(SECRET, END_USER)
    assert raised.value.integration_code == "0x80040420"


@pytest.mark.parametrize(
    "exception,expected",
    [
        (httpx.ConnectError("refused"), errors.ConnectError),
        (httpx.ConnectTimeout("slow connect"), errors.ConnectError),
        (httpx.ReadTimeout("slow read"), errors.RequestTimeoutError),
        (httpx.PoolTimeout("pool"), errors.RequestTimeoutError),
        (httpx.RemoteProtocolError("dropped"), errors.ConnectError),
        (httpx.ReadError("reset"), errors.ConnectError),
    ],
)
def test_transport_failures_map_to_their_own_exceptions(transport, exception, expected):
    def fail(request):
        raise exception

    transport.handler = fail
    with pytest.raises(expected) as raised:
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"<html>hello</html>"),
        httpx.Response(200, content=b"\xff\xfe"),
        httpx.Response(200, json={"id": 42}),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(503, content=b"<html>Service Unavailable</html>"),
        httpx.Response(500, json={"error": "nope"}),
    ],
)
def test_malformed_answers_raise_malformed_response(transport, response):
    transport.handler = lambda r: response
    with pytest.raises(errors.MalformedResponseError):
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)


def test_an_oversized_answer_is_refused(transport, monkeypatch):
    monkeypatch.setattr(client, "MAX_RESPONSE_BYTES", 1000)
    transport.handler = lambda r: httpx.Response(200, content=b"[" + b"1," * 1000 + b"1]")
    with pytest.raises(errors.MalformedResponseError, match="too large"):
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)


def test_the_secret_never_appears_in_exceptions_or_logs(transport, caplog):
    caplog.set_level(logging.DEBUG)
    transport.handler = lambda r: envelope(
        401,
        "AUTHENTICATION_ERROR",
        "API_KEY_INVALID",
        message=f"Invalid API key provided: '{SECRET}'",
        user=f"bad key {SECRET}",
    )
    with pytest.raises(errors.AuthenticationError) as raised:
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    exc = raised.value
    everything = " ".join([str(exc), repr(exc), exc.message, exc.user_facing_message or "", caplog.text])
    assert SECRET not in everything
    assert "sk_conductor_…[hidden]" in exc.message


def test_each_call_is_logged_with_status_duration_and_request_id(transport, caplog, example_customer):
    caplog.set_level(logging.INFO, logger="dashboard.conductor")
    transport.handler = lambda r: httpx.Response(
        200, json=example_customer, headers={"Conductor-Request-Id": "req_xyz"}
    )
    client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    [line] = [r.getMessage() for r in caplog.records if r.name == "dashboard.conductor"]
    assert f"GET /quickbooks-desktop/customers/{CUSTOMER_ID}" in line
    assert "status=200" in line and "request_id=req_xyz" in line and "duration_ms=" in line


def test_timeouts_come_from_settings(settings):
    settings.CONDUCTOR_CONNECT_TIMEOUT = 1.5
    settings.CONDUCTOR_READ_TIMEOUT = 12.0
    settings.CONDUCTOR_POOL_TIMEOUT = 0.5
    http = client._http()
    assert (http.timeout.connect, http.timeout.read, http.timeout.pool) == (1.5, 12.0, 0.5)
    assert client._http() is http  # one shared, pooled client


def test_a_real_slow_server_times_out(fake, settings):
    from fake_conductor.data import DEMO_SECRET_KEY
    from fake_conductor.server import Fault

    settings.CONDUCTOR_READ_TIMEOUT = 0.3
    fake.faults.add(Fault(customer_id=CUSTOMER_ID, latency=2.0))
    with pytest.raises(errors.RequestTimeoutError):
        client.retrieve_customer(DEMO_SECRET_KEY, "end_usr_demoBakery01", CUSTOMER_ID)


def test_nothing_listening_is_a_connect_error(settings):
    settings.CONDUCTOR_BASE_URL = "http://127.0.0.1:9/v1"
    with pytest.raises(errors.ConnectError):
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)


@pytest.mark.parametrize(
    "echo",
    [
        SECRET.upper(),
        "".join(f"%{ord(c):02X}" for c in SECRET),
        SECRET[-20:],
        "".join(f"\\u{ord(c):04x}" for c in SECRET),
        f"Bearer {SECRET.lower()}",
    ],
    ids=["upper", "url-encoded", "last-20", "json-escaped", "bearer-lower"],
)
def test_an_echoed_key_is_scrubbed_in_any_encoding(transport, caplog, echo):
    caplog.set_level(logging.DEBUG)
    transport.handler = lambda r: envelope(
        401, "AUTHENTICATION_ERROR", "API_KEY_INVALID", message=f"Invalid API key: {echo}", user=f"bad key {echo}"
    )
    with pytest.raises(errors.AuthenticationError) as raised:
        client.retrieve_customer(SECRET, END_USER, CUSTOMER_ID)
    exc = raised.value
    everything = " ".join([str(exc), exc.message, exc.user_facing_message or "", caplog.text])
    assert echo not in everything
    assert SECRET[-12:].casefold() not in everything.casefold()
    assert "sk_conductor_…[hidden]" in exc.message


def test_date_times_go_out_in_the_contracts_forms_only(transport):
    from datetime import UTC, datetime, timedelta, timezone

    moment = datetime(2026, 12, 1, 23, 19, 2, 952732, tzinfo=UTC)
    assert client.date_time_param(moment) == "2026-12-01T23:19:02+00:00"  # no fraction, no Z
    assert client.date_time_param(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-12-01T18:19:02-05:00"
    assert client.date_time_param(moment.replace(tzinfo=None)) == "2026-12-01T23:19:02"  # the company's clock
    assert ("updatedAfter", "2026-12-01T23:19:02+00:00") in client.CustomerQuery(updated_after=moment).params()
    transport.handler = lambda r: httpx.Response(200, json={"objectType": "list", "url": "/x", "data": []})
    client.list_deleted_customers(SECRET, END_USER, moment)
    assert transport.requests[-1].url.params["deletedAfter"] == "2026-12-01T23:19:02+00:00"


# --- bound to one company -------------------------------------------------------------


def test_a_bound_client_names_each_call_for_the_companys_limit_and_never_shows_its_key(fake):
    from contextlib import contextmanager

    from dashboard.conductor.client import ConductorClient, TransactionQuery
    from fake_conductor.data import DEMO_SECRET_KEY
    from tests.conftest import BAKERY, EXAMPLE_ID

    kinds: list[str] = []

    @contextmanager
    def slot(kind):
        kinds.append(kind)
        yield

    conductor = ConductorClient(DEMO_SECRET_KEY, BAKERY, slot=slot)
    assert conductor.retrieve_customer(EXAMPLE_ID).id == EXAMPLE_ID
    conductor.list_invoices(TransactionQuery(customer_ids=(EXAMPLE_ID,)), limit=1)
    assert conductor.retrieve_end_user().id == BAKERY  # Conductor's record: QuickBooks not asked
    assert kinds == ["retrieve_customer", "list_invoices"]
    assert DEMO_SECRET_KEY not in repr(conductor) and DEMO_SECRET_KEY not in str(vars(conductor).keys())


def test_a_companys_client_holds_one_of_its_places_for_each_call(company, fake):
    import contextlib
    import threading

    from dashboard.caching import company_limit
    from fake_conductor.server import Fault
    from tests.conftest import BAKERY, EXAMPLE_ID, wait_for

    fake.faults.add(Fault(customer_id=EXAMPLE_ID, body="hang"))
    conductor = company.conductor()

    def ask():
        with contextlib.suppress(errors.ConductorError):  # let go unanswered at the end
            conductor.retrieve_customer(EXAMPLE_ID)

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        wait_for(lambda: company_limit.asking(BAKERY) == 1)  # the call holds a place while it runs
    finally:
        fake.stop_hanging()
        asking.join(10)
    assert company_limit.asking(BAKERY) == 0
    assert company.conductor(background=True).check_connection() is not None
    assert company_limit.asking(BAKERY) == 0  # background work takes no place


def test_a_company_whose_key_cannot_be_decrypted_gets_no_client(company):
    from dashboard.failures import KeyUnreadableError

    company.api_key.encrypted_secret = "not a token"
    with pytest.raises(KeyUnreadableError):
        company.conductor()
