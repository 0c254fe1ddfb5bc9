"""The fake Conductor answers as the contract says: checked with the OpenAPI schemas
(jsonschema) and with the official SDK in strict response-validation mode."""

import json

import conductor
import httpx
import jsonschema
import pytest

from fake_conductor.data import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, EXAMPLE_CUSTOMER_PATH
from fake_conductor.server import Fault
from tests.conftest import (
    BAKERY,
    CONTRACT,
    DENTAL_OFFLINE,
    EXAMPLE_ID,
    GARDEN_NOT_SET_UP,
    SHARED_CONTRACT,
    contract_file,
)


@pytest.fixture(scope="module")
def spec():
    return json.loads(contract_file("openapi-subset.json").read_text())


def response_schema(spec, path, method="get"):
    schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    return _resolve(spec, schema)


def _resolve(spec, schema):
    """Inline the spec's $refs, so jsonschema needs no resolver."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return _resolve(spec, spec["components"]["schemas"][name])
        return {k: _resolve(spec, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(spec, v) for v in schema]
    return schema


def check(spec, schema, body):
    jsonschema.Draft202012Validator(schema).validate(body)


@pytest.fixture
def http(fake):
    with httpx.Client(base_url=fake.url + "/", headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}"}) as c:
        yield c


def test_the_fake_serves_the_contracts_own_example():
    assert contract_file("customer-example.json") == EXAMPLE_CUSTOMER_PATH
    assert json.loads(EXAMPLE_CUSTOMER_PATH.read_text())["id"] == EXAMPLE_ID


@pytest.mark.skipif(not SHARED_CONTRACT.is_dir(), reason="no ../shared/conductor/ beside this checkout")
def test_the_projects_copy_of_the_contract_has_not_drifted_from_the_shared_one():
    ours = {p.name: p.read_bytes() for p in CONTRACT.iterdir() if p.is_file()}
    theirs = {p.name: p.read_bytes() for p in SHARED_CONTRACT.iterdir() if p.is_file()}
    assert sorted(ours) == sorted(theirs), (
        "copy the changed files from ../shared/conductor/ into fake_conductor/contract/"
    )
    changed = [name for name in ours if ours[name] != theirs[name]]
    assert not changed, f"{changed} differ from ../shared/conductor/: copy them into fake_conductor/contract/"


def test_every_seeded_customer_matches_the_schema(spec, fake):
    schema = _resolve(spec, spec["components"]["schemas"]["qbd_customer"])
    customers = [c for company in fake.state.companies.values() for c in company.customers]
    assert len(customers) > 50
    for customer in customers:
        check(spec, schema, customer)
    assert {c["sublevel"] for c in customers} >= {0, 1, 2}


def test_retrieve_and_list_answers_match_the_schema(spec, http):
    r = http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", headers={"Conductor-End-User-Id": BAKERY})
    assert r.status_code == 200 and r.headers["Conductor-Request-Id"].startswith("req_")
    check(spec, response_schema(spec, "/quickbooks-desktop/customers/{id}"), r.json())
    r = http.get("quickbooks-desktop/customers", params={"limit": 5}, headers={"Conductor-End-User-Id": BAKERY})
    check(spec, response_schema(spec, "/quickbooks-desktop/customers"), r.json())
    assert r.json()["hasMore"] is True and len(r.json()["data"]) == 5


def test_end_user_and_health_answers_match_the_schema(spec, http):
    r = http.get("end-users")
    check(spec, response_schema(spec, "/end-users"), r.json())
    assert {u["id"] for u in r.json()["data"]} >= {BAKERY, DENTAL_OFFLINE, GARDEN_NOT_SET_UP}
    r = http.get("quickbooks-desktop/health-check", headers={"Conductor-End-User-Id": BAKERY})
    check(spec, response_schema(spec, "/quickbooks-desktop/health-check"), r.json())
    r = http.get("quickbooks-desktop/company", headers={"Conductor-End-User-Id": BAKERY})
    check(spec, response_schema(spec, "/quickbooks-desktop/company"), r.json())


@pytest.mark.parametrize(
    "request_kwargs,status,type_,code",
    [
        (
            {"headers": {"Authorization": "Bearer sk_conductor_wrong_000000000000"}},
            401,
            "AUTHENTICATION_ERROR",
            "API_KEY_INVALID",
        ),
        ({"headers": {}}, 400, "INVALID_REQUEST_ERROR", "INVALID_REQUEST"),
        ({"headers": {"Conductor-End-User-Id": "end_usr_nobody"}}, 404, "INVALID_REQUEST_ERROR", "RESOURCE_MISSING"),
        (
            {"headers": {"Conductor-End-User-Id": DENTAL_OFFLINE}},
            502,
            "INTEGRATION_CONNECTION_ERROR",
            "QBD_CONNECTION_ERROR",
        ),
        (
            {"headers": {"Conductor-End-User-Id": GARDEN_NOT_SET_UP}},
            409,
            "INTEGRATION_CONNECTION_ERROR",
            "INTEGRATION_CONNECTION_NOT_SET_UP",
        ),
    ],
)
def test_errors_use_conductors_envelope(spec, http, request_kwargs, status, type_, code):
    r = http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", **request_kwargs)
    assert r.status_code == status
    error_schema = _resolve(spec, spec["components"]["schemas"]["ErrorResponse"])
    check(spec, error_schema, r.json())
    assert (r.json()["error"]["type"], r.json()["error"]["code"]) == (type_, code)
    assert r.json()["error"]["requestId"] == r.headers["Conductor-Request-Id"]


def test_an_unknown_customer_is_quickbooks_object_not_found(http):
    r = http.get("quickbooks-desktop/customers/80000001-1", headers={"Conductor-End-User-Id": BAKERY})
    assert r.json()["error"]["type"] == "INTEGRATION_ERROR"
    assert r.json()["error"]["integrationCode"] == "500"


@pytest.mark.parametrize("error", ["qbd_timeout", "internal", "integration", "permission"])
def test_injected_errors_match_the_schema(spec, http, fake, error):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error=error, times=1))
    r = http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", headers={"Conductor-End-User-Id": BAKERY})
    check(spec, _resolve(spec, spec["components"]["schemas"]["ErrorResponse"]), r.json())
    # times=1: the next request is healthy again
    assert (
        http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", headers={"Conductor-End-User-Id": BAKERY}).status_code
        == 200
    )


def test_faults_and_stats_can_be_driven_over_http(http, fake):
    control = fake.url.removesuffix("/v1") + "/_fake"
    assert http.post(f"{control}/faults", json={"customer_id": EXAMPLE_ID, "error": "qbd_offline"}).status_code == 200
    r = http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", headers={"Conductor-End-User-Id": BAKERY})
    assert r.status_code == 502
    assert http.get(f"{control}/stats").json()[f"GET customer {EXAMPLE_ID}"] == 1
    assert http.post(f"{control}/faults", json={"error": "no-such-thing"}).status_code == 400
    http.delete(f"{control}/faults")
    assert (
        http.get(f"quickbooks-desktop/customers/{EXAMPLE_ID}", headers={"Conductor-End-User-Id": BAKERY}).status_code
        == 200
    )


@pytest.fixture
def sdk(fake):
    return conductor.Conductor(
        api_key=DEMO_SECRET_KEY, base_url=fake.url, max_retries=0, _strict_response_validation=True
    )


def test_the_official_sdk_reads_the_fake_strictly(sdk):
    customer = sdk.qbd.customers.retrieve(EXAMPLE_ID, conductor_end_user_id=BAKERY)
    assert customer.full_name == "ABC Corporation:Website Redesign Project"
    page = sdk.qbd.customers.list(conductor_end_user_id=BAKERY, limit=150, status="all")
    assert len(page.data) > 40
    assert {u.id for u in sdk.end_users.list().data} >= {BAKERY}
    assert sdk.qbd.health_check(conductor_end_user_id=BAKERY).status == "ok"
    assert sdk.qbd.company.retrieve(conductor_end_user_id=BAKERY).company_name == "Fulton Street Bakery Group"


def test_the_official_sdk_sees_the_fakes_errors(sdk):
    with pytest.raises(conductor.AuthenticationError):
        conductor.Conductor(
            api_key="sk_conductor_nope_000000000000", base_url=sdk.base_url, max_retries=0
        ).qbd.customers.retrieve(EXAMPLE_ID, conductor_end_user_id=BAKERY)
    with pytest.raises(conductor.APIStatusError) as raised:
        sdk.qbd.customers.retrieve(EXAMPLE_ID, conductor_end_user_id=DENTAL_OFFLINE)
    assert raised.value.status_code == 502


def test_the_sdk_keeps_working_on_its_pooled_connection_after_a_refused_post(sdk):
    refused = conductor.Conductor(api_key="sk_conductor_nope_000000000000", base_url=sdk.base_url, max_retries=0)
    with refused:
        for _ in range(2):
            with pytest.raises(conductor.AuthenticationError):
                refused.end_users.create(company_name="X", source_id="s-1", email="x@example.com")
            # the same client (one pooled connection) asks again and is answered cleanly
            with pytest.raises(conductor.AuthenticationError):
                refused.end_users.list()


def test_the_sdk_reads_the_updated_and_link_rules(sdk):
    page = sdk.qbd.customers.list(
        conductor_end_user_id=BAKERY,
        status="all",
        updated_after="2025-01-01",
        updated_before="2026-11-30T23:59:59-08:00",
    )
    assert page.data
    with pytest.raises(conductor.BadRequestError):
        sdk.qbd.customers.list(conductor_end_user_id=BAKERY, updated_after="last tuesday")
    with pytest.raises(conductor.BadRequestError):
        sdk.qbd.customers.list(conductor_end_user_id=BAKERY, name_from="Z", name_to="A")
    session = sdk.auth_sessions.create(publishable_key=DEMO_PUBLISHABLE_KEY, end_user_id=BAKERY, link_expiry_mins=15)
    assert session.auth_flow_url.startswith("https://")
    with pytest.raises(conductor.BadRequestError):
        sdk.auth_sessions.create(publishable_key=DEMO_PUBLISHABLE_KEY, end_user_id=BAKERY, link_expiry_mins=0)
