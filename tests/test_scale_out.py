"""Two app servers (real gunicorn processes) on one PostgreSQL and one Redis, with the
fake Conductor behind them: the cache and coalescing hold across both, each server's
per-company limit keeps a serial QuickBooks' queue short,
sessions work whichever server answers, and an admin change on one is seen on the other.

Runs when the suite itself runs on PostgreSQL and Redis (DATABASE_URL / CACHE_URL, as
.ci/run's second pass does); the servers then use the suite's own test database.
"""

import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import cache

from fake_conductor.server import Fault
from tests.conftest import BAKERY, make_company, support_group
from tests.servers import PASSWORD, gunicorn_servers, sign_in

BUILDERS = "end_usr_demoBuilders02"

shared_backends = django_settings.DATABASES["default"]["ENGINE"].startswith(
    "django.db.backends.postgresql"
) and django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
pytestmark = [
    pytest.mark.skipif(not shared_backends, reason="needs DATABASE_URL=postgres://… and CACHE_URL=redis://…"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


@pytest.fixture
def servers(fake):
    env = {
        "CACHE_URL": os.environ["CACHE_URL"],
        "CONDUCTOR_BASE_URL": fake.url,
        "CONDUCTOR_LIMIT_START": "1",
        "CONDUCTOR_WAIT_BUDGET": "2",
        "WEB_CONCURRENCY": "1",
    }
    with gunicorn_servers(2, **env) as urls:
        yield urls


@pytest.fixture
def setup(api_key, fake):
    bakery = make_company(api_key)
    builders = make_company(api_key, BUILDERS, "Northwind Builders LLC")
    staff = User.objects.create_user("sam", password=PASSWORD)
    staff.groups.add(support_group())
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    return bakery, builders


def test_a_session_made_on_one_server_works_on_the_other(servers, setup):
    cookies = sign_in(servers[0], "sam")
    response = httpx.get(servers[1] + "/", cookies=cookies)
    assert response.status_code == 200 and "Fulton Street Bakery Group" in response.text


def test_simultaneous_opens_through_either_server_make_one_upstream_call(servers, setup, fake):
    cookies = sign_in(servers[0], "sam")
    # A customer no other test opens: nothing another test left running asks for it.
    customer_id = fake.state.companies[BAKERY].customers[-1]["id"]
    fake.faults.add(Fault(customer_id=customer_id, latency=1.0))
    url = f"/end-users/{BAKERY}/customers/{customer_id}/"
    cache.clear()  # nothing saved of it before, from whatever ran on this machine
    barrier = threading.Barrier(40)

    def open_customer(i):
        with httpx.Client(base_url=servers[i % 2], cookies=cookies, timeout=30) as client:
            barrier.wait()
            return client.get(url).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(open_customer, range(40)))
    assert statuses == [200] * 40
    assert fake.stats[f"GET customer {customer_id}"] == 1, dict(fake.stats)
    # and the copy is shared: the other server serves it from the cache too
    for server in servers:
        assert httpx.get(server + url, cookies=cookies).status_code == 200
    assert fake.stats[f"GET customer {customer_id}"] == 1


def test_a_serial_quickbooks_keeps_a_short_queue_across_both_servers(servers, setup, fake):
    cookies = sign_in(servers[0], "sam")
    customers = [c["id"] for c in fake.state.companies[BUILDERS].customers[-8:]]  # no other test's
    fake.latency, fake.serial = 0.5, True
    # No saved copy of any of them, from whatever ran before on this machine: a page the
    # limit refuses would show one instead of saying it was refused.
    cache.clear()
    barrier = threading.Barrier(len(customers))

    def open_customer(i):
        with httpx.Client(base_url=servers[i % 2], cookies=cookies, timeout=30) as client:
            barrier.wait()
            return client.get(f"/end-users/{BUILDERS}/customers/{customers[i]}/").status_code

    with ThreadPoolExecutor(len(customers)) as pool:
        statuses = list(pool.map(open_customer, range(len(customers))))
    # each server's limit starts at one and, on a serial QuickBooks, only ever probes two
    assert fake.stats[f"max_in_flight {BUILDERS}"] <= 4
    # Eight half-second calls, two at a time, take four seconds: the last cannot start
    # within the 2 s budget (how many of the others could depends on the machine's load).
    assert statuses.count(200) >= 2 and statuses.count(503) >= 1, (statuses, dict(fake.stats))
    assert set(statuses) <= {200, 503}
    # A page refused was refused instead of queueing at QuickBooks: it never asked. (That
    # it is told before its budget runs out is test_company_limit's, with the clock given.)
    refused = [customer for customer, status in zip(customers, statuses, strict=True) if status == 503]
    assert all(fake.stats[f"GET customer {customer}"] == 0 for customer in refused), dict(fake.stats)


def test_an_admin_change_on_one_server_is_seen_on_the_other(servers, setup):
    bakery, _ = setup
    admin = sign_in(servers[0], "root")
    staff = sign_in(servers[1], "sam")
    assert httpx.get(f"{servers[1]}/end-users/{BAKERY}/customers/", cookies=staff).status_code in (200, 503)
    change = f"/admin/dashboard/company/{bakery.pk}/change/"
    with httpx.Client(base_url=servers[0], cookies=admin) as client:
        form = client.get(change).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        # the connection-history inline's management form goes back as it came
        management = dict(re.findall(r'name="([\w-]+_FORMS)"[^>]*value="(\d+)"', form))
        response = client.post(
            change,
            data={
                "csrfmiddlewaretoken": token,
                "name": bakery.name,
                "conductor_id": BAKERY,
                "api_key": bakery.api_key_id,
                "email": "",
                "source_id": "",  # is_active left out: unticked
                **management,
            },
            headers={"Referer": servers[0] + change},
        )
        assert response.status_code == 302, response.text[:1000]
    assert httpx.get(f"{servers[1]}/end-users/{BAKERY}/customers/", cookies=staff).status_code == 404
