"""Health and readiness endpoints, and the per-request log line."""

import json
import logging
import sqlite3
import time

import pytest
from django.db import connection

from dashboard.logs import JsonFormatter
from tests.conftest import BAKERY, EXAMPLE_ID

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"


def test_healthz_touches_nothing(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").content == b"ok"


def test_probes_answer_whatever_host_the_orchestrator_uses(client, db):
    assert client.get("/healthz", HTTP_HOST="10.0.0.5:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="localhost").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.5:8000").status_code == 400  # everything else checks


def test_readyz_says_ready_when_database_and_cache_answer(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.content == b"ready"
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_503_when_the_database_fails(client, db, monkeypatch, caplog):
    from dashboard import health

    class Unreachable:
        def cursor(self):
            raise connection.Database.OperationalError("connection refused")  # type: ignore[attr-defined]

    monkeypatch.setattr(health, "connection", Unreachable())
    caplog.set_level(logging.WARNING)
    response = client.get("/readyz")
    # Anyone may ask: the answer names the component, the log has the detail.
    assert response.status_code == 503 and response.content == b"not ready: database"
    assert "not ready: database: OperationalError: connection refused" in caplog.text


def test_readyz_is_503_when_another_kind_of_cache_fails(client, db, monkeypatch, settings, caplog):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    def broken(*args, **kwargs):
        raise ConnectionError("memcached is away")

    monkeypatch.setattr(caches["default"], "set", broken)
    caplog.set_level(logging.WARNING)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content == b"not ready: cache"
    assert "ConnectionError: memcached is away" in caplog.text


def log_lines(caplog):
    return [r for r in caplog.records if r.name == "dashboard.requests"]


def test_one_line_per_request_with_user_status_duration_and_conductor_ids(support_client, company, fake, caplog):
    caplog.set_level(logging.INFO, logger="dashboard.requests")
    response = support_client.get(URL, HTTP_X_REQUEST_ID="from-the-proxy-123")
    [record] = log_lines(caplog)
    line = record.getMessage()
    assert response["X-Request-ID"] == "from-the-proxy-123"
    assert f"GET {URL} status=200" in line and "user=sam" in line and "request_id=from-the-proxy-123" in line
    assert "duration_ms=" in line
    # the retrieve only: the job tree and the activity are fetched after the page is answered
    assert len(record.conductor_request_ids) == 1
    assert all(rid.startswith("req_fake") for rid in record.conductor_request_ids)


def test_a_made_up_request_id_is_replaced(db, caplog):
    from django.test import Client

    caplog.set_level(logging.INFO, logger="dashboard.requests")
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 16
    assert "user=-" in log_lines(caplog)[0].getMessage()


def test_the_json_format_is_one_object_per_line_with_the_fields(support_client, company, fake, caplog):
    caplog.set_level(logging.INFO, logger="dashboard.requests")
    support_client.get(URL)
    entry = json.loads(JsonFormatter().format(log_lines(caplog)[0]))
    assert entry["logger"] == "dashboard.requests" and entry["status"] == 200 and entry["user"] == "sam"
    assert entry["path"] == URL and entry["request_id"] and len(entry["conductor_request_ids"]) == 1
    assert isinstance(entry["duration_ms"], float)


@pytest.mark.parametrize("log_format,formatter", [("json", "json"), ("plain", "plain")])
def test_the_log_format_is_chosen_by_setting(log_format, formatter):
    import subprocess
    import sys
    from pathlib import Path

    code = "from django.conf import settings as s; print(s.LOGGING['handlers']['console']['formatter'])"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dashboard.settings'; django.setup(); {code}",
        ],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DASHBOARD_DEMO": "1", "LOG_FORMAT": log_format},
    )
    assert result.stdout.strip() == formatter, result.stderr


# --- a locked database ---------------------------------------------------------------


@pytest.fixture
def locked_sqlite_file(support_client, company, fake):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's file lock; PostgreSQL has lock timeouts of its own")
    support_client.get(f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/")  # cached: only the audit write is left
    locker = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    locker.execute("BEGIN EXCLUSIVE")
    yield
    locker.rollback()
    locker.close()


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_is_a_clear_503_within_seconds(support_client, locked_sqlite_file):
    started = time.monotonic()
    response = support_client.get(f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/")
    waited = time.monotonic() - started
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "The dashboard's database is busy" in response.content.decode()
    assert "Website Redesign Project" not in response.content.decode()  # nothing shown unrecorded
    assert waited < 6


@pytest.mark.django_db(transaction=True)
def test_readyz_says_when_the_database_cannot_take_a_write(client, locked_sqlite_file):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.content.decode()
