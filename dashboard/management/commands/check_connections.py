from concurrent.futures import ThreadPoolExecutor

from django.core.management.base import BaseCommand, CommandError

from dashboard import connections
from dashboard.failures import KeyUnreadableError
from dashboard.models import Company, ConnectionStatus


class Command(BaseCommand):
    help = (
        "Check every active company's QuickBooks connection, a few at a time, each within a "
        "time budget; store the results and their history. Exits 1 when any company is "
        "offline or failing (for cron or a container health job)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=4, help="companies checked at once (default 4)")
        parser.add_argument("--timeout", type=float, default=20.0, help="seconds per company (default 20)")

    def handle(self, *args, concurrency, timeout, **options):
        if concurrency < 1 or timeout <= 0:
            raise CommandError("--concurrency must be at least 1 and --timeout above 0.")
        companies = list(Company.objects.active().select_related("api_key"))
        if not companies:
            self.stdout.write("No active companies to check.")
            return
        # Keys are decrypted here; the probes (no database) run side by side; the
        # results are stored back here, in this thread.
        probes = {}
        results = {}
        # Each probe is bounded by its own budget (the client's timeout), so the pool
        # always drains: about (companies / concurrency) budgets at the very worst.
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for company in companies:
                try:
                    conductor = company.conductor()
                except KeyUnreadableError as exc:
                    results[company.pk] = connections.unreadable_key_result(exc)
                    continue
                probes[company.pk] = pool.submit(connections.probe_connection, conductor, timeout)
        for company in companies:
            probe = probes.get(company.pk)
            if probe is not None:
                try:
                    results[company.pk] = probe.result()
                except Exception as exc:  # a bug must not hide the other companies' results
                    results[company.pk] = connections.CheckResult(
                        ConnectionStatus.ERROR, f"The check failed: {type(exc).__name__}", "", None
                    )
            connections.store_check(company, results[company.pk])

        failing = 0
        for company in companies:
            result = results[company.pk]
            line = f"{company.name} ({company.conductor_id}): {ConnectionStatus(result.status).label}"
            if result.message:
                line += f": {result.message}"
            if result.status in (ConnectionStatus.OFFLINE, ConnectionStatus.ERROR):
                failing += 1
                self.stdout.write(self.style.ERROR(line))
            elif result.status == ConnectionStatus.SETUP_UNFINISHED:
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stdout.write(self.style.SUCCESS(line))
        if failing:
            raise CommandError(f"{failing} of {len(companies)} companies are offline or failing.", returncode=1)
        self.stdout.write(f"Checked {len(companies)} companies.")
