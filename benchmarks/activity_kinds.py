"""Benchmark: a customer's account activity when its lists are slower than a record.

    make bench            (runs this after benchmarks/run.py)
    .venv/bin/python benchmarks/activity_kinds.py [--pages 8] [--list-seconds 1.0]

QuickBooks answers a customer record in a fraction of a second and a list of invoices
in seconds. On a parallel upstream (the fake, records at 100 ms, every transaction list
at --list-seconds), Northwind's customers are opened one after another, each with its
activity, on the shipped defaults. Reported: the time from asking for the activity to
having it, as a ratio to one list's latency, for the pages after the first three (by
then the per-company limit has learned what it will). About 1 means the page's four
lists went to QuickBooks side by side; about 4, one after another.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from in_process import shipped_defaults  # noqa: E402

BUILDERS = "end_usr_demoBuilders02"
LISTS = ("invoices", "credit-memos", "payments", "transactions")
LEARNING_PAGES = 3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--list-seconds", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "activity_kinds_results.json"))
    args = parser.parse_args()

    shipped_defaults("dashboard-activity-bench-")
    from fake_conductor.server import FakeConductor, Fault

    fake = FakeConductor(latency=0.1).start()
    os.environ["CONDUCTOR_BASE_URL"] = fake.url
    for path in LISTS:
        fake.faults.add(Fault(path=f"/quickbooks-desktop/{path}", latency=args.list_seconds - fake.latency))

    import django

    django.setup()
    from django.core.management import call_command

    from dashboard.lookups import activity, customer_page
    from dashboard.models import ApiKey, Company
    from fake_conductor.data import DEMO_SECRET_KEY

    call_command("migrate", verbosity=0)
    api_key = ApiKey(name="bench")
    api_key.set_secret(DEMO_SECRET_KEY)
    api_key.save()
    company = Company.objects.create(name="Northwind", conductor_id=BUILDERS, api_key=api_key)

    customer_ids = [c["id"] for c in fake.state.companies[BUILDERS].customers][: args.pages]
    seconds = []
    for customer_id in customer_ids:
        customer = customer_page.fetch_customer(company, customer_id).value
        started = time.perf_counter()
        activity.fetch_activity(company, customer)
        seconds.append(time.perf_counter() - started)
    fake.stop()

    measured = seconds[LEARNING_PAGES:]
    results = {
        "list_seconds": args.list_seconds,
        "record_seconds": 0.1,
        "pages_measured": len(measured),
        "activity_p50_ratio_to_one_list": round(statistics.median(measured) / args.list_seconds, 2),
        "activity_max_ratio_to_one_list": round(max(measured) / args.list_seconds, 2),
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
