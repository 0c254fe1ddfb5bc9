"""Benchmark: the dashboard as shipped (its default settings: one cache per machine,
the adaptive per-company limit, gunicorn.conf.py) against the fake Conductor, driven on
loopback. All figures come from one run, side by side, printed as a table and written as
JSON. Nothing is tuned for the run: the only settings given are where the database, the
cache folder and the fake live.

    make bench            (or: .venv/bin/python benchmarks/run.py [--out FILE] [--quick])

The fake serves the demo's companies plus six generated ones of 400 customers each
(end_usr_large01…06). Every page measured uncached opens a customer nobody has opened
before in the run, so no figure leans on the cache by accident.

1. pages at concurrency 1, 200 ms upstream, as ratios to the fake's own latency measured
   directly: a one-call page (a list page); a customer opened first (its place in the
   job tree unknown: the record only, its jobs and activity follow by the page's script);
   a customer opened after a list showed it (record and tree side by side);
2. 64 users opening 64 different customers at once, 1 s upstream, on one company and on
   four (16 each), with the fake parallel and serial (one request at a time per company
   file, as QuickBooks): answered p50 / p99, refused pages and how soon they were told,
   pages/s; each after a warm-up burst that lets the limit learn the company, and the
   one-company figures also for the very first burst; /healthz, home and another company's
   page timed throughout the serial burst;
3. cached customer page throughput as a ratio to /healthz on the same server;
4. 50 simultaneous opens of one uncached customer: upstream calls made;
5. peak memory (VmHWM) per gunicorn worker;
6. resident memory per worker every tenth of 50,000 more requests (pages of many
   customers, lists, a new search every fifth request): whether it levels off;
7. customer pages with account activity at 200 ms upstream on a parallel fake: when the
   record is visible and when the activity is (the page's script asks for it), with the
   customer's place in the job tree unknown and known; and (in 3) the upstream calls
   made while the cached page with its activity is served.
"""

