from django.core.management.base import BaseCommand

from dashboard.fake_conductor.data import DEMO_SECRET_KEY
from dashboard.fake_conductor.server import FakeConductor


class Command(BaseCommand):
    help = "Run the fake Conductor API (demo, tests, benchmarks) on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8787)
        parser.add_argument("--latency", type=float, default=0.0,
                            help="Seconds added to every answer, like a slow QuickBooks.")

    def handle(self, *args, host, port, latency, **options):
        fake = FakeConductor(host=host, port=port, latency=latency)
        self.stdout.write(f"Fake Conductor at {fake.url} (latency {latency:.3f}s). Ctrl+C stops it.")
        self.stdout.write(f"Demo secret key: {DEMO_SECRET_KEY[:17]}… (see dashboard/fake_conductor/data.py)")
        try:
            fake.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            fake.httpd.server_close()
