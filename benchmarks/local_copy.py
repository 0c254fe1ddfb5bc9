"""Benchmark: pages from the local copy, against a QuickBooks that answers one request at
a time per company file (the fake's serial mode), on the shipped defaults (gunicorn.conf.py,
SQLite, the on-disk cache). All figures come from one run, printed and written as JSON.

    .venv/bin/python benchmarks/local_copy.py [--out FILE] [--quick]

The fake serves the demo's companies and one generated company of 5,000 customers with
their activity (about 27,000 invoices, payments, credit memos and sales receipts).

1. the first copy of that company at 0.2 s a request, serial: its time as a ratio to
   (requests × latency), and the copy's size on SQLite per 100,000 customers and per
   1,000,000 transactions;
2. an idle company's sync: its requests, and per hour at each interval;
3. at 1.5 s a request, serial: a customer page (header, open invoices, aging), an
   invoice page and a jump by invoice number, each opened one after another; and a
   change made in QuickBooks reaching the open page through one live check (its requests
   and time);
4. 64 people opening 64 different customers of the company at once, with QuickBooks
   serial at 1.5 s, hanging, and offline: answered p50 / p99, refused;
5. a customer page from the copy, in pages per second, as a ratio to /healthz on the
   same server, and to the least a signed-in page costs (a redirect);
6. resident memory per web worker over 50,000 requests (pages of 300 customers and 50
   invoices from the copy, the company's list, a new search every fifth request, home).
"""

import re
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as shared  # the benchmarks' own helpers, beside this file

ROOT = shared.ROOT
LARGE = "end_usr_large01"
CUSTOMERS = 5000
SLOW = 1.5  # seconds a QuickBooks request takes in sections 3 and 4
FIRST_COPY_LATENCY = 0.2


