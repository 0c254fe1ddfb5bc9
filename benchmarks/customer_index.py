"""Benchmark: the customer index at scale, on the shipped defaults.

    make bench            (runs this after benchmarks/run.py)
    .venv/bin/python benchmarks/customer_index.py [--companies 20] [--customers 5000]
        [--database-url postgres://…] [--out FILE]

The fake Conductor generates the companies (20 × 5,000 customers = 100,000 by default;
generated for the run, never shipped). The dashboard indexes them all, then:
1. search pages (the company page's search and the home page's search across all
   companies, through Django's full request handling) for name fragments, phone digits,
   emails and one-typo names: p50 / p99, and the upstream calls they made (none);
2. a full sync of one 5,000-customer company at 200 ms per upstream page, against
   pages × 200 ms;
3. an incremental sync with nothing changed: the calls it made;
4. one person's flood of typo searches (32 at once, across all companies) beside another
   person's cached customer page: that page's latency alone and during the flood, as
   shipped and (for comparison only) with no bound on searches per person;
5. the index's size per 100,000 customers.
Run once on SQLite (the default) and once on PostgreSQL (`--database-url`).
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from in_process import shipped_defaults  # noqa: E402
from run import percentile  # noqa: E402  (the same percentile as the main benchmark)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=100, help="per kind and scope")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "customer_index_results.json"))
    args = parser.parse_args()

    tmp = shipped_defaults("dashboard-index-bench-", args.database_url)
    from fake_conductor.server import FakeConductor, FakeState

    started = time.perf_counter()
    fake = FakeConductor(state=FakeState.seeded(large_companies=args.companies, customers_each=args.customers))
    fake.start()
    generated = time.perf_counter() - started
    os.environ["CONDUCTOR_BASE_URL"] = fake.url

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from dashboard.customer_index.models import IndexedCustomer
    from dashboard.customer_index.sync import sync_company
    from dashboard.models import ApiKey, Company
    from fake_conductor.data import DEMO_SECRET_KEY

    if args.database_url:
        call_command("flush", "--noinput", verbosity=0) if _has_tables(connection) else None
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)  # pages are rendered as shipped
    key = ApiKey(name="bench")
    key.set_secret(DEMO_SECRET_KEY)
    key.save()
    companies = [
        Company.objects.create(conductor_id=f"end_usr_large{n:02d}", name=f"Large Company {n}", api_key=key)
        for n in range(1, args.companies + 1)
    ]
    results: dict = {"database": connection.vendor, "customers": args.companies * args.customers}
    results["fake_generation_s"] = round(generated, 1)

    size_before = _size(connection, tmp)
    started = time.perf_counter()
    for company in companies:
        report = sync_company(company)
        assert report.ok, report.error
    results["index_all_at_0_ms_s"] = round(time.perf_counter() - started, 1)
    indexed = IndexedCustomer.objects.count()
    results["indexed"] = indexed
    results["index_mb_per_100k"] = round((_size(connection, tmp) - size_before) / 1e6 * 100_000 / indexed, 1)

    # 1. searches
    user = User.objects.create_superuser("bench", "b@example.com", "bench-only-password-1")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    rng = random.Random(7)
    customers = [
        c
        for company in fake.state.companies.values()
        if company.id.startswith("end_usr_large")
        for c in company.customers
    ]
    by_company = {c.id: c.customers for c in fake.state.companies.values() if c.id.startswith("end_usr_large")}

    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    def queries(kind: str, pool: list[dict]) -> list[str]:
        picked = [rng.choice(pool) for _ in range(args.queries)]
        if kind == "name fragment":
            return [c["name"].split(",")[0][1:5] for c in picked]
        if kind == "phone digits":
            return [c["phone"].replace("+1-", "")[-8:] for c in picked]
        if kind == "email":
            return [(c["email"] or "nobody@example.com").split("@")[0] for c in picked]
        return [typo(c["name"].split(",")[0]) for c in picked if len(c["name"].split(",")[0]) >= 5]

    def timed(urls: list[str]) -> dict:
        times = []
        for url in urls:
            t = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - t)
            # 302: a search with one match in all goes straight to the customer
            assert response.status_code in (200, 302), (url, response.status_code)
        return {"p50_ms": round(statistics.median(times) * 1000, 1), "p99_ms": round(percentile(times, 99) * 1000, 1)}

    fake.reset()
    search_results = {}
    for kind in ("name fragment", "phone digits", "email", "one-typo name"):
        conductor_id = rng.choice(list(by_company))
        within = [
            f"/end-users/{conductor_id}/customers/?q={q}&status=all" for q in queries(kind, by_company[conductor_id])
        ]
        across = [f"/?q={q}" for q in queries(kind, customers)]
        for scope, urls in (("one company", within), ("all companies", across)):
            search_results[f"{kind}, {scope}"] = timed(urls)
    # The company list ordered by balance, largest first (browsing, and a name fragment).
    conductor_id = rng.choice(list(by_company))
    listing = f"/end-users/{conductor_id}/customers/?status=all&order=balance"
    search_results["browse by balance, one company"] = timed(
        [f"{listing}&page={rng.randint(1, 20)}" for _ in range(args.queries)]
    )
    search_results["name fragment by balance, one company"] = timed(
        [f"{listing}&q={q}" for q in queries("name fragment", by_company[conductor_id])]
    )
    results["1_search_pages"] = search_results
    results["1_upstream_calls_during_searches"] = sum(v for k, v in fake.stats.items() if k.startswith("GET "))

    # 4. one person's flood of typo searches across all companies beside another person's
    # cached customer page: as shipped (three searches at once per person), and, for
    # comparison only, with no bound per person.
    from dashboard import search_limit

    if connection.vendor == "sqlite":
        # Indexing 100,000 customers left a long write-ahead log; its checkpoint would land
        # on one page's audit write and be timed as the flood's doing.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    flood_urls = [f"/?q={q}" for q in queries("one-typo name", customers)]
    results["4_flood_beside_a_cached_page"] = {
        "as shipped": _flood(client, user, flood_urls, by_company),
    }
    shipped_bound = search_limit.SEARCHES_AT_ONCE
    search_limit.SEARCHES_AT_ONCE = 10**6
    results["4_flood_beside_a_cached_page"]["no bound per person (comparison only)"] = _flood(
        client, user, flood_urls, by_company
    )
    search_limit.SEARCHES_AT_ONCE = shipped_bound

    # 2. a full sync of one company at 200 ms per page
    fake.latency = 0.2
    fake.reset()
    started = time.perf_counter()
    report = sync_company(companies[0], full=True)
    took = time.perf_counter() - started
    results["2_full_sync_one_company"] = {
        "customers": args.customers,
        "pages": report.pages,
        "seconds": round(took, 2),
        "ratio_to_pages_x_200ms": round(took / (report.pages * 0.2), 3),
    }
    # 3. incremental with nothing changed
    fake.reset()
    report = sync_company(companies[0])
    results["3_incremental_nothing_changed"] = {
        "kind": report.kind,
        "calls": {k: v for k, v in fake.stats.items() if k.startswith("GET ")},
    }
    fake.stop()
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


FLOODERS = 32
FLOOD_SEARCHES_EACH = 5
CACHED_PAGE_ALONE = 200


def _flood(flooder_client, flooder, flood_urls: list[str], by_company: dict) -> dict:
    """A cached customer page's latency for another person, alone and while FLOODERS
    threads of one person each send FLOOD_SEARCHES_EACH typo searches at once. Every
    thread is warmed first (its own database and cache connections opened, as a server's
    threads have theirs), then all start together."""
    import threading

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    reader = User.objects.get_or_create(username="reader", defaults={"is_superuser": True, "is_staff": True})[0]
    conductor_id = next(iter(by_company))
    url = f"/end-users/{conductor_id}/customers/{by_company[conductor_id][0]['id']}/"
    start = threading.Barrier(FLOODERS + 1)
    done = threading.Event()
    alone: list[float] = []
    during: list[float] = []

    def read() -> None:
        page = Client(HTTP_HOST="localhost")
        page.force_login(reader)
        assert page.get(url).status_code == 200  # fetched once: cached from now on

        def timed() -> float:
            t = time.perf_counter()
            assert page.get(url).status_code == 200
            return time.perf_counter() - t

        alone.extend(timed() for _ in range(CACHED_PAGE_ALONE))
        start.wait()
        while not done.is_set():
            during.append(timed())
        connection.close()

    answered, refused, search_times = [], [], []
    lock = threading.Lock()

    def flood(urls: list[str]) -> None:
        searcher = Client(HTTP_HOST="localhost")
        searcher.cookies = flooder_client.cookies  # the same person, one session
        assert searcher.get("/").status_code == 200  # warmed: no search
        start.wait()
        for flood_url in urls:
            t = time.perf_counter()
            status = searcher.get(flood_url).status_code
            with lock:
                (refused if status == 429 else answered).append(status)
                search_times.append(time.perf_counter() - t)
        connection.close()

    reader_thread = threading.Thread(target=read)
    reader_thread.start()
    flooders = [
        threading.Thread(
            target=flood,
            args=(
                flood_urls[i * FLOOD_SEARCHES_EACH : (i + 1) * FLOOD_SEARCHES_EACH] or flood_urls[:FLOOD_SEARCHES_EACH],
            ),
        )
        for i in range(FLOODERS)
    ]
    for thread in flooders:
        thread.start()
    for thread in flooders:
        thread.join()
    done.set()
    reader_thread.join()

    def ms(values: list[float], pct: float) -> float:
        return round(percentile(values, pct) * 1000, 1)

    return {
        "cached_page_alone_p50_ms": ms(alone, 50),
        "cached_page_during_flood_p50_ms": ms(during, 50),
        "cached_page_during_flood_p99_ms": ms(during, 99),
        "cached_page_during_flood_max_ms": round(max(during) * 1000, 1),
        "ratio_p50_during_to_alone": round(statistics.median(during) / statistics.median(alone), 2),
        "cached_pages_read_during_flood": len(during),
        "flood_searches_answered": len(answered),
        "flood_searches_refused_429": len(refused),
        "flood_search_p50_ms": ms(search_times, 50),
    }


def _has_tables(connection) -> bool:
    return "dashboard_company" in connection.introspection.table_names()


def _size(connection, tmp: Path) -> int:
    if connection.vendor == "sqlite":
        connection.close()
        return sum(p.stat().st_size for p in tmp.glob("bench.sqlite3*"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('dashboard_indexedcustomer')")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    main()
