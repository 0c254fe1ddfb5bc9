"""A stand-in for Conductor's REST API, for the demo, the tests and the benchmarks.

A real HTTP server (stdlib, threaded: a slow answer never blocks another) that serves
the endpoints in shared/conductor/README.md under /v1 from seeded data, checks the
Bearer key and the Conductor-End-User-Id header, and answers errors with Conductor's
envelope and a Conductor-Request-Id on every response.

Latency and faults are switchable while it runs, for one customer id, one end user,
one path, or the next N requests:
- in-process: `server.faults.add(Fault(...))`, `server.stats`;
- over HTTP (from another process): POST /_fake/faults with a Fault as JSON,
  DELETE /_fake/faults, GET /_fake/stats, POST /_fake/reset.

It imports nothing of the product: two independent readings of one contract.
"""

import contextlib
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from fake_conductor import edits, transaction_edits
from fake_conductor.data import DEMO_PUBLISHABLE_KEY, DEMO_SECRET_KEY, Company, large_company, seed_companies
from fake_conductor.faults import ApiError, Fault, Faults
from fake_conductor.ledger import is_open, transaction_row
from fake_conductor.listing import (
    CURSOR_TTL_SECONDS,
    DOCUMENT_PARAMS,
    INVOICE_PARAMS,
    LINKED_PARAMS,
    LIST_PARAMS,
    TRANSACTION_PARAMS,
    filter_customers,
    filter_documents,
    filter_transactions,
    time_bound,
)


def _record_id(raw: str) -> str:
    """A record's id from its path segment; every retrieve endpoint takes 36 characters at most."""
    record_id = unquote(raw)
    if len(record_id) > 36:
        raise ApiError("invalid_request", "id must be at most 36 characters.")
    return record_id


def _query_enum(path: str, name: str) -> frozenset[str]:
    """The values an array query parameter takes, as the contract copy lists them."""
    spec = json.loads((Path(__file__).parent / "contract" / "openapi-subset.json").read_text())
    [parameter] = [p for p in spec["paths"][path]["get"]["parameters"] if p.get("name") == name]
    return frozenset(parameter["schema"]["items"]["enum"])


# The types each deletions list takes, by its parameter.
DELETED_TYPES = {
    "objectTypes": _query_enum("/quickbooks-desktop/deleted-list-objects", "objectTypes"),
    "transactionTypes": _query_enum("/quickbooks-desktop/deleted-transactions", "transactionTypes"),
}

# The document lists: path -> (the ledger's kind, its query parameters).
DOCUMENT_PATHS = {
    "invoices": ("invoice", INVOICE_PARAMS),
    "receive-payments": ("receive_payment", DOCUMENT_PARAMS),
    "credit-memos": ("credit_memo", DOCUMENT_PARAMS | LINKED_PARAMS),
    "sales-receipts": ("sales_receipt", DOCUMENT_PARAMS),
}
_ONE_RECORD = re.compile(r"/(customers|invoices|receive-payments|credit-memos|sales-receipts|transactions)/[^/]+$")


# The stats' name for requests of every end user together ("max_in_flight all companies").
ALL_COMPANIES = "all companies"
# How many of the latest requests worked on are remembered, in order (FakeConductor.worked_on).
WORKED_ON_KEPT = 1000