class CopyBench(shared.Bench):
    def setup(self) -> None:
        # Generating 5,000 customers' activity takes the fake a while.
        self.start_fake(["--large-companies", "1", "--customers-each", str(CUSTOMERS), "--ledgers"], seconds=300)
        self.sign_in_users()
        self.fresh[LARGE] = self._customer_ids(LARGE)

    def requests_made(self) -> int:
        return sum(n for key, n in self.fake_stats().items() if key.startswith("GET /"))

    def reset_fake(self) -> None:
        httpx.post(f"{self.fake_url}/_fake/reset")

    def sync(self) -> tuple[float, int, str]:
        """`sync_customers --company LARGE`: seconds, requests, what it printed."""
        before = self.requests_made()
        started = time.perf_counter()
        printed = self.manage("sync_customers", "--company", LARGE)
        return time.perf_counter() - started, self.requests_made() - before, printed.strip()

    def fake_answer_seconds(self) -> float:
        """What the fake alone takes to answer the requests the last sync made: each list
        it asked, a first page timed directly with the sync's options (the median of
        three), times how often it asked; anything else at the set latency. The fake
        encodes hundreds of kilobytes a page (line items), which a real QuickBooks'
        seconds would dwarf but 0.2 s does not."""
        headers = {"Authorization": f"Bearer {self.secret}", "Conductor-End-User-Id": LARGE}
        options = {
            "invoices": {"includeLineItems": "true", "includeLinkedTransactions": "true"},
            "credit-memos": {"includeLineItems": "true", "includeLinkedTransactions": "true"},
            "receive-payments": {},
            "sales-receipts": {"includeLineItems": "true"},
            "customers": {"status": "all"},
        }
        prefix = "GET /quickbooks-desktop/"
        asked = {key.removeprefix(prefix): n for key, n in self.fake_stats().items() if key.startswith(prefix)}
        total = 0.0
        with httpx.Client(headers=headers, timeout=60) as client:
            for path, n in asked.items():
                if path not in options:
                    total += n * FIRST_COPY_LATENCY
                    continue
                url = f"{self.fake_url}/v1/quickbooks-desktop/{path}"
                timings = []
                for _ in range(3):
                    started = time.perf_counter()
                    client.get(url, params={"limit": 150, **options[path]}).raise_for_status()
                    timings.append(time.perf_counter() - started)
                total += n * statistics.median(timings)
        return total

    def copy_size(self) -> dict:
        """Bytes of the copy's tables and indexes on SQLite (its dbstat view)."""
        import sqlite3

        from copy_size import CUSTOMER_TABLES, TRANSACTION_TABLES, sqlite_bytes

        path = self.env["DATABASE_URL"].removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            cursor = db.cursor()
            customer_bytes = sqlite_bytes(cursor, CUSTOMER_TABLES)
            transaction_bytes = sqlite_bytes(cursor, TRANSACTION_TABLES)
            customers = db.execute("SELECT COUNT(*) FROM dashboard_indexedcustomer").fetchone()[0]
            transactions = db.execute("SELECT COUNT(*) FROM customer_index_copiedtransaction").fetchone()[0]
        return {
            "customers": customers,
            "transactions": transactions,
            "mb_per_100000_customers": round(customer_bytes / customers * 100_000 / 1e6, 1),
            "mb_per_1000000_transactions": round(transaction_bytes / transactions * 1_000_000 / 1e6, 1),
        }

    def open_invoices_of(self, n: int) -> list[tuple[str, str, str]]:
        """(customer id, invoice id, number) of `n` unpaid invoices with unique numbers."""
        headers = {"Authorization": f"Bearer {self.secret}", "Conductor-End-User-Id": LARGE}
        page = httpx.get(
            f"{self.fake_url}/v1/quickbooks-desktop/invoices",
            params={"paymentStatus": "not_paid", "limit": 150, "includeLineItems": "false"},
            headers=headers,
            timeout=60,
        ).json()["data"]
        numbers = [i["refNumber"] for i in page]
        unique = [i for i in page if numbers.count(i["refNumber"]) == 1]
        return [(i["customer"]["id"], i["id"], i["refNumber"]) for i in unique[:n]]

    def page_with_its_figures(self, client: httpx.Client, url: str) -> float:
        """Seconds until the page is answered, checked to hold the header strip, the open
        invoices and the aging (not "Loading…")."""
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        body = response.text
        if response.status_code != 200 or "Loading" in body or "Open invoices" not in body or "1–30 days" not in body:
            raise SystemExit(f"{url} was not answered whole from the copy ({response.status_code})")
        return elapsed

    def live_check_of_a_change(self) -> dict:
        customer_id, _, _ = self.open_invoices_of(60)[-1]
        added = self.fake_control("invoices", end_user_id=LARGE, customer_id=customer_id, amount="123.45")
        before = self.requests_made()
        with self.client() as c:
            started = time.perf_counter()
            check = c.get(f"/end-users/{LARGE}/customers/{customer_id}/check/", headers={"X-Fragment": "1"})
            elapsed = time.perf_counter() - started
            page = c.get(f"/end-users/{LARGE}/customers/{customer_id}/").text
        return {
            "changed": check.headers.get("X-Copy-Changed") == "1",
            "on_the_page": added["refNumber"] in page,
            "requests": self.requests_made() - before,
            "seconds": round(elapsed, 2),
            "said": re.sub(r"<[^>]+>", "", check.text).strip(),
        }

    def run(self) -> dict:
        quick = self.quick
        self.setup()
        results: dict = {"quick": quick, "settings": "shipped defaults (SQLite, diskcache in the run's own folder)"}
        self.fake_control("serial", on=True)

        # 1: the first copy
        self.fake_control("latency", seconds=FIRST_COPY_LATENCY)
        self.reset_fake()
        seconds, requests, printed = self.sync()
        fake_alone = self.fake_answer_seconds()
        results["first_copy"] = {
            "latency_s": FIRST_COPY_LATENCY,
            "seconds": round(seconds, 1),
            "requests": requests,
            "ratio_to_requests_x_latency": round(seconds / (requests * FIRST_COPY_LATENCY), 2),
            "fake_alone_s": round(fake_alone, 1),
            "ratio_to_the_fakes_own_answers": round(seconds / fake_alone, 2),
            "printed": printed,
            **self.copy_size(),
        }

        # 2: an idle company
        seconds, requests, printed = self.sync()
        results["idle_sync"] = {
            "requests": requests,
            "per_hour_nobody_looking": requests * 3600 // 900,
            "per_hour_people_looking": requests * 3600 // 60,
            "printed": printed,
        }

        # 3: pages at 1.5 s a request
        web = self.start_web()
        self.fake_control("latency", seconds=SLOW)
        n = 10 if quick else 30
        invoices = self.open_invoices_of(n + 70)
        with self.client() as c:
            customer_pages = [
                self.page_with_its_figures(c, f"/end-users/{LARGE}/customers/{cid}/") for cid, _, _ in invoices[:n]
            ]
            invoice_pages = [self.timed(c, f"/end-users/{LARGE}/invoices/{iid}/") for _, iid, _ in invoices[:n]]
            jumps = []
            for _, iid, number in invoices[:n]:
                started = time.perf_counter()
                response = c.get(f"/end-users/{LARGE}/jump/", params={"to": number}, follow_redirects=True)
                jumps.append(time.perf_counter() - started)
                if not str(response.url).endswith(f"/invoices/{iid}/"):
                    raise SystemExit(f"jump to {number} landed on {response.url}")
        results["pages_at_1_5_s"] = {
            name: {"p50_s": round(statistics.median(v), 3), "max_s": round(max(v), 3)}
            for name, v in (
                ("customer_page", customer_pages),
                ("invoice_page", invoice_pages),
                ("jump_by_number", jumps),
            )
        }
        results["live_check_of_a_change"] = self.live_check_of_a_change()

        # 4: 64 people at once, after a burst that is not measured (the server's threads
        # and their database connections started, as on a server that has been running)
        self.burst_on((LARGE,), shared.USERS)
        bursts = {}
        for label, fault in (
            ("serial", None),
            ("hung", {"path": "/quickbooks-desktop/*", "body": "hang"}),
            ("offline", {"end_user_id": LARGE, "error": "qbd_offline"}),
        ):
            if fault:
                httpx.post(f"{self.fake_url}/_fake/faults", json=fault)
            bursts[label] = self.burst_on((LARGE,), shared.USERS)
            httpx.delete(f"{self.fake_url}/_fake/faults")
        results["burst_64"] = bursts

        # 5: throughput of a page from the copy against /healthz
        seconds_each = 3 if quick else 8
        page = f"/end-users/{LARGE}/customers/{invoices[0][0]}/"
        health = self.throughput("/healthz", seconds_each)
        # The least a signed-in page costs: the session, the user, the company and its
        # scopes, then a redirect (the jump box sent empty), with nothing read or drawn.
        signed_in = self.throughput(f"/end-users/{LARGE}/jump/", seconds_each, expected=302)
        copy_page = self.throughput(page, seconds_each)
        results["throughput"] = {
            "healthz_per_s": round(health, 1),
            "signed_in_redirect_per_s": round(signed_in, 1),
            "copy_page_per_s": round(copy_page, 1),
            "ratio": round(copy_page / health, 2),
            "ratio_to_signed_in_redirect": round(copy_page / signed_in, 2),
        }

        # 6: memory per web worker over many requests, QuickBooks still serial at 1.5 s
        total = 10_000 if quick else 50_000
        pages = [f"/end-users/{LARGE}/customers/{cid}/" for cid in self.fresh[LARGE][:300]]
        pages += [f"/end-users/{LARGE}/invoices/{iid}/" for _, iid, _ in invoices[:50]]
        pages += [f"/end-users/{LARGE}/customers/?status=all", "/"]
        samples = self.memory_over_requests(web, total, total // 10, pages=pages, searched=LARGE)
        results["memory"] = {"requests": total, "samples": samples, "peak_mb": self.worker_peak_memory_mb(web)}
        self.stop(web)
        return results


def table(results: dict) -> str:
    first, idle, pages = results["first_copy"], results["idle_sync"], results["pages_at_1_5_s"]
    lines = [
        f"first copy: {first['customers']:,} customers, {first['transactions']:,} transactions, "
        f"{first['requests']} requests in {first['seconds']} s = {first['ratio_to_requests_x_latency']} × "
        f"(requests × {first['latency_s']} s); {first['ratio_to_the_fakes_own_answers']} × the fake's own answers "
        f"({first['fake_alone_s']} s for those requests, timed directly)",
        f"copy size on SQLite: {first['mb_per_100000_customers']} MB per 100,000 customers, "
        f"{first['mb_per_1000000_transactions']} MB per 1,000,000 transactions",
        f"idle sync: {idle['requests']} requests; {idle['per_hour_nobody_looking']}/h nobody looking, "
        f"{idle['per_hour_people_looking']}/h people looking",
    ]
    for name, figures in pages.items():
        lines.append(f"{name} at 1.5 s serial: p50 {figures['p50_s']} s, max {figures['max_s']} s")
    check = results["live_check_of_a_change"]
    lines.append(
        f"live check of a change: {check['requests']} requests, {check['seconds']} s, on the page: {check['on_the_page']}"
    )
    for label, burst in results["burst_64"].items():
        lines.append(
            f"64 at once, QuickBooks {label}: {burst['answered']}/{burst['pages']} answered, "
            f"p50 {burst['answered_p50_s']} s, p99 {burst['answered_p99_s']} s, refused {burst['refused']}"
        )
    t = results["throughput"]
    lines.append(f"copy page {t['copy_page_per_s']}/s vs /healthz {t['healthz_per_s']}/s: {t['ratio']} ×")
    lines.append(
        f"copy page vs a signed-in redirect {t['signed_in_redirect_per_s']}/s: {t['ratio_to_signed_in_redirect']} ×"
    )
    memory = results["memory"]
    last = memory["samples"][-1]
    lines.append(
        f"memory per web worker after {memory['requests']:,} requests: resident {last['rss_mb']} MB, "
        f"own {last['own_mb']} MB; peak {memory['peak_mb']} MB"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    shared.main_of(__doc__, CopyBench, table, ROOT / "benchmarks" / "local_copy_results.json")
