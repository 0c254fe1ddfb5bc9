"""The fake's customer list follows Conductor's documented QuickBooks semantics."""

import time

import httpx
import pytest

from fake_conductor import server as fake_server_module
from fake_conductor.data import DEMO_SECRET_KEY
from tests.conftest import BAKERY


@pytest.fixture
def get(fake):
    http = httpx.Client(
        base_url=fake.url + "/", headers={"Authorization": f"Bearer {DEMO_SECRET_KEY}", "Conductor-End-User-Id": BAKERY}
    )

    def call(**params):
        return http.get("quickbooks-desktop/customers", params=params)

    yield call
    http.close()


def names(response):
    return [c["fullName"] for c in response.json()["data"]]


def test_name_filters_are_case_insensitive_on_name(get):
    found = names(get(nameContains="REDESIGN", status="all"))
    assert found and all("redesign" in n.rsplit(":", 1)[-1].lower() for n in found)
    assert all(n.rsplit(":", 1)[-1].lower().startswith("acme") for n in names(get(nameStartsWith="acme")))
    assert all(n.lower().endswith("project") for n in names(get(nameEndsWith="PROJECT", status="all")))


@pytest.mark.parametrize(
    "params",
    [
        {"nameContains": "a", "nameStartsWith": "b"},
        {"nameContains": "a", "nameFrom": "A"},
        {"nameEndsWith": "a", "nameTo": "Z"},
        {"totalBalanceGreaterThan": "1", "totalBalanceLessThan": "5"},
        {"limit": "0"},
        {"limit": "151"},
        {"status": "deleted"},
        {"bogus": "1"},
    ],
)
def test_invalid_combinations_are_rejected(get, params):
    response = get(**params)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "INVALID_REQUEST_ERROR"


def test_name_ranges_are_inclusive_and_sorted_by_full_name(get):
    found = names(get(nameFrom="b", nameTo="D", status="all"))
    assert found == sorted(found, key=str.lower)
    assert all("b" <= n.lower() <= "d" for n in found)


def test_status_filters(fake, get):
    customers = fake.state.companies[BAKERY].customers
    active = sum(c["isActive"] for c in customers)
    assert len(get(status="active").json()["data"]) == active
    assert len(get().json()["data"]) == active  # active is the default
    assert len(get(status="inactive").json()["data"]) == len(customers) - active
    assert len(get(status="all").json()["data"]) == len(customers)


def test_balance_filters_use_total_balance(get):
    rows = get(totalBalanceGreaterThan="0", status="all").json()["data"]
    assert rows and all(float(r["totalBalance"]) > 0 for r in rows)
    rows = get(totalBalanceLessThanOrEqualTo="-1", status="all").json()["data"]
    assert all(float(r["totalBalance"]) <= -1 for r in rows)


def test_ids_and_full_names_override_other_filters_and_fail_on_unknown(fake, get):
    inactive = next(c for c in fake.state.companies[BAKERY].customers if not c["isActive"])
    response = get(ids=[inactive["id"]], status="active", nameContains="zzz")
    assert [c["id"] for c in response.json()["data"]] == [inactive["id"]]
    assert names(get(fullNames=["abc corporation"])) == ["ABC Corporation"]
    response = get(ids=[inactive["id"], "80000001-1"])
    assert response.status_code != 200 and response.json()["error"]["requestId"]


def test_the_cursor_is_single_use_shared_and_expires(get, monkeypatch):
    first = get(limit=20, status="all").json()
    assert first["hasMore"] and first["remainingCount"] > 0
    cursor = first["nextCursor"]
    second = get(limit=20, status="all", cursor=cursor).json()
    assert second["nextCursor"] in (cursor, None)
    assert not set(names_of(first)) & set(names_of(second))
    # the same cursor again returns the page after, not the same page
    third = get(limit=20, status="all", cursor=cursor).json()
    assert not set(names_of(third)) & set(names_of(second))
    while third["hasMore"]:
        third = get(limit=20, status="all", cursor=cursor).json()
    assert get(limit=20, status="all", cursor=cursor).status_code == 400  # past the end
    stale = get(limit=5, status="all").json()["nextCursor"]
    monkeypatch.setattr(fake_server_module.time, "monotonic", lambda: time.monotonic_ns() / 1e9 + 11)
    assert get(limit=5, status="all", cursor=stale).status_code == 400  # expired


def names_of(body):
    return [c["fullName"] for c in body["data"]]


def test_it_can_leave_out_alternate_shipping_addresses(get):
    rows = get(excludeAlternateShippingAddresses="true", status="all").json()["data"]
    assert all(r["alternateShippingAddresses"] is None for r in rows)
