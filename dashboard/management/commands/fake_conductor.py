"""Kept so scripts that run `manage.py fake_conductor` keep working; the fake itself is
the top-level package `fake_conductor` (`python -m fake_conductor`), which the
production image does not contain. Every argument goes to it as given
(`manage.py fake_conductor --port 8787 --latency 0.2 --serial`)."""

import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the fake Conductor API (demo, tests, benchmarks) on loopback: python -m fake_conductor --help."

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            from fake_conductor import __main__ as fake_main
        except ImportError:
            raise CommandError(
                "The fake Conductor is not part of this installation "
                "(it ships with the source tree, not the production image)."
            ) from None
        sys.argv = ["fake_conductor", *argv[2:]]
        fake_main.main()
