"""The sync worker outlives a database that fails for a while, is restarted when it dies
anyway, and says when it was last seen (home page and admin), so a missing worker is
never silent."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker

from dashboard.customer_index.models import CompanySync, SyncWorker
from dashboard.management.commands import sync_worker

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def pauses(monkeypatch):
    """The worker's pauses, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(sync_worker, "_sleep", slept.append)
    return slept


def failing_first(monkeypatch, times: int):
    """The library's worker loop fails `times` times with a locked database, then runs."""
    runs = []
    run = Worker.run

    def flaky(self):
        runs.append(1)
        if len(runs) <= times:
            raise OperationalError("database is locked")
        return run(self)

    monkeypatch.setattr(Worker, "run", flaky)
    return runs


# The worker's loop closes connections that are not in autocommit: as in production, none is.
@pytest.mark.django_db(transaction=True)
def test_the_worker_outlives_a_locked_database(company, fake, monkeypatch, pauses):
    runs = failing_first(monkeypatch, 1)
    call_command("sync_worker", "--batch")
    assert len(runs) == 2 and pauses == [1.0]
    assert CompanySync.objects.get(company=company).ready  # the sync ran after all
    [worker] = SyncWorker.objects.all()
    assert worker.last_error == "OperationalError: database is locked" and worker.stopped_at


@pytest.mark.django_db(transaction=True)
def test_its_pauses_double_up_to_a_minute(monkeypatch, pauses):
    failing_first(monkeypatch, 8)
    call_command("sync_worker", "--batch")
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


@pytest.mark.django_db(transaction=True)
def test_a_failure_long_after_the_last_starts_from_the_first_pause(monkeypatch, pauses):
    failing_first(monkeypatch, 3)
    clock = iter([0.0, 10.0, 10.0 + sync_worker.CALM_SECONDS + 1])
    monkeypatch.setattr(sync_worker, "_monotonic", lambda: next(clock))
    call_command("sync_worker", "--batch")
    assert pauses == [1.0, 2.0, 1.0]


@pytest.mark.django_db(transaction=True)
def test_another_error_still_stops_it(monkeypatch, pauses):
    def broken(self):
        raise RuntimeError("a bug, not a passing failure")

    monkeypatch.setattr(Worker, "run", broken)
    with pytest.raises(RuntimeError):
        call_command("sync_worker", "--batch")
    assert pauses == [] and SyncWorker.objects.get().stopped_at  # and it says it stopped


def seen(ago: timedelta, **fields) -> SyncWorker:
    now = timezone.now()
    return SyncWorker.objects.create(
        worker_id=f"w{ago.total_seconds():.0f}",
        host="box",
        pid=1,
        started_at=now - ago,
        last_seen_at=now - ago,
        **fields,
    )


def test_the_home_page_says_when_no_worker_is_running(support_client, company):
    assert "None has run yet" in support_client.get("/").content.decode()
    seen(timedelta(minutes=20))
    page = support_client.get("/").content.decode()
    assert "No sync worker is running" in page and "20\xa0minutes ago" in page
    seen(timedelta(seconds=10))
    page = support_client.get("/").content.decode()
    assert "No sync worker is running" not in page and "Sync worker last seen" in page


def test_a_worker_that_stopped_is_not_running(support_client, company):
    seen(timedelta(seconds=10), stopped_at=timezone.now())
    assert "(it was stopped)" in support_client.get("/").content.decode()


def test_admin_says_whether_a_worker_is_running(admin_client, company):
    page = admin_client.get(f"/admin/dashboard/company/{company.pk}/change/").content.decode()
    assert "No sync worker has run yet" in page
    seen(timedelta(seconds=5))
    page = admin_client.get(f"/admin/dashboard/company/{company.pk}/change/").content.decode()
    assert "Sync worker running on box" in page
    assert admin_client.get("/admin/customer_index/syncworker/").status_code == 200


def test_the_demo_and_compose_restart_a_worker_that_died():
    demo = (ROOT / "Makefile").read_text().split("\ndemo:", 1)[1]
    assert re.search(r"while :; do .*manage\.py sync_worker", demo), "make demo runs the worker in a restart loop"
    # The recipe runs under `set -e`: a worker that died must not end the loop with it.
    assert re.search(r"manage\.py sync_worker\s*\\?\s*\|\|", demo), "a worker's failure is caught inside the loop"
    compose = (ROOT / "docker-compose.yml").read_text()
    worker = compose.split("\n  worker:", 1)[1].split("\n  db:", 1)[0]
    assert "restart: unless-stopped" in worker
