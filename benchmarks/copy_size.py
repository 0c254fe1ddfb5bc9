"""Benchmark: the local copy's size on disk, on SQLite (the default) or PostgreSQL.

    .venv/bin/python benchmarks/copy_size.py [--customers 5000]
        [--database-url postgres://…] [--out FILE]

The fake Conductor generates one company of `--customers` customers with their activity
(about five invoices, payments, credit memos and sales receipts each); the dashboard
copies it with its own sync, then the copy's tables and their indexes are measured:
MB per 100,000 customers and per 1,000,000 transactions. On SQLite this is also in
benchmarks/local_copy.py (section 1); this script exists for PostgreSQL, where the
database is not a file of the run's own. On PostgreSQL it empties the database given.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from in_process import shipped_defaults  # noqa: E402

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

CUSTOMER_TABLES = ("dashboard_indexedcustomer",)
TRANSACTION_TABLES = ("customer_index_copiedtransaction",)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    scratch = shipped_defaults("dashboard-copy-size-", args.database_url)

    from fake_conductor.server import FakeConductor, FakeState

    fake = FakeConductor(state=FakeState.seeded(large_companies=1, customers_each=args.customers, ledgers=True))
    fake.start()
    os.environ["CONDUCTOR_BASE_URL"] = fake.url

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dashboard.customer_index.sync import sync_company
    from dashboard.models import ApiKey, Company
    from fake_conductor.data import DEMO_SECRET_KEY

    if "dashboard_company" in connection.introspection.table_names():
        call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", verbosity=0)
    key = ApiKey(name="bench")
    key.set_secret(DEMO_SECRET_KEY)
    key.save()
    company = Company.objects.create(conductor_id="end_usr_large01", name="Large Company 1", api_key=key)
    started = time.perf_counter()
    outcome = sync_company(company)
    if not outcome.ok:
        raise SystemExit(f"the copy could not be made: {outcome}")
    seconds = time.perf_counter() - started

    customer_bytes, transaction_bytes = _bytes(connection, CUSTOMER_TABLES), _bytes(connection, TRANSACTION_TABLES)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM dashboard_indexedcustomer")
        customers = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM customer_index_copiedtransaction")
        transactions = cursor.fetchone()[0]
    results = {
        "database": connection.vendor,
        "customers": customers,
        "transactions": transactions,
        "copy_seconds_at_no_latency": round(seconds, 1),
        "mb_per_100000_customers": round(customer_bytes / customers * 100_000 / 1e6, 1),
        "mb_per_1000000_transactions": round(transaction_bytes / transactions * 1_000_000 / 1e6, 1),
    }
    fake.stop()
    out = Path(args.out or ROOT / "benchmarks" / f"copy_size_results_{connection.vendor}.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"copy on {connection.vendor}: {customers:,} customers, {transactions:,} transactions; "
        f"{results['mb_per_100000_customers']} MB per 100,000 customers, "
        f"{results['mb_per_1000000_transactions']} MB per 1,000,000 transactions"
    )
    print(f"\nJSON: {out}   (scratch: {scratch})")


def _bytes(connection: "BaseDatabaseWrapper", tables: tuple[str, ...]) -> int:
    """Tables' bytes with their indexes, their large-value storage and (SQLite) the
    full-text tables that index them."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            return sqlite_bytes(cursor, tables)
        total = 0
        for table in tables:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            total += cursor.fetchone()[0]
        return total


def sqlite_bytes(cursor: Any, tables: tuple[str, ...]) -> int:
    """On SQLite (its dbstat view, through any DB-API cursor): the tables' pages, their
    indexes' and their full-text tables' (`<table>_fts` and its shadow tables)."""
    cursor.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')")
    names = {
        name for name, table in cursor.fetchall() if table in tables or any(name.startswith(f"{t}_fts") for t in tables)
    }
    cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
    return sum(size for name, size in cursor.fetchall() if name in names)


if __name__ == "__main__":
    main()
