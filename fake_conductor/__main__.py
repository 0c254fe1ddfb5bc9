"""`python -m fake_conductor --port 8787 [--latency 0.2] [--serial] [--large-companies N --customers-each M
[--ledgers]]`: the stand-in Conductor on loopback."""

import argparse

from fake_conductor.data import DEMO_SECRET_KEY
from fake_conductor.server import FakeConductor, FakeState


def main() -> None:
    parser = argparse.ArgumentParser(prog="fake_conductor", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="Seconds added to every answer, like a slow QuickBooks."
    )
    parser.add_argument(
        "--serial",
        action="store_true",
        help="One QuickBooks request at a time per company file, the rest queued, as QuickBooks does.",
    )
    parser.add_argument(
        "--large-companies", type=int, default=0, help="Add this many generated companies (end_usr_large01, …)."
    )
    parser.add_argument("--customers-each", type=int, default=500, help="Customers in each generated company.")
    parser.add_argument(
        "--ledgers", action="store_true", help="Give the generated companies' customers their activity (~5 each)."
    )
    args = parser.parse_args()
    state = FakeState.seeded(args.large_companies, args.customers_each, args.ledgers)
    fake = FakeConductor(host=args.host, port=args.port, latency=args.latency, serial=args.serial, state=state)
    mode = "serial per company file" if args.serial else "parallel"
    print(f"Fake Conductor at {fake.url} (latency {args.latency:.3f}s, {mode}). Ctrl+C stops it.", flush=True)
    print(f"Demo secret key: {DEMO_SECRET_KEY[:17]}… (see fake_conductor/data.py)", flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.httpd.server_close()


if __name__ == "__main__":
    main()
