"""Bring the local copy (customers and transactions) in step now, in the foreground, company by company.

SIGTERM (a deploy stopping it) ends it as Ctrl-C does: the sync in progress stops and
lets go of its company's lease at once, instead of holding it for the lease's full term.
"""

import signal
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dashboard.customer_index.sync import sync_company
from dashboard.models import Company


class Command(BaseCommand):
    help = "Sync the local copy of every active company (or one) now; exits non-zero if any failed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--company", metavar="END_USER_ID", help="Only this company (its end_usr_ id).")
        parser.add_argument(
            "--full", action="store_true", help="Read every customer and transaction again, not only changes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        previous = signal.signal(signal.SIGTERM, stop_gracefully)
        try:
            self.sync(options["company"], full=options["full"])
        finally:
            signal.signal(signal.SIGTERM, previous)

    def sync(self, only: str | None, *, full: bool) -> None:
        companies = Company.objects.active().order_by("name")
        if only:
            companies = companies.filter(conductor_id=only)
            if not companies:
                raise CommandError(f"No active company {only}.")
        failed = []
        for company in companies:
            report = sync_company(company, full=full)
            line = (
                f"{company.name} ({company.conductor_id}): {report.kind}, {report.pages} requests, "
                f"stored {report.changed} customers and {report.transactions_changed} transactions, "
                f"removed {report.deleted} customers and {report.transactions_deleted} transactions"
            )
            if report.kind == "skipped":
                line = f"{company.name} ({company.conductor_id}): skipped, another worker is syncing it"
                if only:  # the one company asked for was not brought in step
                    raise CommandError(line)
            if report.error:
                failed.append(company.conductor_id)
                self.stderr.write(f"{line}; stopped: {report.error}")
            else:
                self.stdout.write(line)
        if failed:
            raise CommandError(f"{len(failed)} companies could not be synced: {', '.join(failed)}")


def stop_gracefully(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: unwinds the sync, whose `finally` releases the lease."""
    sys.exit(128 + signum)
