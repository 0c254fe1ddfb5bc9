import json
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache

from dashboard.caching import company_limit
from dashboard.caching.side_by_side import settle
from dashboard.lookups import customer_page
from dashboard.models import ApiKey, Company
from fake_conductor.data import DEMO_SECRET_KEY
from fake_conductor.server import FakeConductor, FakeState

# The contract as the project keeps it (the fake and the tests read this copy), and the
# shared folder it is copied from, which only a development checkout has beside it.
CONTRACT = Path(__file__).resolve().parents[1] / "fake_conductor" / "contract"
SHARED_CONTRACT = Path(__file__).resolve().parents[2] / "shared" / "conductor"
EXAMPLE_ID = "80000001-1234567890"
BAKERY = "end_usr_demoBakery01"
DENTAL_OFFLINE = "end_usr_demoDental03"
GARDEN_NOT_SET_UP = "end_usr_demoGarden04"


@contextmanager
def clock_moved_on(seconds: float):
    """The wall clock `seconds` later, and held there: whatever was fetched before is
    that much older, to the second (the monotonic clock, which limits and budgets use,
    is left alone)."""
    with time_machine.travel(time.time() + seconds, tick=False):
        yield


def wait_for(condition, within: float = 30.0) -> None:
    """Wait until `condition()` holds; fail only if it still does not after `within`
    seconds, far beyond what any machine needs (the outcome is the condition's)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.005)


def upstream_requests(fake) -> int:
    """Requests the fake answered for QuickBooks data since its counters were reset
    (its stats also count per customer, under keys that are not paths)."""
    return sum(n for key, n in fake.stats.items() if key.startswith("GET /"))


def contract_file(name: str) -> Path:
    return CONTRACT / name


def nullable_customer_keys() -> list[str]:
    """The customer keys the contract lets be null (43 of its 56), in its order."""
    schema = json.loads(contract_file("openapi-subset.json").read_text())["components"]["schemas"]["qbd_customer"]

    def nullable(prop: dict) -> bool:
        kinds = prop.get("type")
        return (isinstance(kinds, list) and "null" in kinds) or any(
            option.get("type") == "null" for option in prop.get("anyOf", []) + prop.get("oneOf", [])
        )

    return [key for key, prop in schema["properties"].items() if nullable(prop)]


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with no cached customers, searches, pages or bulkhead slots."""
    cache.clear()
    company_limit.forget()
    customer_page.forget()
    yield
    cache.clear()
    company_limit.forget()
    customer_page.forget()


@pytest.fixture
def example_customer() -> dict:
    return json.loads(contract_file("customer-example.json").read_text())


@pytest.fixture(scope="session")
def fake_server():
    server = FakeConductor().start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server, settings):
    """The fake Conductor on a free loopback port, with faults, counters and its
    seeded data fresh for each test. A lookup started beside another and left to
    finish (the jump box's invoice number), and a request its client gave up on while
    the fake still works on it, end before the counters and the cache are reset, so
    none lands in another test."""
    settle()
    fake_server.stop_hanging()
    wait_for(lambda: fake_server.in_flight() == 0)
    # What such a request's caller cached when its answer came back (after empty_cache
    # ran) is not this test's either.
    cache.clear()
    fake_server.reset()
    fake_server.state = FakeState.seeded()
    fake_server.latency, fake_server.serial = 0.0, False
    settings.CONDUCTOR_BASE_URL = fake_server.url
    yield fake_server
    settle()
    fake_server.reset()
    fake_server.latency, fake_server.serial = 0.0, False


@pytest.fixture
def api_key(db) -> ApiKey:
    key = ApiKey(name="demo")
    key.set_secret(DEMO_SECRET_KEY)
    key.save()
    return key


def make_company(api_key: ApiKey, conductor_id: str = BAKERY, name: str = "Fulton Street Bakery Group") -> Company:
    return Company.objects.create(conductor_id=conductor_id, name=name, api_key=api_key)


@pytest.fixture
def company(api_key) -> Company:
    return make_company(api_key)


def support_group() -> Group:
    """The Support group the data migration creates; made again here because
    transactional tests flush the database, migrations' data included."""
    group, _ = Group.objects.get_or_create(name="Support")
    group.permissions.add(Permission.objects.get(content_type__app_label="dashboard", codename="view_customers"))
    return group


@pytest.fixture
def support_user(db) -> User:
    user = User.objects.create_user("sam", password="pw-for-tests-only")
    user.groups.add(support_group())
    return user


@pytest.fixture
def support_client(client, support_user):
    client.force_login(support_user)
    return client


def cached_raw_values() -> list[bytes]:
    """Every value in the cache as stored (pickled), whatever the backend: what an
    attacker who reads the cache would see."""
    import pickle
    import sqlite3

    import diskcache
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache, _caches  # type: ignore[attr-defined]
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        return [value for store in _caches.values() for value in store.values()]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        return [client.get(key) or b"" for key in client.keys("*")]  # type: ignore[misc]  # bytes, unless decoding
    if isinstance(backend, diskcache.DjangoCache):
        # Straight from its files: each shard's SQLite rows (pickles as stored; plain
        # numbers and text, which it keeps unpickled, pickled here so every value reads
        # one way), and the values it keeps in files of their own.
        values: list[bytes] = []
        for path in Path(backend.directory).rglob("*"):
            if path.name == "cache.db":
                with sqlite3.connect(path) as db:
                    for mode, value in db.execute("SELECT mode, value FROM Cache WHERE value IS NOT NULL"):
                        values.append(bytes(value) if mode == diskcache.core.MODE_PICKLE else pickle.dumps(value))
            elif path.is_file() and path.suffix == ".val":
                values.append(path.read_bytes())
        return values
    raise NotImplementedError(type(backend).__name__)
