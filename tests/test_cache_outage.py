"""A cache that fails (Redis away, a damaged disk shard) costs speed, never sign-in or a
page: its calls are misses, the failure is logged once, /readyz says which component is
not ready, and the audit trail records what the person actually got."""

import logging
import sqlite3
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.test import Client
from django.urls import reverse

from dashboard.caching import fail_soft
from dashboard.models import AuditEntry
from tests.conftest import BAKERY, EXAMPLE_ID

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
PASSWORD = "pw-for-tests-only"


@pytest.fixture
def redis_away(settings):
    """Redis at an address where nothing listens (this process has not seen it fail yet)."""
    fail_soft._failing.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.caching.fail_soft.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield


@pytest.fixture
def disk_cache(settings, tmp_path):
    """The shipped default, the on-disk cache, in a folder of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": "dashboard.caching.disk.DiskCache",
            "LOCATION": str(tmp_path / "cache"),
            "SHARDS": 8,
            "DATABASE_TIMEOUT": 0.25,
        }
    }
    yield tmp_path / "cache"


def damage(shard: Path) -> None:
    """What a full disk or a stray write leaves: the shard's file is no longer a database,
    as every connection opened from then on (a new thread, a restarted worker) finds it."""
    for opened in caches["default"]._cache._shards:  # type: ignore[attr-defined]  # diskcache's own
        opened.close()
    (shard / "cache.db").write_bytes(b"this is not a database" * 200)
    for extra in ("cache.db-wal", "cache.db-shm"):
        (shard / extra).unlink(missing_ok=True)


def sign_in(username: str) -> Client:
    browser = Client()
    response = browser.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return browser


@pytest.mark.django_db(transaction=True)
def test_with_redis_away_people_sign_in_and_see_pages(redis_away, support_user, company, fake, caplog):
    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    browser = sign_in(support_user.username)
    assert browser.get("/").status_code == 200
    page = browser.get(URL)
    assert page.status_code == 200 and "Website Redesign Project" in page.content.decode()
    assert browser.get(URL).status_code == 200  # nothing was cached: asked again, still shown
    assert fake.stats[f"GET customer {EXAMPLE_ID}"] == 2
    assert AuditEntry.objects.filter(action="view", outcome="ok").count() == 2
    records = caplog.get_records("setup") + caplog.get_records("call")
    warnings = [r.getMessage() for r in records if r.name == "dashboard.cache"]
    assert len(warnings) == 1 and "pages go on without it" in warnings[0]


@pytest.mark.django_db(transaction=True)
def test_readyz_names_the_cache_and_keeps_the_detail_in_the_log(redis_away, client, caplog):
    caplog.set_level(logging.WARNING)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: cache"
    assert "Redis does not answer (ConnectionError" in caplog.text


def test_a_damaged_shard_is_a_miss_then_set_aside_once(disk_cache, db, caplog):
    caplog.set_level(logging.WARNING, logger="dashboard.cache")
    keys = [f"key-{n}" for n in range(64)]  # lands on every shard
    cache.set_many({key: key for key in keys})
    damage(disk_cache / "003")
    assert 0 < len(cache.get_many(keys)) < len(keys)  # a miss on shard 3 only
    set_aside = list(disk_cache.glob("003.unreadable-*"))
    assert len(set_aside) == 1
    cache.set_many({key: key for key in keys})
    assert cache.get_many(keys) == {key: key for key in keys}  # the shard works again
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.cache"]
    assert sum("set aside" in line for line in lines) == 1, lines


def test_a_shard_damaged_while_closed_is_set_aside_when_the_cache_opens(disk_cache, settings, db):
    cache.set("before", 1)
    caches["default"]._cache.close()  # type: ignore[attr-defined]
    damage(disk_cache / "005")
    settings.CACHES = {"default": {**settings.CACHES["default"]}}  # a new process opening it
    assert cache.set("after", 2) is not False and cache.get("after") == 2
    assert list(disk_cache.glob("005.unreadable-*"))


def test_readyz_checks_every_shard(disk_cache, client, db, monkeypatch, caplog):
    from dashboard.caching import disk

    caplog.set_level(logging.WARNING)
    assert client.get("/readyz").status_code == 200
    damage(disk_cache / "006")
    assert client.get("/readyz").status_code == 200  # mended: set aside and started empty
    assert list(disk_cache.glob("006.unreadable-*"))
    # A shard that cannot be started again (a read-only disk, say) keeps it out of service.
    damage(disk_cache / "002")
    monkeypatch.setattr(disk.Cache, "set", lambda *a, **k: (_ for _ in ()).throw(sqlite3.OperationalError("disk I/O")))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: cache"
    assert "a cache shard cannot be used (OperationalError: disk I/O)" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_pages_and_sign_in_go_on_over_a_damaged_shard(disk_cache, support_user, company, fake):
    browser = sign_in(support_user.username)
    assert browser.get(URL).status_code == 200
    for shard in sorted(disk_cache.glob("[0-9][0-9][0-9]")):
        damage(shard)
    assert browser.get(URL).status_code == 200
    assert browser.get(f"/end-users/{BAKERY}/customers/", {"q": "smith"}).status_code == 200
    assert sign_in(support_user.username).get("/").status_code == 200


def test_a_page_that_failed_after_its_entry_is_not_audited_as_shown(support_client, company, fake, monkeypatch):
    from dashboard.views import customers

    def broken(*args, **kwargs):
        raise RuntimeError("the page failed after its entry was written")

    monkeypatch.setattr(customers, "render", broken)
    support_client.raise_request_exception = False
    response = support_client.get(URL)
    assert response.status_code == 500
    [entry] = AuditEntry.objects.filter(action="view")
    assert entry.outcome == "failed: the page could not be shown (HTTP 500)"


def test_redis_answering_with_an_error_is_a_miss_too(redis_away, monkeypatch):
    import redis

    class Full:
        def __getattr__(self, name):
            raise redis.exceptions.ResponseError("OOM command not allowed when used memory > 'maxmemory'.")

    monkeypatch.setattr(caches["default"]._cache, "get_client", lambda *args, **kwargs: Full())  # type: ignore[attr-defined]
    assert cache.get("record", "a miss") == "a miss"
    assert cache.set("record", 1) is False and cache.add("lock", 1) is True
    with pytest.raises(ValueError):
        cache.incr("counter")


def test_a_shard_that_cannot_be_started_again_is_still_only_a_miss(disk_cache, db, monkeypatch):
    from dashboard.caching import disk

    cache.set("before", 1)
    damage(disk_cache / "004")

    def no_room(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(disk, "Cache", no_room)
    keys = [f"key-{n}" for n in range(64)]
    assert cache.get_many(keys) == {}  # every call answers, as a miss where it must
    assert cache.set_many({key: key for key in keys}) is not None
