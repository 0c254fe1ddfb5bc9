"""Two app servers (real gunicorn processes) on one PostgreSQL and one Redis, with the
fake Conductor behind them: the cache, coalescing and the bulkhead hold across both,
sessions work whichever server answers, and an admin change on one is seen on the other.

Runs when the suite itself runs on PostgreSQL and Redis (DATABASE_URL / CACHE_URL, as
.ci/run's second pass does); the servers then use the suite's own test database.
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.db import connection

from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, make_company, support_group

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = "end_usr_demoBuilders02"
PASSWORD = "scale-out-password-1"

shared_backends = django_settings.DATABASES["default"]["ENGINE"].startswith(
    "django.db.backends.postgresql"
) and django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
pytestmark = [
    pytest.mark.skipif(not shared_backends, reason="needs DATABASE_URL=postgres://… and CACHE_URL=redis://…"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict  # the suite's test database, not the configured one
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def servers(fake):
    env = {
        **os.environ,
        "DASHBOARD_DEMO": "1",  # the same demo SECRET_KEY on both, as one deployment shares one
        "DATABASE_URL": database_url(),
        "CACHE_URL": os.environ["CACHE_URL"],
        "CONDUCTOR_BASE_URL": fake.url,
        "CONDUCTOR_MAX_CALLS_PER_COMPANY": "2",
        "CONDUCTOR_BULKHEAD_WAIT": "0.5",
        "CONDUCTOR_MAX_RETRIES": "0",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "32",
        "LOG_LEVEL": "WARNING",
    }
    processes, urls = [], []
    for _ in range(2):
        port = free_port()
        processes.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{url} did not become ready")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


@pytest.fixture
def setup(api_key, fake):
    bakery = make_company(api_key)
    builders = make_company(api_key, BUILDERS, "Northwind Builders LLC")
    staff = User.objects.create_user("sam", password=PASSWORD)
    staff.groups.add(support_group())
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    return bakery, builders


def sign_in(base_url: str, username: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
            headers={"Referer": base_url + "/accounts/login/"},
        )
        assert response.status_code == 302, response.text[:500]
        return client.cookies


def test_a_session_made_on_one_server_works_on_the_other(servers, setup):
    cookies = sign_in(servers[0], "sam")
    response = httpx.get(servers[1] + "/", cookies=cookies)
    assert response.status_code == 200 and "Fulton Street Bakery Group" in response.text


def test_simultaneous_opens_through_either_server_make_one_upstream_call(servers, setup, fake):
    cookies = sign_in(servers[0], "sam")
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=1.0))
    url = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
    barrier = threading.Barrier(40)

    def open_customer(i):
        with httpx.Client(base_url=servers[i % 2], cookies=cookies, timeout=30) as client:
            barrier.wait()
            return client.get(url).status_code

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(open_customer, range(40)))
    assert statuses == [200] * 40
    assert fake.stats[f"GET customer {EXAMPLE_ID}"] == 1
    # and the copy is shared: the other server serves it from the cache too
    for server in servers:
        assert httpx.get(server + url, cookies=cookies).status_code == 200
    assert fake.stats[f"GET customer {EXAMPLE_ID}"] == 1


def test_the_bulkhead_holds_across_both_servers(servers, setup, fake):
    cookies = sign_in(servers[0], "sam")
    customers = [c["id"] for c in fake.state.companies[BUILDERS].customers[:6]]
    fake.faults.add(Fault(end_user_id=BUILDERS, latency=1.5))
    barrier = threading.Barrier(len(customers))

    def open_customer(i):
        with httpx.Client(base_url=servers[i % 2], cookies=cookies, timeout=30) as client:
            barrier.wait()
            return client.get(f"/end-users/{BUILDERS}/customers/{customers[i]}/").status_code

    with ThreadPoolExecutor(len(customers)) as pool:
        statuses = list(pool.map(open_customer, range(len(customers))))
    assert fake.stats[f"max_in_flight {BUILDERS}"] <= 2  # the cap is 2 for both servers together
    assert statuses.count(503) >= 2 and statuses.count(200) >= 2


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
