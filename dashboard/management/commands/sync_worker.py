"""Run a background worker for the customer index: schedules the periodic sync if it is
not scheduled yet, then runs django-tasks-db's worker on the sync queue and the mail queue
(documents emailed to customers, dashboard/mail.py).

The worker outlives a database that fails for a while (SQLite's file locked past its
busy timeout, PostgreSQL restarting): it logs the error, waits (1 s, doubling to a
minute) and carries on, instead of exiting and leaving the index to go out of step
silently. While it runs it says so in the database every HEARTBEAT_SECONDS, so the home
page and admin can tell when no worker is running.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from dashboard import mail
from dashboard.customer_index.models import SyncWorker
from dashboard.customer_index.tasks import QUEUE, ensure_scheduled

logger = logging.getLogger("dashboard.sync")

# Database errors that pass: a lock held too long, a connection lost or refused.
TRANSIENT = (OperationalError, InterfaceError)
FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 60.0
# A failure this long after the previous one starts the pauses from the first again.
CALM_SECONDS = 300.0


def _sleep(seconds: float) -> None:  # a seam for tests
    time.sleep(seconds)


def _monotonic() -> float:  # a seam for tests
    return time.monotonic()


class ResilientWorker(Worker):
    """django-tasks-db's worker, started again after a transient database error."""

    def run(self) -> None:
        pause, last_failure = FIRST_PAUSE_SECONDS, None
        while True:
            try:
                ensure_scheduled()  # the periodic sync may have been lost with the failure
                super().run()
                return  # a batch that ran out of tasks, or a graceful stop
            except TRANSIENT as exc:
                now = _monotonic()
                if last_failure is None or now - last_failure > CALM_SECONDS:
                    pause = FIRST_PAUSE_SECONDS
                last_failure = now
                logger.warning(
                    "sync worker: database error (%s: %s); going on in %.0f s", type(exc).__name__, exc, pause
                )
                _note(self.worker_id, last_error=f"{type(exc).__name__}: {exc}"[:500])
                if not self.running:
                    return
                _sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def _note(worker_id: str, **fields: Any) -> None:
    """Say in the database that this worker is alive (and anything else it has to say);
    a database that cannot take it now hears from the worker next time."""
    now = timezone.now()
    try:
        SyncWorker.objects.update_or_create(
            worker_id=worker_id,
            defaults={"last_seen_at": now, **fields},
            create_defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen_at": now,
                **fields,
            },
        )
    except DatabaseError as exc:
        logger.warning("sync worker: could not say it is alive (%s)", type(exc).__name__)


def _heartbeat(worker_id: str, stop: threading.Event) -> None:
    """The heartbeat's own thread (its own connection, dropped when it fails)."""
    while not stop.wait(SyncWorker.HEARTBEAT_SECONDS):
        _note(worker_id)
        close_old_connections()
    connections.close_all()


class Command(BaseCommand):
    help = "Keep every company's customer index in step with QuickBooks (runs until stopped)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due now, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = ResilientWorker(
            # Emails to customers (dashboard/mail.py) as well: a person asked for them,
            # and they go first (their priority is higher than a sync's).
            queue_names=[mail.QUEUE, QUEUE],
            interval=1,
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        # Rows of workers long gone are not worth keeping beside the living.
        SyncWorker.objects.filter(last_seen_at__lt=timezone.now() - timedelta(days=7)).delete()
        _note(worker.worker_id, stopped_at=None)
        stop = threading.Event()
        beating = threading.Thread(target=_heartbeat, args=(worker.worker_id, stop), daemon=True)
        beating.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            beating.join(timeout=5)
            _note(worker.worker_id, stopped_at=timezone.now())
