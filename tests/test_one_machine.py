"""The shipped default on one machine: every worker shares one cache (diskcache under
var/cache/), so a customer fetched by one worker is served by the others, simultaneous
opens make one upstream call whichever worker takes them, and saved copies outlive a
restart. Two gunicorn servers of one worker each stand for two workers of one server:
unlike workers behind one socket, each can be asked on purpose."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.contrib.auth.models import User

from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, make_company, support_group
from tests.servers import PASSWORD, gunicorn_servers, sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
RETRIEVES = f"GET customer {EXAMPLE_ID}"


@pytest.fixture
def staff(api_key):
    make_company(api_key)
    User.objects.create_user("sam", password=PASSWORD).groups.add(support_group())


def test_workers_share_one_cache_and_it_outlives_a_restart(staff, fake, tmp_path):
    env = {
        "CONDUCTOR_BASE_URL": fake.url,
        "CACHE_DIR": str(tmp_path / "cache"),  # the default backend, in a folder of this test's own
        "WEB_CONCURRENCY": "1",
    }
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=0.5))
    with gunicorn_servers(2, **env) as servers:
        cookies = sign_in(servers[0], "sam")
        barrier = threading.Barrier(50)

        def open_it(i):
            with httpx.Client(base_url=servers[i % 2], cookies=cookies, timeout=30) as client:
                barrier.wait()
                return client.get(URL).status_code

        with ThreadPoolExecutor(50) as pool:
            statuses = list(pool.map(open_it, range(50)))
        assert statuses == [200] * 50
        assert fake.stats[RETRIEVES] == 1  # fifty opens through both workers, one call
        # the copy one worker fetched is served by the other too
        for server in servers:
            assert httpx.get(server + URL, cookies=cookies).status_code == 200
        assert fake.stats[RETRIEVES] == 1

    fake.faults.clear()
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="qbd_offline"))
    with gunicorn_servers(1, **env) as (restarted,):
        # a Refresh asks QuickBooks again whatever the copy's age; offline, the copy saved
        # before the restart is shown
        response = httpx.get(restarted + URL + "?refresh=1", cookies=cookies, follow_redirects=True)
    assert response.status_code == 200
    assert "QuickBooks is unreachable right now." in response.text and "saved copy" in response.text
