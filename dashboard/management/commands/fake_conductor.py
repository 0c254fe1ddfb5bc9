"""Kept so scripts that run `manage.py fake_conductor` keep working; the fake itself is
the top-level package `fake_conductor` (`python -m fake_conductor`), which the
production image does not contain."""

import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the fake Conductor API (demo, tests, benchmarks) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8787)
        parser.add_argument(
            "--latency", type=float, default=0.0, help="Seconds added to every answer, like a slow QuickBooks."
        )
        parser.add_argument(
            "--serial",
            action="store_true",
            help="One QuickBooks request at a time per company file, as QuickBooks does.",
        )

    def handle(self, *args, host, port, latency, serial, **options):
        try:
            from fake_conductor import __main__ as fake_main
        except ImportError:
            raise CommandError(
                "The fake Conductor is not part of this installation "
                "(it ships with the source tree, not the production image)."
            ) from None
        sys.argv = ["fake_conductor", "--host", host, "--port", str(port), "--latency", str(latency)]
        if serial:
            sys.argv.append("--serial")
        fake_main.main()