import argparse
import itertools
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DEMO_KEY_ENV = {"DASHBOARD_DEMO": "1"}
BAKERY, BUILDERS = "end_usr_demoBakery01", "end_usr_demoBuilders02"
USERS = 64  # as many as the largest burst: each simulated person signs in as their own user
LARGE = tuple(f"end_usr_large{n:02d}" for n in range(1, 7))


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


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Bench:
    def __init__(self, quick: bool) -> None:
        self.opened_first: set[str] = set()
        self.quick = quick
        self.tmp = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
        self.fake_port, self.web_port = free_port(), free_port()
        self.fake_url = f"http://127.0.0.1:{self.fake_port}"
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "DATABASE_URL")}
        self.env = {
            **env,
            **DEMO_KEY_ENV,
            # Where things live; every other setting is the shipped default.
            "DATABASE_URL": f"sqlite:///{self.tmp / 'bench.sqlite3'}",
            "CACHE_DIR": str(self.tmp / "cache"),
            "CONDUCTOR_BASE_URL": self.fake_url + "/v1",
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
        }
        self.processes: list[subprocess.Popen] = []
        self.fresh: dict[str, list[str]] = {}  # per company: customers nobody has opened yet
        self.names: dict[str, list[str]] = {}  # per company: every full name, in name order

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
        with open(self.tmp / log, "a") as out:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_web(self) -> subprocess.Popen:
        web = self.start([str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"], self.env, "gunicorn.log")
        wait_for(self.web_url + "/healthz")
        # Warm both workers (templates compiled, connections open) on pages that are not
        # measured: a first request's one-off costs are not a page's cost.
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: self.sequential_pages(["/", f"/end-users/{BAKERY}/customers/?q=zz"]), range(8)))
        return web

    def stop(self, process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

    def setup(self) -> None:
        self.start_fake(["--large-companies", "6", "--customers-each", "400"])
        self.sign_in_users()
        for company in (BAKERY, BUILDERS, *LARGE):
            self.fresh[company] = self._customer_ids(company)
        # Never listed: their place in the job tree is unknown when first opened.
        self.top_level = [(c, cid) for c in (BAKERY, BUILDERS) for cid in self._customer_ids(c, top_level_only=True)]

    def start_fake(self, args: list[str], seconds: float = 30) -> None:
        """The database and static files ready, and the fake started with `args`."""
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.start([PYTHON, "-m", "fake_conductor", "--port", str(self.fake_port), *args], self.env, "fake.log")
        wait_for(self.fake_url + "/_fake/stats", seconds)

    def sign_in_users(self) -> None:
        """The demo key and its companies added, and USERS people signed in."""
        from fake_conductor.data import DEMO_SECRET_KEY

        self.secret = DEMO_SECRET_KEY
        self.manage("add_api_key", "bench", stdin=DEMO_SECRET_KEY)
        self.manage("import_end_users", "bench")
        # One signed-in user per simulated person (a person runs at most a few searches at
        # once): each client takes the next of USERS sessions.
        output = self.manage(
            "shell",
            "-c",
            (
                "from django.contrib.auth.models import User;"
                "from django.contrib.sessions.backends.db import SessionStore;"
                "from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;\n"
                f"for n in range({USERS}):\n"
                "    u=User.objects.create_superuser(f'bench{n}',f'b{n}@example.com','bench-only-password')\n"
                "    s=SessionStore();s[SESSION_KEY]=str(u.pk)\n"
                "    s[BACKEND_SESSION_KEY]='django.contrib.auth.backends.ModelBackend'\n"
                "    s[HASH_SESSION_KEY]=u.get_session_auth_hash();s.create();print('session', s.session_key)"
            ),
        )
        self.sessions = [line.split()[1] for line in output.splitlines() if line.startswith("session ")]
        self.next_session = itertools.cycle(self.sessions)
        self.session_lock = threading.Lock()

    def _customer_ids(self, company: str, top_level_only: bool = False) -> list[str]:
        ids, cursor = [], None
        names = self.names.setdefault(company, [])
        headers = {"Authorization": f"Bearer {self.secret}", "Conductor-End-User-Id": company}
        while True:
            params: dict[str, str | int] = {"status": "all", "limit": 150, **({"cursor": cursor} if cursor else {})}
            page = httpx.get(f"{self.fake_url}/v1/quickbooks-desktop/customers", params=params, headers=headers).json()
            ids += [c["id"] for c in page["data"] if not top_level_only or c["sublevel"] == 0]
            if not top_level_only:
                names += [c["fullName"] for c in page["data"]]
            cursor = page["nextCursor"]
            if not cursor:
                names.sort(key=str.casefold)
                return ids

    def take(self, company: str, n: int) -> list[str]:
        """`n` customers of the company that no page has opened yet."""
        taken, self.fresh[company] = self.fresh[company][:n], self.fresh[company][n:]
        if len(taken) < n:
            raise SystemExit(f"{company} has run out of unopened customers")
        return taken

    def fake_control(self, path: str, **body) -> dict:
        return httpx.post(f"{self.fake_url}/_fake/{path}", json=body).json()

    def fake_stats(self) -> dict:
        return httpx.get(f"{self.fake_url}/_fake/stats").json()

    def client(self) -> httpx.Client:
        with self.session_lock:
            session = next(self.next_session)
        return httpx.Client(base_url=self.web_url, cookies={"sessionid": session}, timeout=60)

    def browse(self, companies: tuple[str, ...]) -> None:
        """Page through the companies' lists, as staff finding customers would."""
        with self.client() as c:
            for company in companies:
                url: str | None = f"/end-users/{company}/customers/?status=all"
                while url:
                    page = c.get(url).text
                    found = re.search(r'href="([^"]+)"[^>]*rel="next"', page)
                    url = found.group(1).replace("&amp;", "&") if found else None

    # --- measurements -----------------------------------------------------------------

    def timed(self, client: httpx.Client, url: str, expected: int = 200) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        if response.status_code != expected:
            raise SystemExit(f"{url} answered {response.status_code}")
        return elapsed

    def direct_fake_latency(self, n: int) -> tuple[list[float], list[float]]:
        """The fake's own answer times for the calls the measured pages make: a
        retrieve, and a list page's call (51 customers)."""
        retrieves, lists = [], []
        ids = self.fresh[LARGE[3]][-n:]  # read directly only, never through a page
        with httpx.Client(base_url=self.fake_url + "/v1/", headers={"Authorization": f"Bearer {self.secret}"}) as c:
            for customer_id in ids:
                headers = {"Conductor-End-User-Id": LARGE[3]}
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

    def burst(self, opens: list[tuple[str, str]]) -> dict:
        """Every (company, customer) opened at the same moment, each by its own user."""
        barrier = threading.Barrier(len(opens))

        def open_it(item):
            company, customer_id = item
            with self.client() as c:
                barrier.wait()
                started = time.perf_counter()
                status = c.get(f"/end-users/{company}/customers/{customer_id}/").status_code
                return status, time.perf_counter() - started

        began = time.perf_counter()
        with ThreadPoolExecutor(len(opens)) as pool:
            results = list(pool.map(open_it, opens))
        wall = time.perf_counter() - began
        answered = [t for status, t in results if status == 200]
        refused = [t for status, t in results if status == 503]
        other = sorted({status for status, _ in results} - {200, 503})
        return {
            "pages": len(opens),
            "answered": len(answered),
            "answered_p50_s": round(statistics.median(answered), 3) if answered else None,
            "answered_p99_s": round(percentile(answered, 99), 3) if answered else None,
            "refused": len(refused),
            "refused_told_p50_s": round(statistics.median(refused), 3) if refused else None,
            "refused_told_max_s": round(max(refused), 3) if refused else None,
            "other_statuses": other,
            "pages_per_s": round(len(answered) / wall, 1),
        }

    def burst_on(self, companies: tuple[str, ...], per_company: int) -> dict:
        opens = [(c, cid) for c in companies for cid in self.take(c, per_company)]
        return self.burst(opens)

    def while_busy(self, work) -> tuple[object, dict]:
        """Run `work` while timing /healthz, home and another company's cached page."""
        company, customer_id = BAKERY, self.fresh[BAKERY][0]
        other = f"/end-users/{company}/customers/{customer_id}/"
        self.sequential_pages([other])  # cached now
        samples: dict[str, list[float]] = {"healthz": [], "home": [], "other_company": []}
        done = threading.Event()

        def probe():
            with self.client() as c:
                while not done.is_set():
                    for name, url in (("healthz", "/healthz"), ("home", "/"), ("other_company", other)):
                        samples[name].append(self.timed(c, url))
                    time.sleep(0.05)

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            result = work()
        finally:
            done.set()
            prober.join()
        return result, {f"{name}_max_s": round(max(times), 3) for name, times in samples.items() if times}

    def throughput(self, url: str, seconds: float, workers: int = 16, expected: int = 200) -> float:
        stop_at = time.monotonic() + seconds

        def worker(_):
            n = 0
            with self.client() as c:
                while time.monotonic() < stop_at:
                    self.timed(c, url, expected)
                    n += 1
            return n

        began = time.monotonic()
        with ThreadPoolExecutor(workers) as pool:
            total = sum(pool.map(worker, range(workers)))
        return total / (time.monotonic() - began)

    def simultaneous_opens(self, n: int) -> int:
        company, customer_id = LARGE[1], self.take(LARGE[1], 1)[0]
        url = f"/end-users/{company}/customers/{customer_id}/"
        before = self.fake_stats().get(f"GET customer {customer_id}", 0)
        barrier = threading.Barrier(n)

        def open_it(_):
            with self.client() as c:
                barrier.wait()
                return c.get(url).status_code

        with ThreadPoolExecutor(n) as pool:
            statuses = list(pool.map(open_it, range(n)))
        if set(statuses) != {200}:
            raise SystemExit(f"simultaneous opens answered {sorted(set(statuses))}")
        return self.fake_stats().get(f"GET customer {customer_id}", 0) - before

    def memory_over_requests(
        self, master: subprocess.Popen, total: int, step: int, pages: list[str] | None = None, searched: str = LARGE[2]
    ) -> list[dict]:
        """Workers' resident memory every `step` requests of a varied load: customer
        pages across many customers (or `pages`), list pages, searches of `searched` that
        are new every time, home."""
        if pages is None:
            pages = [f"/end-users/{c}/customers/{cid}/" for c in LARGE[:2] for cid in self.fresh[c][:150]]
            pages += [f"/end-users/{BAKERY}/customers/?status=all", "/"]
        local = threading.local()

        def get(i: int) -> None:
            if not hasattr(local, "client"):
                local.client = self.client()
            url = pages[i % len(pages)] if i % 5 else f"/end-users/{searched}/customers/?q=x{i}&status=all"
            local.client.get(url)

        def sample(requests: int) -> dict:
            # Resident memory counts the cache files' memory maps (the operating system's
            # shared page cache) too; RssAnon is what the worker holds of its own.
            return {
                "requests": requests,
                "rss_mb": self.worker_memory_mb(master, "VmRSS:"),
                "own_mb": self.worker_memory_mb(master, "RssAnon:"),
            }

        samples, done = [sample(0)], 0
        with ThreadPoolExecutor(16) as pool:
            while done < total:
                list(pool.map(get, range(done, done + step)))
                done += step
                samples.append(sample(done))
        return samples

    def worker_memory_mb(self, master: subprocess.Popen, field: str) -> list[float]:
        children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        sizes = []
        for pid in children:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes

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
        results: dict = {"quick": quick, "settings": "shipped defaults (diskcache in a folder of the run's own)"}
        web = self.start_web()
        self.browse(LARGE)  # at no latency: the lists staff would have seen (places in the tree known)

        # 1: concurrency 1, 200 ms upstream
        self.fake_control("latency", seconds=0.2)
        n = 10 if quick else 30
        direct, direct_list = self.direct_fake_latency(n)
        cold = self.sequential_pages([f"/end-users/{c}/customers/{cid}/" for c, cid in self.top_level[:n]])
        self.opened_first = {cid for _, cid in self.top_level[:n]}
        # list pages starting after names no earlier page ended on: n pages, none cached
        names = [name for i, name in enumerate(self.names[LARGE[0]]) if i % 50][7 : 7 * (n + 1) : 7]
        one_call = self.sequential_pages(
            [f"/end-users/{LARGE[0]}/customers/?{urlencode({'status': 'all', 'after': name})}" for name in names]
        )
        from_list = self.sequential_pages([f"/end-users/{LARGE[2]}/customers/{cid}/" for cid in self.take(LARGE[2], n)])
        d50, d99 = statistics.median(direct), percentile(direct, 99)
        l50, l99 = statistics.median(direct_list), percentile(direct_list, 99)
        results["1_concurrency_1"] = {
            "fake_direct_p50_ms": round(d50 * 1000, 1),
            "fake_direct_p99_ms": round(d99 * 1000, 1),
            "fake_direct_list_p50_ms": round(l50 * 1000, 1),
            "one_call_page_p50_ratio": round(statistics.median(one_call) / l50, 3),
            "one_call_page_p99_ratio": round(percentile(one_call, 99) / l99, 3),
            "customer_page_first_open_p50_ratio": round(statistics.median(cold) / d50, 3),
            "customer_page_first_open_p99_ratio": round(percentile(cold, 99) / d99, 3),
            "customer_page_after_a_list_p50_ratio": round(statistics.median(from_list) / d50, 3),
            "customer_page_after_a_list_p99_ratio": round(percentile(from_list, 99) / d99, 3),
        }

        # 2: bursts at 1 s upstream; serial first, so each company's limit is learned on
        # the upstream it is measured on
        self.fake_control("latency", seconds=1.0)
        self.fake_control("serial", on=True)
        one, four = (LARGE[0],), LARGE[:4]
        results["2_serial_one_company_first_burst"] = self.burst_on(one, 64)
        self.burst_on(one, 16)  # warm-up
        results["2_serial_one_company"], results["2_serial_busy_elsewhere"] = self.while_busy(
            lambda: self.burst_on(one, 64)
        )
        self.burst_on(four, 4)  # warm-up
        results["2_serial_four_companies"] = self.burst_on(four, 16)
        self.fake_control("serial", on=False)
        results["2_parallel_one_company_first_burst"] = self.burst_on((LARGE[5],), 64)
        for _ in range(2):  # warm-up: the limit learns this company answers in parallel
            self.burst_on((LARGE[4],), 64)
        results["2_parallel_one_company"] = self.burst_on((LARGE[4],), 64)
        self.burst_on(four, 16)  # warm-up: these were serial until now
        results["2_parallel_four_companies"] = self.burst_on(four, 16)

        # 3, 4, 5
        self.fake_control("latency", seconds=0.2)
        cached_id = self.take(BAKERY, 1)[0]
        cached_url = f"/end-users/{BAKERY}/customers/{cached_id}/"
        self.sequential_pages([cached_url, cached_url + "account/"])  # cache it, activity included
        seconds = 3 if quick else 8
        calls_before = sum(v for k, v in self.fake_stats().items() if k.startswith("GET "))
        trivial = self.throughput("/healthz", seconds)
        cached = self.throughput(cached_url, seconds)
        calls_during = sum(v for k, v in self.fake_stats().items() if k.startswith("GET ")) - calls_before
        results["3_cached_page_throughput"] = {
            "cached_customer_page_per_s": round(cached, 1),
            "trivial_view_per_s": round(trivial, 1),
            "ratio": round(cached / trivial, 3),
            "upstream_calls_while_serving_the_cached_page_with_activity": calls_during,
        }
        results["7_activity"] = self.activity_timings(10 if quick else 20, d50)
        self.fake_control("latency", seconds=1.0)
        results["4_50_simultaneous_opens_upstream_calls"] = self.simultaneous_opens(50)
        results["5_peak_memory_per_worker_mb"] = [round(m, 1) for m in self.worker_peak_memory_mb(web)]
        self.fake_control("latency", seconds=0.0)
        total = 10_000 if quick else 50_000
        results["6_memory_over_requests"] = self.memory_over_requests(web, total, total // 10)
        self.stop(web)
        return results

    def activity_timings(self, n: int, one_call: float) -> dict:
        """Customer pages with account activity at 200 ms upstream, on a parallel fake:
        when the record is visible (the page), and when the activity is (the page, then
        its script's request for the activity), as ratios to one direct call. Customers
        of Northwind, which has activity: first never listed (place in the tree unknown),
        then after its list was browsed (place known)."""
        warm = 4
        ids = [cid for cid in self.fresh[BUILDERS] if cid not in self.opened_first][: 2 * n + warm]
        if len(ids) < 2 * n + warm:
            raise SystemExit(f"{BUILDERS} has run out of unopened customers")
        self.fresh[BUILDERS] = [cid for cid in self.fresh[BUILDERS] if cid not in ids]
        warm_up, unknown, known = ids[:warm], ids[warm : warm + n], ids[warm + n :]

        def open_with_activity(customer_id: str) -> tuple[float, float]:
            url = f"/end-users/{BUILDERS}/customers/{customer_id}/"
            with self.client() as c:
                started = time.perf_counter()
                page = c.get(url)
                record = time.perf_counter() - started
                parts = c.get(url + "account/", headers={"X-Fragment": "1"}) if "data-fragment" in page.text else page
                both = time.perf_counter() - started
            if page.status_code != 200 or parts.status_code != 200 or 'id="activity-section"' not in parts.text:
                raise SystemExit(f"{url}: no activity ({page.status_code}/{parts.status_code})")
            return record, both

        # Everything at 200 ms, the browsing included: the company's limit learns the
        # company at the latency it is measured on (not measured: the first opens).
        self.fake_control("latency", seconds=0.2)
        for cid in warm_up:
            open_with_activity(cid)
        cold = [open_with_activity(cid) for cid in unknown]
        self.browse((BUILDERS,))
        listed = [open_with_activity(cid) for cid in known]

        def ratios(pairs: list[tuple[float, float]], label: str) -> dict:
            return {
                f"{label}_record_visible_p50_ratio": round(statistics.median(r for r, _ in pairs) / one_call, 3),
                f"{label}_activity_visible_p50_ratio": round(statistics.median(a for _, a in pairs) / one_call, 3),
                f"{label}_activity_visible_p99_ratio": round(percentile([a for _, a in pairs], 99) / one_call, 3),
            }

        return {**ratios(cold, "place_unknown"), **ratios(listed, "place_known")}

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                self.stop(process)


def _burst_row(label: str, r: dict) -> tuple[str, str, str]:
    answered = f"{r['answered']}/{r['pages']} answered, p50 {r['answered_p50_s']} s, p99 {r['answered_p99_s']} s"
    refused = (
        f"; {r['refused']} refused, told after p50 {r['refused_told_p50_s']} s, max {r['refused_told_max_s']} s"
        if r["refused"]
        else ""
    )
    odd = f"; other statuses {r['other_statuses']}" if r["other_statuses"] else ""
    return (label, f"{answered}{refused}{odd}; {r['pages_per_s']} pages/s", "")


def table(results: dict) -> str:
    r1, r3 = results["1_concurrency_1"], results["3_cached_page_throughput"]
    rows = [
        (
            "fake Conductor direct: retrieve p50 / p99; list p50",
            f"{r1['fake_direct_p50_ms']} ms / {r1['fake_direct_p99_ms']} ms; {r1['fake_direct_list_p50_ms']} ms",
            "",
        ),
        (
            "1. one-call page (uncached list page) / direct list call, p50 / p99",
            f"{r1['one_call_page_p50_ratio']} / {r1['one_call_page_p99_ratio']}",
            "≤ 1.10",
        ),
        (
            "1. customer page, first open (the record) / direct retrieve, p50 / p99",
            f"{r1['customer_page_first_open_p50_ratio']} / {r1['customer_page_first_open_p99_ratio']}",
            "",
        ),
        (
            "1. customer page, after a list / direct retrieve, p50 / p99",
            f"{r1['customer_page_after_a_list_p50_ratio']} / {r1['customer_page_after_a_list_p99_ratio']}",
            "≤ 1.10",
        ),
    ]
    for key, label in (
        ("2_parallel_one_company_first_burst", "2. parallel, one company, first burst (limit cold)"),
        ("2_parallel_one_company", "2. parallel, one company (64 users)"),
        ("2_parallel_four_companies", "2. parallel, four companies (16 each)"),
        ("2_serial_one_company_first_burst", "2. serial, one company, first burst (limit cold)"),
        ("2_serial_one_company", "2. serial, one company (64 users)"),
        ("2_serial_four_companies", "2. serial, four companies (16 each)"),
    ):
        rows.append(_burst_row(label, results[key]))
    busy = results["2_serial_busy_elsewhere"]
    rows += [
        (
            "2. during the serial burst: /healthz, home, another company's page (max)",
            f"{busy.get('healthz_max_s')} s, {busy.get('home_max_s')} s, {busy.get('other_company_max_s')} s",
            "",
        ),
        (
            "3. cached page / trivial view",
            f"{r3['cached_customer_page_per_s']}/s / {r3['trivial_view_per_s']}/s = {r3['ratio']}",
            "≥ 0.5",
        ),
        (
            "3. upstream calls while serving the cached page with activity",
            str(r3["upstream_calls_while_serving_the_cached_page_with_activity"]),
            "0",
        ),
        ("4. 50 simultaneous opens: upstream calls", str(results["4_50_simultaneous_opens_upstream_calls"]), "1"),
        ("5. peak memory per worker", ", ".join(f"{m} MB" for m in results["5_peak_memory_per_worker_mb"]), ""),
    ]
    r7 = results["7_activity"]
    for label, target in (("place_known", "≤ 2.2"), ("place_unknown", "≤ 3.3")):
        rows += [
            (
                f"7. {label.replace('_', ' ')}: record visible / direct retrieve, p50",
                str(r7[f"{label}_record_visible_p50_ratio"]),
                "≤ 1.10",
            ),
            (
                f"7. {label.replace('_', ' ')}: activity visible / direct retrieve, p50 / p99",
                f"{r7[f'{label}_activity_visible_p50_ratio']} / {r7[f'{label}_activity_visible_p99_ratio']}",
                target,
            ),
        ]
    for sample in results["6_memory_over_requests"]:
        rows.append(
            (
                f"6. resident memory per worker after {sample['requests']:,} requests (its own)",
                ", ".join(
                    f"{m} MB ({own} MB)" for m, own in zip(sample["rss_mb"], sample.get("own_mb", []), strict=False)
                ),
                "",
            )
        )
    width = max(len(r[0]) for r in rows)
    lines = [f"settings: {results['settings']}" + (" (quick run)" if results["quick"] else "")]
    lines += [
        f"{name.ljust(width)}  {value}  {('target ' + target) if target else ''}".rstrip()
        for name, value, target in rows
    ]
    return "\n".join(lines)


def main_of(doc: str | None, bench: type[Bench], table: Callable[[dict], str], out: Path) -> None:
    """A benchmark's command line: run it, write its JSON, print its table."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(out))
    parser.add_argument("--quick", action="store_true", help="fewer samples, shorter phases")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    running = bench(args.quick)
    try:
        results = running.run()
    finally:
        running.close()
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nJSON: {args.out}")


if __name__ == "__main__":
    main_of(__doc__, Bench, table, ROOT / "benchmarks" / "results.json")
