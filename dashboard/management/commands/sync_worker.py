"""Run a background worker for the customer index: schedules the periodic sync if it is
not scheduled yet, then runs django-tasks-db's worker on the sync queue."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from dashboard.customer_index.tasks import QUEUE, ensure_scheduled


class Command(BaseCommand):
    help = "Keep every company's customer index in step with QuickBooks (runs until stopped)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is due now, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        ensure_scheduled()
        call_command("db_worker", queue_name=QUEUE, batch=options["batch"], reload=False, startup_delay=False)
