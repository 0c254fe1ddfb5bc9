"""Benchmark: the dashboard under the production gunicorn config, against the fake
Conductor with a fixed latency, driven on loopback. All figures come from one run, side
by side, and are printed as a table and written as JSON.

    make bench            (or: .venv/bin/python benchmarks/run.py [--out FILE] [--quick])

1. uncached pages at concurrency 1, as a ratio to the fake's own latency measured
   directly (200 ms upstream): a one-call page (a company's customer list); the customer
   page opened cold (its place in the job tree unknown: the record, then the tree, two
   round trips); and the customer page opened after a list showed it (tree and record
   fetched side by side: one round trip);
2. 64 concurrent users on distinct customers with 1 s upstream, records never cached:
   p50, p99, throughput; "cold" (each user's first open does not know the customer's
   place in the tree; its later opens do) and "after a list" (the lists were browsed);
3. cached customer page throughput as a ratio to a trivial view on the same server;
4. 50 simultaneous opens of one uncached customer: upstream calls made;
5. peak memory (VmHWM) per gunicorn worker.

Uncached figures come from a server started with CUSTOMER_CACHE_TTL=0. The bulkhead is
raised to 256 calls per company here: the fake answers requests in parallel, and the
figure measures the web tier, not the per-company policy meant for a real QuickBooks.
The cache is Redis when it answers on 127.0.0.1:6379 (db 15), so coalescing holds
across the two workers as in production; otherwise local memory, and the table says so.
"""

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEMO_KEY_ENV = {"DASHBOARD_DEMO": "1"}
BAKERY, BUILDERS = "end_usr_demoBakery01", "end_usr_demoBuilders02"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Bench:
    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.tmp = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
        self.fake_port, self.web_port = free_port(), free_port()
        self.fake_url = f"http://127.0.0.1:{self.fake_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.cache_url = "redis://127.0.0.1:6379/15" if redis_answers() else "locmemcache://bench"
        self.env = {
            **os.environ,
            **DEMO_KEY_ENV,
            "DATABASE_URL": f"sqlite:///{self.tmp / 'bench.sqlite3'}",
            "CACHE_URL": self.cache_url,
            "CONDUCTOR_BASE_URL": self.fake_url + "/v1",
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "CONDUCTOR_MAX_CALLS_PER_COMPANY": "256",
            "CONDUCTOR_MAX_RETRIES": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.processes: list[subprocess.Popen] = []

    # --- processes ------------------------------------------------------------------

    def manage(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def start(self, args: list[str], env: dict, log: str) -> subprocess.Popen:
        # The child keeps its own copy of the descriptor; ours can close at once.
        with open(self.tmp / log, "w") as out:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_web(self, **extra_env: str) -> subprocess.Popen:
        env = {**self.env, **extra_env}
        web = self.start([str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"], env, "gunicorn.log")
        wait_for(self.web_url + "/healthz")
        # Warm both workers (templates compiled, connections open) with pages that
        # are not measured: a first request's one-off costs are not a page's cost.
        company, customer_id = self.customers[-2]
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda _: self.sequential_pages(
                        [
                            "/",
                            f"/end-users/{company}/customers/?q=zz",
                            f"/end-users/{company}/customers/{customer_id}/",
                        ]
                    ),
                    range(8),
                )
            )
        return web

    def flush_cache(self) -> None:
        if self.cache_url.startswith("redis"):
            subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], capture_output=True, check=True)

    def browse_all(self) -> None:
        """Page through both companies' lists, as staff finding customers would."""
        with self.client() as c:
            for company in (BAKERY, BUILDERS):
                url = f"/end-users/{company}/customers/?status=all"
                while url:
                    page = c.get(url).text
                    found = re.search(r'href="([^"]+)"[^>]*rel="next"', page)
                    url = found.group(1).replace("&amp;", "&") if found else None

    def stop(self, process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    def setup(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.start([PYTHON, "manage.py", "fake_conductor", "--port", str(self.fake_port)], self.env, "fake.log")
        wait_for(self.fake_url + "/_fake/stats")
        from fake_conductor.data import DEMO_SECRET_KEY

        self.secret = DEMO_SECRET_KEY
        self.manage("add_api_key", "bench", stdin=DEMO_SECRET_KEY)
        self.manage("import_end_users", "bench")
        self.session = (
            self.manage(
                "shell",
                "-c",
                (
                    "from django.contrib.auth.models import User;"
                    "from django.contrib.sessions.backends.db import SessionStore;"
                    "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;"
                    "u=User.objects.create_superuser('bench','b@example.com','bench-only-password');"
                    "s=SessionStore();s[SESSION_KEY]=str(u.pk);"
                    "s[BACKEND_SESSION_KEY]='django.contrib.auth.backends.ModelBackend';"
                    "s[HASH_SESSION_KEY]=u.get_session_auth_hash();s.create();print(s.session_key)"
                ),
            )
            .strip()
            .splitlines()[-1]
        )
        if self.cache_url.startswith("redis"):
            subprocess.run(["redis-cli", "-n", "15", "FLUSHDB"], capture_output=True)
        customers = httpx.get(self.fake_url + "/_fake/stats").json()  # warms the fake
        del customers
        self.customers = self._customer_ids()

    def _customer_ids(self) -> list[tuple[str, str]]:
        ids, self.top_level = [], []
        for company in (BAKERY, BUILDERS):
            response = httpx.get(
                f"{self.fake_url}/v1/quickbooks-desktop/customers",
                params={"status": "all", "limit": 150},
                headers={"Authorization": f"Bearer {self.secret}", "Conductor-End-User-Id": company},
            )
            ids += [(company, c["id"]) for c in response.json()["data"]]
            # Never listed as anyone's job: opened first, their place in the tree is unknown.
            self.top_level += [(company, c["id"]) for c in response.json()["data"] if c["sublevel"] == 0]
        return ids

    def fake_control(self, path: str, **body) -> dict:
        return httpx.post(f"{self.fake_url}/_fake/{path}", json=body).json()

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.web_url, cookies={"sessionid": self.session}, timeout=60)

    # --- measurements -----------------------------------------------------------------

    def timed(self, client: httpx.Client, url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        return elapsed

    def direct_fake_latency(self, n: int) -> tuple[list[float], list[float]]:
        """The fake's own answer times for the calls the measured pages make: a
        retrieve, and the list call of a company's first page (51 customers)."""
        retrieves, lists = [], []
        with httpx.Client(base_url=self.fake_url + "/v1/", headers={"Authorization": f"Bearer {self.secret}"}) as c:
            for company, customer_id in self.customers[:n]:
                headers = {"Conductor-End-User-Id": company}
                started = time.perf_counter()
                c.get(f"quickbooks-desktop/customers/{customer_id}", headers=headers)
                retrieves.append(time.perf_counter() - started)
                started = time.perf_counter()
                c.get(
                    "quickbooks-desktop/customers",
                    headers=headers,
                    params={"status": "all", "nameFrom": "!", "limit": 51, "excludeAlternateShippingAddresses": "true"},
                )
                lists.append(time.perf_counter() - started)
        return retrieves, lists

    def sequential_pages(self, urls: list[str]) -> list[float]:
        with self.client() as c:
            return [self.timed(c, url) for url in urls]

    def concurrent_users(self, users: int, seconds: float) -> tuple[list[float], float]:
        """Each user opens its own customers back to back for `seconds`."""
        latencies: list[float] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds
        started_all = threading.Barrier(users)

        def user(i: int) -> int:
            company, customer_id = self.customers[i % len(self.customers)]
            url = f"/end-users/{company}/customers/{customer_id}/"
            done = 0
            with self.client() as c:
                started_all.wait()
                while time.monotonic() < stop_at:
                    elapsed = self.timed(c, url)
                    with lock:
                        latencies.append(elapsed)
                    done += 1
            return done

        began = time.monotonic()
        with ThreadPoolExecutor(users) as pool:
            total = sum(pool.map(user, range(users)))
        return latencies, total / (time.monotonic() - began)

    def throughput(self, url: str, seconds: float, workers: int = 16) -> float:
        stop_at = time.monotonic() + seconds

        def worker(_):
            n = 0
            with self.client() as c:
                while time.monotonic() < stop_at:
                    self.timed(c, url)
                    n += 1
            return n

        began = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            total = sum(pool.map(worker, range(workers)))
        return total / (time.monotonic() - began)

    def simultaneous_opens(self, n: int) -> int:
        company, customer_id = self.customers[-1]
        url = f"/end-users/{company}/customers/{customer_id}/"
        before = httpx.get(self.fake_url + "/_fake/stats").json().get(f"GET customer {customer_id}", 0)
        barrier = threading.Barrier(n)

        def open_it(_):
            with self.client() as c:
                barrier.wait()
                return c.get(url).status_code

        with ThreadPoolExecutor(n) as pool:
            statuses = list(pool.map(open_it, range(n)))
        if set(statuses) != {200}:
            raise SystemExit(f"simultaneous opens answered {sorted(set(statuses))}")
        after = httpx.get(self.fake_url + "/_fake/stats").json().get(f"GET customer {customer_id}", 0)
        return after - before

    def worker_peak_memory_mb(self, master: subprocess.Popen) -> list[float]:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        peaks = []
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    # --- the run --------------------------------------------------------------------------

    def run(self) -> dict:
        quick = self.quick
        self.setup()
        results: dict = {"cache": self.cache_url.split(":")[0], "quick": quick}

        # 1 and 2: uncached (TTL 0), starting with nothing known
        web = self.start_web(CUSTOMER_CACHE_TTL="0", SEARCH_CACHE_TTL="0")
        self.fake_control("latency", seconds=0.2)
        n = 10 if quick else 30
        direct, direct_list = self.direct_fake_latency(n)
        customer_urls = [f"/end-users/{eu}/customers/{cid}/" for eu, cid in self.top_level[:n]]
        cold = self.sequential_pages(customer_urls)
        list_urls = [f"/end-users/{eu}/customers/?status=all" for eu, _ in self.customers[:n]]
        one_call = self.sequential_pages(list_urls)
        self.browse_all()
        from_list = self.sequential_pages(customer_urls)
        d50, d99 = statistics.median(direct), percentile(direct, 99)
        l50 = statistics.median(direct_list)
        results["1_uncached_concurrency_1"] = {
            "fake_direct_p50_ms": round(d50 * 1000, 1),
            "fake_direct_p99_ms": round(d99 * 1000, 1),
            "fake_direct_list_p50_ms": round(l50 * 1000, 1),
            "one_call_page_p50_ratio": round(statistics.median(one_call) / l50, 3),
            "one_call_page_p99_ratio": round(percentile(one_call, 99) / percentile(direct_list, 99), 3),
            "customer_page_cold_p50_ratio": round(statistics.median(cold) / d50, 3),
            "customer_page_cold_p99_ratio": round(percentile(cold, 99) / d99, 3),
            "customer_page_from_list_p50_ratio": round(statistics.median(from_list) / d50, 3),
            "customer_page_from_list_p99_ratio": round(percentile(from_list, 99) / d99, 3),
        }
        self.stop(web)

        self.fake_control("latency", seconds=1.0)
        for label, warm in (("cold", False), ("from_list", True)):
            self.flush_cache()
            web = self.start_web(CUSTOMER_CACHE_TTL="0", SEARCH_CACHE_TTL="0")
            if warm:
                self.fake_control("latency", seconds=0.0)
                self.browse_all()
                self.fake_control("latency", seconds=1.0)
            latencies, rate = self.concurrent_users(64, 6 if quick else 12)
            results[f"2_64_users_1s_upstream_{label}"] = {
                "p50_s": round(statistics.median(latencies), 3),
                "p99_s": round(percentile(latencies, 99), 3),
                "throughput_per_s": round(rate, 1),
                "throughput_vs_64_per_s": round(rate / 64, 3),
                "requests": len(latencies),
            }
            self.stop(web)

        # 3, 4, 5: default caching
        web = self.start_web()
        self.fake_control("latency", seconds=0.2)
        company, customer_id = self.customers[0]
        cached_url = f"/end-users/{company}/customers/{customer_id}/"
        self.sequential_pages([cached_url])  # warm it
        seconds = 3 if quick else 8
        trivial = self.throughput("/healthz", seconds)
        cached = self.throughput(cached_url, seconds)
        results["3_cached_page_throughput"] = {
            "cached_customer_page_per_s": round(cached, 1),
            "trivial_view_per_s": round(trivial, 1),
            "ratio": round(cached / trivial, 3),
        }
        self.fake_control("latency", seconds=1.0)
        results["4_50_simultaneous_opens_upstream_calls"] = self.simultaneous_opens(50)
        results["5_peak_memory_per_worker_mb"] = [round(m, 1) for m in self.worker_peak_memory_mb(web)]
        self.stop(web)
        return results

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.stop(process)


def table(results: dict) -> str:
    r1, r3 = results["1_uncached_concurrency_1"], results["3_cached_page_throughput"]
    rows = [
        (
            "fake Conductor direct: retrieve p50 / p99; list p50",
            f"{r1['fake_direct_p50_ms']} ms / {r1['fake_direct_p99_ms']} ms; {r1['fake_direct_list_p50_ms']} ms",
            "",
        ),
        (
            "1. one-call page (uncached list) / direct list call, p50 / p99",
            f"{r1['one_call_page_p50_ratio']} / {r1['one_call_page_p99_ratio']}",
            "≤ 1.10",
        ),
        (
            "1. customer page, first open (2 round trips) / direct retrieve, p50 / p99",
            f"{r1['customer_page_cold_p50_ratio']} / {r1['customer_page_cold_p99_ratio']}",
            "≤ 1.10",
        ),
        (
            "1. customer page, after a list / direct retrieve, p50 / p99",
            f"{r1['customer_page_from_list_p50_ratio']} / {r1['customer_page_from_list_p99_ratio']}",
            "≤ 1.10",
        ),
    ]
    for label in ("cold", "from_list"):
        r2 = results[f"2_64_users_1s_upstream_{label}"]
        rows += [
            (
                f"2. 64 users, 1 s upstream, {label.replace('_', ' ')}: p50 / p99",
                f"{r2['p50_s']} s / {r2['p99_s']} s",
                "p50 ≤ 1.2 s",
            ),
            (
                f"2. 64 users, {label.replace('_', ' ')}: throughput",
                f"{r2['throughput_per_s']}/s ({r2['throughput_vs_64_per_s']} × 64/s)",
                "≥ 0.8 × 64/s",
            ),
        ]
    rows += [
        (
            "3. cached page / trivial view",
            f"{r3['cached_customer_page_per_s']}/s / {r3['trivial_view_per_s']}/s = {r3['ratio']}",
            "≥ 0.5",
        ),
        ("4. 50 simultaneous opens: upstream calls", str(results["4_50_simultaneous_opens_upstream_calls"]), "1"),
        ("5. peak memory per worker", ", ".join(f"{m} MB" for m in results["5_peak_memory_per_worker_mb"]), ""),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"cache backend: {results['cache']}" + (" (quick run)" if results["quick"] else "")]
    lines += [
        f"{name.ljust(width)}  {value}  {('target ' + target) if target else ''}".rstrip()
        for name, value, target in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--quick", action="store_true", help="fewer samples, shorter phases")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    bench = Bench(args.quick)
    try:
        results = bench.run()
    finally:
        bench.close()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main()