class _FairLock:
    """A lock that lets its waiters in by arrival order (threading.Lock does not promise it)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._waiters: list[threading.Event] = []
        self._held = False

    def __enter__(self) -> None:
        with self._guard:
            if not self._held:
                self._held = True
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # handed over by the previous holder, still held for us

    def __exit__(self, *exc_info: object) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.pop(0).set()
            else:
                self._held = False

    def taken_or_waited_for(self) -> int:
        """The holder and the waiters in line behind it."""
        with self._guard:
            return int(self._held) + len(self._waiters)


@dataclass
class _Cursor:
    remaining: list[dict]
    expires_at: float


@dataclass
class FakeState:
    secret_keys: dict[str, str] = field(default_factory=lambda: {DEMO_SECRET_KEY: "demo"})
    publishable_keys: set[str] = field(default_factory=lambda: {DEMO_PUBLISHABLE_KEY})
    companies: dict[str, Company] = field(default_factory=dict)
    # which key owns which end user
    owners: dict[str, str] = field(default_factory=dict)
    cursors: dict[str, _Cursor] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def seeded(cls, large_companies: int = 0, customers_each: int = 0, ledgers: bool = False) -> "FakeState":
        """The demo's companies, plus `large_companies` generated ones of `customers_each`
        (with `ledgers`, their customers' activity too)."""
        state = cls()
        large = [large_company(n, customers_each, ledgers) for n in range(1, large_companies + 1)]
        for company in [*seed_companies(), *large]:
            state.companies[company.id] = company
            state.owners[company.id] = DEMO_SECRET_KEY
        return state


class FakeConductor:
    """The server: `start()` in a thread, `url` for clients, `stop()` when done."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        state: FakeState | None = None,
        serial: bool = False,
    ) -> None:
        self.state = state or FakeState.seeded()
        self.faults = Faults()
        self.latency = latency
        # serial: one QuickBooks request at a time per company file, the others queued
        # in arrival order, as Conductor and QuickBooks Desktop do. Otherwise every
        # request is answered in parallel (a stand-in that scales, or a future Conductor).
        self.serial = serial
        self._company_files: dict[str, _FairLock] = {}
        self.stats: Counter = Counter()
        self._in_flight: Counter = Counter()
        self._working: Counter = Counter()
        # The paths QuickBooks worked on, in the order it took them up (in serial mode, the
        # order the company file served them): the latest ones, so a long demo or benchmark
        # does not keep every request it ever answered.
        self.worked_on: deque[str] = deque(maxlen=WORKED_ON_KEPT)
        self._stats_lock = threading.Lock()
        self._request_numbers = itertools.count(1)
        handler = type("Handler", (_Handler,), {"fake": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._release_hangs = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> "FakeConductor":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-conductor", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.stop_hanging()
        self.httpd.shutdown()
        self.httpd.server_close()

    def stop_hanging(self) -> None:
        """Let every hanging request go (they close without an answer)."""
        released, self._release_hangs = self._release_hangs, threading.Event()
        released.set()

    def reset(self) -> None:
        self.faults.clear()
        with self._stats_lock:
            self.stats.clear()
            self.worked_on.clear()

    def count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def enter(self, end_user_id: str | None) -> None:
        """Track requests in flight per end user, and the most seen at once (the
        bulkhead's effect, as QuickBooks would feel it)."""
        if not end_user_id:
            return
        with self._stats_lock:
            for who in (end_user_id, ALL_COMPANIES):
                self._in_flight[who] += 1
                key = f"max_in_flight {who}"
                self.stats[key] = max(self.stats[key], self._in_flight[who])

    def leave(self, end_user_id: str | None) -> None:
        if end_user_id:
            with self._stats_lock:
                for who in (end_user_id, ALL_COMPANIES):
                    self._in_flight[who] -= 1

    @contextlib.contextmanager
    def working(self, end_user_id: str | None, path: str) -> Iterator[None]:
        """Count the requests QuickBooks works on at once (not those queued for it), and the
        most seen: one in serial mode, as many as arrive in parallel mode."""
        if not end_user_id:
            yield
            return
        key = f"max_working {end_user_id}"
        with self._stats_lock:
            self.worked_on.append(path)
            self._working[end_user_id] += 1
            self.stats[key] = max(self.stats[key], self._working[end_user_id])
        try:
            yield
        finally:
            with self._stats_lock:
                self._working[end_user_id] -= 1

    def company_file(self, end_user_id: str | None, path: str) -> "_FairLock | contextlib.nullcontext":
        """What a QuickBooks request holds while QuickBooks works on it: in serial mode,
        the company file (a fair lock: waiters are served in arrival order)."""
        if not self.serial or not end_user_id or not path.startswith("/quickbooks-desktop/"):
            return contextlib.nullcontext()
        with self._stats_lock:
            return self._company_files.setdefault(end_user_id, _FairLock())

    def in_flight(self, end_user_id: str = ALL_COMPANIES) -> int:
        """Requests of this end user (or of every company) not yet answered."""
        with self._stats_lock:
            return self._in_flight[end_user_id]

    def in_line(self, end_user_id: str) -> int:
        """Serial mode: the requests holding or waiting for the company file, in line."""
        lock = self._company_files.get(end_user_id)
        return lock.taken_or_waited_for() if lock else 0

    def new_request_id(self) -> str:
        return f"req_fake{next(self._request_numbers):06d}{secrets.token_hex(3)}"


class _Handler(BaseHTTPRequestHandler):
    fake: FakeConductor
    protocol_version = "HTTP/1.1"
    _raw_body = b""
    server_version = "FakeConductor/1.0"
    # Headers and body leave in one write, without Nagle's delay: otherwise every
    # keep-alive answer waits ~40 ms for a delayed ACK and latency figures lie.
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024

    def log_message(self, format, *args):  # quiet: tests and benchmarks read their own output
        pass

    # --- plumbing -------------------------------------------------------------

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _send_json(self, status: int, body, request_id: str | None, extra_headers: dict | None = None) -> None:
        raw = json.dumps(body).encode()
        self._send_raw(status, raw, "application/json", request_id, extra_headers)

    def _send_raw(
        self, status: int, raw: bytes, content_type: str, request_id: str | None, extra_headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        if request_id:
            self.send_header("Conductor-Request-Id", request_id)
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _take_body(self) -> bytes:
        """Read the request's body off the connection, whatever the answer will be: a
        body left unread would be taken for the next request on this keep-alive
        connection."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _read_body(self):
        raw = self._raw_body
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError("invalid_request", "The request body is not valid JSON.") from None

    def _dispatch(self, method: str) -> None:
        self._raw_body = self._take_body()
        split = urlsplit(self.path)
        if split.path.startswith("/_fake/"):
            self._control(method, split.path)
            return
        request_id = self.fake.new_request_id()
        path = split.path.removeprefix("/v1")
        raw_path = path
        path = unquote(path)
        query = parse_qs(split.query, keep_blank_values=True)
        end_user_id = self.headers.get("Conductor-End-User-Id")
        customer_match = re.fullmatch(r"/quickbooks-desktop/customers/([^/]+)", raw_path)
        customer_id = unquote(customer_match.group(1)) if customer_match else None
        self.fake.count(f"{method} {_ONE_RECORD.sub(r'/\1/{id}', path)}")
        if customer_id:
            self.fake.count(f"{method} customer {customer_id}")
        self.fake.enter(end_user_id)
        try:
            self._answer(method, path, raw_path, query, end_user_id, customer_id, request_id)
        finally:
            self.fake.leave(end_user_id)

    def _answer(self, method, path, raw_path, query, end_user_id, customer_id, request_id) -> None:
        fault = self.fake.faults.take(path, end_user_id, customer_id)
        delay = self.fake.latency + (fault.latency if fault else 0.0)
        if delay:
            with self.fake.company_file(end_user_id, path), self.fake.working(end_user_id, path):
                time.sleep(delay)
        try:
            if fault and fault.body:
                self._body_fault(fault.body, request_id)
                return
            if fault and fault.error:
                extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                raise ApiError(fault.error, headers=extra, id=customer_id or "")
            status, body = self._route(method, path, raw_path, query, end_user_id)
            self._send_json(status, body, request_id)
        except ApiError as exc:
            body = {"error": {**exc.body, "requestId": request_id}}
            self._send_json(exc.status, body, request_id, exc.headers)

    def _body_fault(self, kind: str, request_id: str) -> None:
        if kind == "hang":
            self.fake._release_hangs.wait(timeout=600)
            self.close_connection = True
        elif kind == "drop":
            self.close_connection = True
            self.connection.close()
        elif kind == "not_json":
            self._send_raw(200, b"<html><body>Gateway says hello</body></html>", "text/html", request_id)
        elif kind == "html_error":
            self._send_raw(503, b"<html><body>503 Service Unavailable</body></html>", "text/html", None)
        elif kind == "bad_shape":
            self._send_json(200, {"id": 42, "objectType": "qbd_customer", "name": ["not", "a", "string"]}, request_id)

    def _control(self, method: str, path: str) -> None:
        try:
            if path == "/_fake/faults" and method == "POST":
                fault = self.fake.faults.add(Fault(**(self._read_body() or {})))
                self._send_json(200, asdict(fault), None)
            elif path == "/_fake/faults" and method == "DELETE":
                self.fake.faults.clear()
                self._send_json(200, {"cleared": True}, None)
            elif path == "/_fake/faults" and method == "GET":
                self._send_json(200, self.fake.faults.describe(), None)
            elif path == "/_fake/stats" and method == "GET":
                self._send_json(200, dict(self.fake.stats), None)
            elif path == "/_fake/reset" and method == "POST":
                self.fake.reset()
                self._send_json(200, {"reset": True}, None)
            elif path == "/_fake/serial" and method == "POST":
                self.fake.serial = bool((self._read_body() or {}).get("on", True))
                self._send_json(200, {"serial": self.fake.serial}, None)
            elif path.startswith("/_fake/customers"):
                self._send_json(200, self._edit_customers(method, path, self._read_body() or {}), None)
            elif path.startswith(("/_fake/invoices", "/_fake/transactions")):
                self._send_json(200, self._edit_transactions(method, path, self._read_body() or {}), None)
            elif path == "/_fake/latency" and method == "POST":
                self.fake.latency = float((self._read_body() or {}).get("seconds", 0))
                self._send_json(200, {"latency": self.fake.latency}, None)
            else:
                self._send_json(404, {"detail": "unknown control path"}, None)
        except (TypeError, ValueError, ApiError) as exc:
            self._send_json(400, {"detail": str(exc)}, None)

    def _edit_customers(self, method: str, path: str, body: dict) -> dict:
        """POST /_fake/customers {end_user_id, fields} adds; POST /_fake/customers/<id>
        {end_user_id, changes} edits (a name or parentId renames or moves the subtree);
        DELETE /_fake/customers/<id> {end_user_id} deletes. `at` (ISO) sets the moment."""
        company = self.fake.state.companies.get(body.get("end_user_id", ""))
        if company is None:
            raise ApiError("invalid_request", "end_user_id names no company.")
        customer_id = path.removeprefix("/_fake/customers").strip("/")
        with self.fake.state.lock:
            if method == "POST" and not customer_id:
                return edits.add(company, body.get("fields") or {}, body.get("at"))
            if method == "POST":
                return edits.edit(company, customer_id, body.get("changes") or {}, body.get("at"))
            if method == "DELETE" and customer_id:
                return edits.delete(company, customer_id, body.get("at"))
        raise ApiError("invalid_request", "unknown customer edit")

    def _edit_transactions(self, method: str, path: str, body: dict) -> dict:
        """POST /_fake/invoices {end_user_id, customer_id, amount, day?} adds an invoice;
        POST /_fake/invoices/<id>/payments {end_user_id, amount} receives a payment on it;
        POST /_fake/transactions/<id>/void {end_user_id} voids; DELETE
        /_fake/transactions/<id> {end_user_id} deletes. `at` (ISO) sets the moment."""
        company = self.fake.state.companies.get(body.get("end_user_id", ""))
        if company is None:
            raise ApiError("invalid_request", "end_user_id names no company.")
        parts = path.removeprefix("/_fake/").strip("/").split("/")
        at = body.get("at")
        with self.fake.state.lock:
            match method, parts:
                case "POST", ["invoices"]:
                    return transaction_edits.add_invoice(
                        company, str(body.get("customer_id", "")), str(body.get("amount", "")), body.get("day"), at
                    )
                case "POST", ["invoices", invoice_id, "payments"]:
                    return transaction_edits.pay_invoice(company, invoice_id, str(body.get("amount", "")), at)
                case "POST", ["transactions", transaction_id, "void"]:
                    return transaction_edits.void(company, transaction_id, at)
                case "DELETE", ["transactions", transaction_id]:
                    return transaction_edits.delete(company, transaction_id, at)
        raise ApiError("invalid_request", "unknown transaction edit")

    # --- the API ----------------------------------------------------------------

    def _secret_key(self) -> str:
        auth = self.headers.get("Authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        if key not in self.fake.state.secret_keys:
            shown = f"'{key[:12]}...{key[-4:]}'" if len(key) > 16 else "(none)"
            raise ApiError("authentication", f"Invalid API key provided: {shown}")
        return key

    def _company(self, key: str, end_user_id: str | None) -> Company:
        if not end_user_id:
            raise ApiError("invalid_request", "Missing required header: Conductor-End-User-Id.")
        company = self.fake.state.companies.get(end_user_id)
        if company is None or self.fake.state.owners.get(end_user_id) != key:
            raise ApiError("resource_missing", f"No end user with id '{end_user_id}'.")
        if company.state == "offline":
            raise ApiError("qbd_offline")
        if company.state == "not_set_up":
            raise ApiError("not_set_up")
        return company

    def _route(self, method, path, raw_path, query, end_user_id):
        key = self._secret_key()
        state = self.fake.state
        if path == "/end-users" and method == "GET":
            with state.lock:
                data = [c.end_user_json() for eid, c in state.companies.items() if state.owners[eid] == key]
            return 200, {"objectType": "list", "url": "/v1/end-users", "data": data}
        if path == "/end-users" and method == "POST":
            return 200, self._create_end_user(key, self._read_body())
        match = re.fullmatch(r"/end-users/([^/]+)", path)
        if match:
            with state.lock:
                company = state.companies.get(match.group(1))
                if company is None or state.owners.get(company.id) != key:
                    raise ApiError("resource_missing", f"No end user with id '{match.group(1)}'.")
                if method == "GET":
                    return 200, company.end_user_json()
                if method == "DELETE":
                    del state.companies[company.id]
                    return 200, {"id": company.id, "objectType": "end_user", "deleted": True}
        if path == "/auth-sessions" and method == "POST":
            return 200, self._create_auth_session(key, self._read_body())
        if path == "/quickbooks-desktop/health-check" and method == "GET":
            self._company(key, end_user_id)
            return 200, {"duration": 112, "status": "ok"}
        if path == "/quickbooks-desktop/company" and method == "GET":
            return 200, self._company(key, end_user_id).company_file_json()
        if path == "/quickbooks-desktop/customers" and method == "GET":
            company = self._company(key, end_user_id)
            return 200, self._list_customers(company, query)
        match = re.fullmatch(r"/quickbooks-desktop/customers/([^/]+)", raw_path)
        if match and method == "GET":
            company = self._company(key, end_user_id)
            customer_id = _record_id(match.group(1))
            for customer in company.customers:
                if customer["id"] == customer_id:
                    return 200, customer
            raise ApiError("not_found", id=customer_id)
        if path == "/quickbooks-desktop/deleted-list-objects" and method == "GET":
            company = self._company(key, end_user_id)
            return 200, self._deleted_list_objects(company, query)
        if path == "/quickbooks-desktop/transactions" and method == "GET":
            company = self._company(key, end_user_id)
            return 200, self._list_transactions(company, query)
        if path == "/quickbooks-desktop/deleted-transactions" and method == "GET":
            company = self._company(key, end_user_id)
            return 200, self._deleted_transactions(company, query)
        match = re.fullmatch(r"/quickbooks-desktop/transactions/([^/]+)", raw_path)
        if match and method == "GET":
            company = self._company(key, end_user_id)
            return 200, self._retrieve_transaction(company, _record_id(match.group(1)))
        match = re.fullmatch(r"/quickbooks-desktop/([a-z-]+)(?:/([^/]+))?", raw_path)
        if match and match.group(1) in DOCUMENT_PATHS and method == "GET":
            company = self._company(key, end_user_id)
            if match.group(2) is None:
                return 200, self._list_documents(company, match.group(1), query)
            return 200, self._retrieve_document(company, match.group(1), _record_id(match.group(2)))
        raise ApiError("resource_missing", f"Unrecognized request URL ({method} /v1{path}).")

    def _create_end_user(self, key: str, body) -> dict:
        required = ("companyName", "sourceId", "email")
        if (
            not isinstance(body, dict)
            or set(body) - set(required)
            or any(not isinstance(body.get(name), str) or not body.get(name) for name in required)
        ):
            raise ApiError("invalid_request", "companyName, sourceId and email are required strings.")
        state = self.fake.state
        with state.lock:
            if any(c.source_id == body["sourceId"] and state.owners[c.id] == key for c in state.companies.values()):
                raise ApiError("invalid_request", f"An end user with sourceId '{body['sourceId']}' already exists.")
            company = Company(
                id="end_usr_" + secrets.token_hex(7),
                company_name=body["companyName"],
                source_id=body["sourceId"],
                email=body["email"],
                created_at=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                state="not_set_up",
                last_successful_request_at=None,
            )
            state.companies[company.id] = company
            state.owners[company.id] = key
        return company.end_user_json()

    def _create_auth_session(self, key: str, body) -> dict:
        allowed = {"publishableKey", "endUserId", "linkExpiryMins", "redirectUrl"}
        if not isinstance(body, dict) or set(body) - allowed or not {"publishableKey", "endUserId"} <= set(body):
            raise ApiError("invalid_request", "publishableKey and endUserId are required.")
        if body["publishableKey"] not in self.fake.state.publishable_keys:
            raise ApiError("authentication", "Invalid publishable key provided.")
        if body["endUserId"] not in self.fake.state.companies:
            raise ApiError("resource_missing", f"No end user with id '{body['endUserId']}'.")
        minutes = body.get("linkExpiryMins", 30)
        # A number (the contract), from 15 minutes to 7 days (the official SDK's own words).
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 15 <= minutes <= 7 * 24 * 60:
            raise ApiError("invalid_request", "linkExpiryMins must be a number from 15 (15 minutes) to 10080 (7 days).")
        secret = "auth_sess_client_secret_" + secrets.token_hex(8)
        now = time.time()
        return {
            "id": "auth_sess_" + secrets.token_hex(7),
            "objectType": "auth_session",
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now)),
            "endUserId": body["endUserId"],
            "clientSecret": secret,
            "authFlowUrl": f"https://connect.conductor.is/qbd/{secret}?key={body['publishableKey']}",
            "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + 60 * float(minutes))),
            "redirectUrl": body.get("redirectUrl"),
        }

    @staticmethod
    def _checked(query: dict, allowed: set[str]) -> dict:
        """The query's single values, after refusing unknown parameters."""
        unknown = set(query) - allowed
        if unknown:
            raise ApiError("invalid_request", f"Unknown query parameter(s): {', '.join(sorted(unknown))}.")
        return {name: values[-1] for name, values in query.items()}

    def _list_customers(self, company: Company, query: dict) -> dict:
        one = self._checked(query, LIST_PARAMS)
        page, envelope = self._paged(
            one, "customers", lambda: filter_customers(company.customers, query, one, company.time_zone)
        )
        if one.get("excludeAlternateShippingAddresses") == "true":
            page = [{**c, "alternateShippingAddresses": None} for c in page]
        return {**envelope, "data": page}

    def _list_documents(self, company: Company, path: str, query: dict) -> dict:
        kind, allowed = DOCUMENT_PATHS[path]
        one = self._checked(query, allowed)
        items = company.ledger.kinds()[kind]
        page, envelope = self._paged(one, path, lambda: filter_documents(kind, items, query, one, company.time_zone))
        lines = one.get("includeLineItems", "true")
        linked = one.get("includeLinkedTransactions", "false")
        if lines not in ("true", "false") or linked not in ("true", "false"):
            raise ApiError("invalid_request", "includeLineItems and includeLinkedTransactions must be true or false.")
        return {**envelope, "data": [_served(item, lines == "true", linked == "true") for item in page]}

    def _retrieve_document(self, company: Company, path: str, document_id: str) -> dict:
        """The retrieve endpoints take no options: lines included, links not."""
        kind, _ = DOCUMENT_PATHS[path]
        for item in company.ledger.kinds()[kind]:
            if item["id"] == document_id:
                return _served(item, lines=True, linked=False)
        raise ApiError("not_found", id=document_id)

    def _deleted_list_objects(self, company: Company, query: dict) -> dict:
        return self._deleted(company.deleted, company, query, "objectTypes", "listType", "deleted-list-objects")

    def _retrieve_transaction(self, company: Company, transaction_id: str) -> dict:
        """One transaction of any type, as /transactions lists it."""
        for kind, items in company.ledger.kinds().items():
            for item in items:
                if item.get("id", item.get("transactionId")) == transaction_id:  # estimates are kept as rows
                    return transaction_row(kind, item)
        raise ApiError("not_found", id=transaction_id)

    def _deleted_transactions(self, company: Company, query: dict) -> dict:
        return self._deleted(
            company.deleted_transactions, company, query, "transactionTypes", "transactionType", "deleted-transactions"
        )

    def _deleted(
        self, deleted: list[dict], company: Company, query: dict, types_param: str, type_key: str, path: str
    ) -> dict:
        """deleted-list-objects and deleted-transactions alike: the types required and from the
        contract's list, deletedAfter on or after, deletedBefore on or before, 90 days at
        most, oldest first, not paginated."""
        one = self._checked(query, {types_param, "deletedAfter", "deletedBefore"})
        types = query.get(types_param)
        if not types:
            raise ApiError("invalid_request", f"{types_param} is required.")
        unknown = sorted(set(types) - DELETED_TYPES[types_param])
        if unknown:
            raise ApiError("invalid_request", f"{types_param} has values the spec does not list: {', '.join(unknown)}.")
        after = (
            time_bound("deletedAfter", one["deletedAfter"], company.time_zone, end_of_day=False)
            if "deletedAfter" in one
            else None
        )
        before = (
            time_bound("deletedBefore", one["deletedBefore"], company.time_zone, end_of_day=True)
            if "deletedBefore" in one
            else None
        )
        found = [item for item in edits.deletions(deleted, after, before) if item[type_key] in types]
        return {"objectType": "list", "url": f"/v1/quickbooks-desktop/{path}", "data": found}

    def _list_transactions(self, company: Company, query: dict) -> dict:
        one = self._checked(query, TRANSACTION_PARAMS)
        rows = [
            (transaction_row(kind, item), is_open(kind, item))
            for kind, items in company.ledger.kinds().items()
            for item in items
        ]
        rows.sort(key=lambda pair: (pair[0]["transactionDate"], pair[0]["transactionId"]))
        page, envelope = self._paged(
            one, "transactions", lambda: filter_transactions(rows, query, one, company.time_zone)
        )
        return {**envelope, "data": page}

    def _paged(self, one: dict, path: str, matches) -> tuple[list[dict], dict]:
        """One page of a list and its envelope, with QuickBooks' iterator rules: the
        cursor is single-use, returns the next page, and expires 10 s after its last use."""
        try:
            limit = int(one.get("limit", "150"))
        except ValueError:
            raise ApiError("invalid_request", "limit must be an integer.") from None
        if not 1 <= limit <= 150:
            raise ApiError("invalid_request", "limit must be between 1 and 150.")
        state = self.fake.state
        cursor_value = one.get("cursor")
        if cursor_value:
            with state.lock:
                cursor = state.cursors.get(cursor_value)
                if cursor is None or cursor.expires_at < time.monotonic():
                    state.cursors.pop(cursor_value, None)
                    raise ApiError("invalid_request", "The cursor is invalid or has expired.")
                if not cursor.remaining:
                    raise ApiError("invalid_request", "The cursor has no more results.")
                page, cursor.remaining = cursor.remaining[:limit], cursor.remaining[limit:]
                cursor.expires_at = time.monotonic() + CURSOR_TTL_SECONDS
                remaining = len(cursor.remaining)
        else:
            found = matches()
            page, rest = found[:limit], found[limit:]
            remaining = len(rest)
            if rest:
                cursor_value = secrets.token_hex(16)
                with state.lock:
                    state.cursors[cursor_value] = _Cursor(rest, time.monotonic() + CURSOR_TTL_SECONDS)
            else:
                cursor_value = None
        return page, {
            "objectType": "list",
            "url": f"/v1/quickbooks-desktop/{path}",
            "nextCursor": cursor_value if remaining else None,
            "remainingCount": remaining,
            "hasMore": remaining > 0,
        }


def _served(item: dict, lines: bool, linked: bool) -> dict:
    """A document as a list or retrieve serves it: lines and links only when asked."""
    served = dict(item)
    if not lines:
        for key in ("lines", "lineGroups", "appliedToTransactions"):
            if key in served:
                served[key] = []
    if "linkedTransactions" in served and not linked:
        served["linkedTransactions"] = []
    return served
