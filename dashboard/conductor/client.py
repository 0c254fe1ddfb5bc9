"""The one door to Conductor: the only module of the product that imports httpx.

Functions are named for what staff need (retrieve a customer, list end users, check a
connection). Each takes the secret key and end-user id as arguments, so it can be
tested against httpx.MockTransport or the fake Conductor without any model. Lookups use
them through a `ConductorClient`, bound to one company's key and end user (a company
gives one: `Company.conductor()`), which also takes the company's place for each call.

Every call goes through one pooled httpx.Client per process, with the timeouts from
settings, is logged with method, path, status, duration and Conductor's request id,
and either returns a parsed record or raises a ConductorError subclass. The secret key
appears in no exception, log line or debug page: every answer is scrubbed of the key
before it is parsed, a request id is taken only when it looks like one (and holds no
part of the key), exceptions are built from our own words and the scrubbed answer,
httpx exceptions are not chained,
and the functions holding the key are marked sensitive for Django's error reporter.
"""

import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import quote

import httpx
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from dashboard import identifiers, request_budget
from dashboard.conductor import errors, records, transactions
from dashboard.conductor import retry as retry_policy
from dashboard.request_log import note_conductor_request

logger = logging.getLogger("dashboard.conductor")

# A call with less time than this left is not started: it could not be answered.
MIN_CALL_SECONDS = 0.1

# A customer is a few KB; even a 150-row page is well under a megabyte. Anything far
# larger is not an answer we can show, and reading it would only burn memory.
MAX_RESPONSE_BYTES = 20 * 1024 * 1024

_lock = threading.Lock()
_shared: tuple[tuple, httpx.Client] | None = None


def _client_config() -> tuple:
    return (
        os.getpid(),  # a client must not cross a fork: gunicorn workers get their own
        settings.CONDUCTOR_BASE_URL,
        settings.CONDUCTOR_CONNECT_TIMEOUT,
        settings.CONDUCTOR_READ_TIMEOUT,
        settings.CONDUCTOR_POOL_TIMEOUT,
        settings.CONDUCTOR_MAX_CONNECTIONS,
    )


def build_http_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client configured from settings; tests pass a MockTransport."""
    read = settings.CONDUCTOR_READ_TIMEOUT
    return httpx.Client(
        base_url=settings.CONDUCTOR_BASE_URL.rstrip("/") + "/",
        timeout=httpx.Timeout(
            connect=settings.CONDUCTOR_CONNECT_TIMEOUT,
            read=read,
            write=read,
            pool=settings.CONDUCTOR_POOL_TIMEOUT,
        ),
        limits=httpx.Limits(
            max_connections=settings.CONDUCTOR_MAX_CONNECTIONS,
            max_keepalive_connections=settings.CONDUCTOR_MAX_CONNECTIONS,
        ),
        headers={"Accept": "application/json", "User-Agent": "customer-dashboard"},
        follow_redirects=False,
        transport=transport,
    )


def _http() -> httpx.Client:
    """The process's shared client, rebuilt if settings changed or after a fork."""
    global _shared
    config = _client_config()
    shared = _shared
    if shared is not None and shared[0] == config:
        return shared[1]
    with _lock:
        if _shared is None or _shared[0] != config:
            _shared = (config, build_http_client())
        return _shared[1]


# --- what staff need ----------------------------------------------------------


def retrieve_customer(secret_key: str, end_user_id: str, customer_id: str) -> records.Customer:
    """One customer by its QuickBooks ListID.

    The id is checked before any call, so a malformed id never reaches Conductor."""
    if not identifiers.is_valid_customer_id(customer_id):
        raise ValueError("not a QuickBooks customer id")
    body, request_id = _request(
        "GET",
        "quickbooks-desktop/customers/" + quote(customer_id, safe=""),
        secret_key=secret_key,
        end_user_id=end_user_id,
    )
    return _parse(records.parse_customer, body, request_id)


def date_time_param(moment: datetime) -> str:
    """A date-time as Conductor reads one: `YYYY-MM-DDTHH:mm:ss±HH:mm` for an instant,
    `YYYY-MM-DDTHH:mm:ss` (the company's own time) for a naive one. Never fractional
    seconds, never "Z": the contract has neither. Rounded down to the second, so an
    "after" bound never skips what changed within that second."""
    return moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class CustomerQuery:
    """Filters of the customer list endpoint, named as in Conductor's API.

    QuickBooks allows one name filter per query: the three name-match filters exclude
    each other and nameFrom/nameTo; ids/fullNames override every other filter."""

    status: str | None = None  # active (Conductor's default) | inactive | all
    name_contains: str | None = None
    name_starts_with: str | None = None
    name_ends_with: str | None = None
    name_from: str | None = None
    name_to: str | None = None
    ids: tuple[str, ...] = ()
    full_names: tuple[str, ...] = ()
    total_balance_greater_than: str | None = None
    total_balance_greater_than_or_equal_to: str | None = None
    updated_after: datetime | None = None  # an instant: sent with its offset
    exclude_alternate_shipping_addresses: bool = True  # lists never show them

    def params(self) -> list[tuple[str, str]]:
        pairs = [
            ("status", self.status),
            ("nameContains", self.name_contains),
            ("nameStartsWith", self.name_starts_with),
            ("nameEndsWith", self.name_ends_with),
            ("nameFrom", self.name_from),
            ("nameTo", self.name_to),
            ("totalBalanceGreaterThan", self.total_balance_greater_than),
            ("totalBalanceGreaterThanOrEqualTo", self.total_balance_greater_than_or_equal_to),
            ("updatedAfter", date_time_param(self.updated_after) if self.updated_after else None),
        ]
        params = [(name, value) for name, value in pairs if value is not None]
        params += [("ids", value) for value in self.ids]  # arrays repeat the key
        params += [("fullNames", value) for value in self.full_names]
        if self.exclude_alternate_shipping_addresses:
            params.append(("excludeAlternateShippingAddresses", "true"))
        return params


def list_customers(
    secret_key: str,
    end_user_id: str,
    query: CustomerQuery,
    *,
    limit: int = 150,
    cursor: str | None = None,
    timeout: float | None = None,
) -> records.CustomerPage:
    """One page of customers. With a cursor, Conductor returns the *next* page of the
    same query (the SDK re-sends the filters with it, and so do we)."""
    if not 1 <= limit <= 150:
        raise ValueError("limit must be between 1 and 150")
    params = [*query.params(), ("limit", str(limit))]
    if cursor:
        params.append(("cursor", cursor))
    body, request_id = _request(
        "GET",
        "quickbooks-desktop/customers",
        secret_key=secret_key,
        end_user_id=end_user_id,
        params=params,
        timeout=timeout,
    )
    return _parse(records.parse_customer_page, body, request_id)


@dataclass(frozen=True)
class TransactionQuery:
    """Filters of the transaction lists (invoices, payments, credit memos, sales
    receipts, and /transactions), named as in Conductor's API.

    ids/refNumbers override every other filter, and one unknown value fails the whole
    request; refNumbers match exactly and case-sensitively."""

    ids: tuple[str, ...] = ()
    ref_numbers: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()  # sent as entityIds to /transactions
    transaction_types: tuple[str, ...] = ()  # /transactions only
    payment_status: str | None = None  # invoices: all|paid|not_paid; transactions: open|closed|either
    transaction_date_from: date | None = None
    transaction_date_to: date | None = None
    include_line_items: bool | None = None  # Conductor's default is true: lists send false
    include_linked_transactions: bool | None = None
    updated_after: datetime | None = None  # an instant: sent with its offset

    def params(self, *, entity_filter: str = "customerIds") -> list[tuple[str, str]]:
        params = [(name, value) for name, values in (
            ("ids", self.ids),
            ("refNumbers", self.ref_numbers),
            (entity_filter, self.customer_ids),
            ("transactionTypes", self.transaction_types),
        ) for value in values]  # fmt: skip
        if self.payment_status:
            params.append(("paymentStatus", self.payment_status))
        if self.transaction_date_from:
            params.append(("transactionDateFrom", self.transaction_date_from.isoformat()))
        if self.transaction_date_to:
            params.append(("transactionDateTo", self.transaction_date_to.isoformat()))
        if self.updated_after:
            params.append(("updatedAfter", date_time_param(self.updated_after)))
        for name, flag in (
            ("includeLineItems", self.include_line_items),
            ("includeLinkedTransactions", self.include_linked_transactions),
        ):
            if flag is not None:
                params.append((name, "true" if flag else "false"))
        return params


def list_invoices(
    secret_key: str, end_user_id: str, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
) -> transactions.ListPage[transactions.Document]:
    return _list_page("invoices", _DOCUMENTS, secret_key, end_user_id, query.params(), limit, cursor)


def list_credit_memos(
    secret_key: str, end_user_id: str, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
) -> transactions.ListPage[transactions.Document]:
    return _list_page("credit-memos", _DOCUMENTS, secret_key, end_user_id, query.params(), limit, cursor)


def list_sales_receipts(
    secret_key: str, end_user_id: str, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
) -> transactions.ListPage[transactions.Document]:
    return _list_page("sales-receipts", _DOCUMENTS, secret_key, end_user_id, query.params(), limit, cursor)


def list_payments(
    secret_key: str, end_user_id: str, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
) -> transactions.ListPage[transactions.Payment]:
    return _list_page("receive-payments", _PAYMENTS, secret_key, end_user_id, query.params(), limit, cursor)


def list_transactions(
    secret_key: str, end_user_id: str, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
) -> transactions.ListPage[transactions.TransactionRow]:
    """Every type of transaction, one row each (Conductor's default detail level)."""
    params = query.params(entity_filter="entityIds")
    return _list_page("transactions", _ROWS, secret_key, end_user_id, params, limit, cursor)


def retrieve_payment(secret_key: str, end_user_id: str, payment_id: str) -> transactions.Payment:
    return _retrieve("receive-payments", transactions.parse_payment, secret_key, end_user_id, payment_id)


def retrieve_sales_receipt(secret_key: str, end_user_id: str, receipt_id: str) -> transactions.Document:
    return _retrieve("sales-receipts", transactions.parse_document, secret_key, end_user_id, receipt_id)


_DOCUMENTS = transactions.list_parser(transactions.parse_document)
_PAYMENTS = transactions.list_parser(transactions.parse_payment)
_ROWS = transactions.list_parser(transactions.parse_transaction_row)


def _list_page[R](
    path: str,
    parser: Callable[[Any], R],
    secret_key: str,
    end_user_id: str,
    params: list[tuple[str, str]],
    limit: int,
    cursor: str | None,
) -> R:
    if not 1 <= limit <= 150:
        raise ValueError("limit must be between 1 and 150")
    params = [*params, ("limit", str(limit))]
    if cursor:
        params.append(("cursor", cursor))  # with every filter again, as the SDK does
    body, request_id = _request(
        "GET", "quickbooks-desktop/" + path, secret_key=secret_key, end_user_id=end_user_id, params=params
    )
    return _parse(parser, body, request_id)


def _retrieve[R](path: str, parser: Callable[[Any], R], secret_key: str, end_user_id: str, record_id: str) -> R:
    """One transaction by id; the id is checked before any call."""
    if not identifiers.is_valid_transaction_id(record_id):
        raise ValueError("not a QuickBooks transaction id")
    body, request_id = _request(
        "GET", f"quickbooks-desktop/{path}/" + quote(record_id, safe=""), secret_key=secret_key, end_user_id=end_user_id
    )
    return _parse(parser, body, request_id)


def list_deleted_customers(
    secret_key: str, end_user_id: str, deleted_after: datetime | None = None
) -> list[records.DeletedCustomer]:
    """Customers and jobs deleted since `deleted_after` (QuickBooks remembers 90 days),
    oldest first. Not paginated."""
    return _list_deleted(
        "deleted-list-objects", [("objectTypes", "customer")], deleted_after, records.parse_deleted_customers,
        secret_key, end_user_id,
    )  # fmt: skip


def list_deleted_transactions(
    secret_key: str, end_user_id: str, transaction_types: tuple[str, ...], deleted_after: datetime | None = None
) -> list[records.DeletedTransaction]:
    """Transactions of these types deleted on or after `deleted_after` (QuickBooks
    remembers 90 days). Not paginated."""
    if not transaction_types:
        raise ValueError("deleted-transactions needs at least one transaction type")
    types = [("transactionTypes", kind) for kind in transaction_types]
    return _list_deleted(
        "deleted-transactions", types, deleted_after, records.parse_deleted_transactions, secret_key, end_user_id
    )


def _list_deleted[R](
    path: str,
    params: list[tuple[str, str]],
    deleted_after: datetime | None,
    parser: Callable[[Any], R],
    secret_key: str,
    end_user_id: str,
) -> R:
    if deleted_after is not None:
        params = [*params, ("deletedAfter", date_time_param(deleted_after))]
    body, request_id = _request(
        "GET", "quickbooks-desktop/" + path, secret_key=secret_key, end_user_id=end_user_id, params=params
    )
    return _parse(parser, body, request_id)


def retrieve_company_file(secret_key: str, end_user_id: str) -> records.CompanyFile:
    """The company file's own details a statement needs (GET /quickbooks-desktop/company)."""
    body, request_id = _request("GET", "quickbooks-desktop/company", secret_key=secret_key, end_user_id=end_user_id)
    return _parse(records.parse_company_file, body, request_id)


def retrieve_end_user(secret_key: str, end_user_id: str, timeout: float | None = None) -> records.EndUser:
    _require_end_user_id(end_user_id)
    body, request_id = _request("GET", f"end-users/{end_user_id}", secret_key=secret_key, timeout=timeout)
    return _parse(records.parse_end_user, body, request_id)


def create_end_user(secret_key: str, *, company_name: str, source_id: str, email: str) -> records.EndUser:
    """A new end user (a company to connect); Conductor refuses a duplicate source id."""
    body, request_id = _request(
        "POST",
        "end-users",
        secret_key=secret_key,
        json_body={"companyName": company_name, "sourceId": source_id, "email": email},
    )
    return _parse(records.parse_end_user, body, request_id)


def delete_end_user(secret_key: str, end_user_id: str) -> bool:
    _require_end_user_id(end_user_id)
    body, request_id = _request("DELETE", f"end-users/{end_user_id}", secret_key=secret_key)
    return _parse(records.parse_deleted, body, request_id)


@sensitive_variables("secret_key", "publishable_key")
def create_auth_session(
    secret_key: str, publishable_key: str, end_user_id: str, link_expiry_mins: int = 60 * 24
) -> records.AuthSession:
    """A setup link the QuickBooks user opens to connect their company file."""
    body, request_id = _request(
        "POST",
        "auth-sessions",
        secret_key=secret_key,
        json_body={"publishableKey": publishable_key, "endUserId": end_user_id, "linkExpiryMins": link_expiry_mins},
    )
    return _parse(records.parse_auth_session, body, request_id)


def list_end_users(secret_key: str) -> list[records.EndUser]:
    """Every end user the key can see (Conductor does not paginate this list)."""
    body, request_id = _request("GET", "end-users", secret_key=secret_key)
    return _parse(records.parse_end_user_list, body, request_id)


def check_connection(secret_key: str, end_user_id: str, timeout: float | None = None) -> records.HealthCheck:
    """Whether the end user's QuickBooks answers now (raises if it does not)."""
    body, request_id = _request(
        "GET", "quickbooks-desktop/health-check", secret_key=secret_key, end_user_id=end_user_id, timeout=timeout
    )
    return _parse(records.parse_health_check, body, request_id)


# --- bound to one company ------------------------------------------------------------

# Takes the company's place for one call of a kind (the function's name), and gives it
# back when the block ends.
type Slot = Callable[[str], AbstractContextManager[object]]


def _no_slot(kind: str) -> AbstractContextManager[object]:
    return nullcontext()


class ConductorClient:
    """Conductor for one company: its key and end-user id bound, each call made inside
    `slot(kind)` (the company's limit, given by whoever binds the client)."""

    def __init__(self, secret_key: str, end_user_id: str, slot: Slot = _no_slot) -> None:
        self._secret_key = secret_key
        self.end_user_id = end_user_id
        self._slot = slot

    def __repr__(self) -> str:  # never the key, whoever prints the client
        return f"ConductorClient({self.end_user_id})"

    def _call[R](self, call: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        with self._slot(call.__name__):
            return call(self._secret_key, self.end_user_id, *args, **kwargs)

    def retrieve_customer(self, customer_id: str) -> records.Customer:
        return self._call(retrieve_customer, customer_id)

    def retrieve_company_file(self) -> records.CompanyFile:
        return self._call(retrieve_company_file)

    def list_customers(
        self, query: CustomerQuery, *, limit: int = 150, cursor: str | None = None, timeout: float | None = None
    ) -> records.CustomerPage:
        return self._call(list_customers, query, limit=limit, cursor=cursor, timeout=timeout)

    def list_invoices(
        self, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
    ) -> transactions.ListPage[transactions.Document]:
        return self._call(list_invoices, query, limit=limit, cursor=cursor)

    def list_credit_memos(
        self, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
    ) -> transactions.ListPage[transactions.Document]:
        return self._call(list_credit_memos, query, limit=limit, cursor=cursor)

    def list_sales_receipts(
        self, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
    ) -> transactions.ListPage[transactions.Document]:
        return self._call(list_sales_receipts, query, limit=limit, cursor=cursor)

    def list_payments(
        self, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
    ) -> transactions.ListPage[transactions.Payment]:
        return self._call(list_payments, query, limit=limit, cursor=cursor)

    def list_transactions(
        self, query: TransactionQuery, *, limit: int = 150, cursor: str | None = None
    ) -> transactions.ListPage[transactions.TransactionRow]:
        return self._call(list_transactions, query, limit=limit, cursor=cursor)

    def retrieve_payment(self, payment_id: str) -> transactions.Payment:
        return self._call(retrieve_payment, payment_id)

    def retrieve_sales_receipt(self, receipt_id: str) -> transactions.Document:
        return self._call(retrieve_sales_receipt, receipt_id)

    def list_deleted_customers(self, deleted_after: datetime | None = None) -> list[records.DeletedCustomer]:
        return self._call(list_deleted_customers, deleted_after)

    def list_deleted_transactions(
        self, transaction_types: tuple[str, ...], deleted_after: datetime | None = None
    ) -> list[records.DeletedTransaction]:
        return self._call(list_deleted_transactions, transaction_types, deleted_after)

    def check_connection(self, timeout: float | None = None) -> records.HealthCheck:
        return self._call(check_connection, timeout=timeout)

    def retrieve_end_user(self, timeout: float | None = None) -> records.EndUser:
        # Conductor's own record of the company: QuickBooks is not asked, no place taken.
        return retrieve_end_user(self._secret_key, self.end_user_id, timeout=timeout)

    def delete_end_user(self) -> bool:
        return self._call(delete_end_user)

    def create_auth_session(self, publishable_key: str, link_expiry_mins: int = 60 * 24) -> records.AuthSession:
        with self._slot("create_auth_session"):
            return create_auth_session(self._secret_key, publishable_key, self.end_user_id, link_expiry_mins)


# --- the mechanics --------------------------------------------------------------


def _require_end_user_id(end_user_id: str | None) -> None:
    """Checked before any call: a malformed end-user id never reaches Conductor."""
    if not end_user_id or not identifiers.is_valid_conductor_id(end_user_id):
        raise ValueError("not a Conductor end-user id")


def _parse[R](parser: Callable[[Any], R], body: Any, request_id: str | None) -> R:
    try:
        parsed = parser(body)
    except records.MalformedRecord as exc:
        raise errors.MalformedResponseError(
            f"Conductor's answer does not match the contract: {exc}", request_id=request_id
        ) from None
    if isinstance(parsed, records.Customer | records.CustomerPage | transactions.ListPage):
        # Records remember the call that fetched them, for the audit trail and logs.
        return cast(R, dataclasses.replace(parsed, request_id=request_id))
    return parsed


def _qbd_timeout_header(read_timeout: float) -> dict[str, str]:
    # Ask Conductor to give up on QuickBooks a little before we give up on Conductor,
    # so a slow QuickBooks comes back as Conductor's own explained timeout.
    seconds = int(read_timeout) - 2
    return {"Conductor-Timeout-Seconds": str(seconds)} if seconds >= 1 else {}


def _sleep(seconds: float) -> None:  # a seam for tests
    time.sleep(seconds)


@sensitive_variables("secret_key")
def _request(
    method: str,
    path: str,
    *,
    secret_key: str,
    end_user_id: str | None = None,
    params: list[tuple[str, str]] | None = None,
    json_body: dict | None = None,
    timeout: float | None = None,
) -> tuple[Any, str | None]:
    """Send a request, retrying where that can help, within one time budget.

    Returns (decoded JSON, request id) or raises a ConductorError. `timeout` caps the
    whole call, retries included (a per-company budget); so do
    settings.CONDUCTOR_TOTAL_BUDGET, kept below gunicorn's worker timeout, and what is
    left of the asking request's own budget (request_budget.py)."""
    if path.startswith("quickbooks-desktop/"):
        _require_end_user_id(end_user_id)
    budget = min(timeout, settings.CONDUCTOR_TOTAL_BUDGET) if timeout else settings.CONDUCTOR_TOTAL_BUDGET
    left = request_budget.remaining()  # what the page asking has left, over all its calls
    if left is not None:
        budget = min(budget, left)
    if budget < MIN_CALL_SECONDS:
        raise errors.RequestTimeoutError("Conductor did not answer in time.")
    deadline = time.monotonic() + budget
    retry = 0
    while True:
        remaining = deadline - time.monotonic()
        try:
            return _attempt(method, path, secret_key, end_user_id, params, json_body, remaining, retry)
        except _Retryable as failure:
            delay = retry_policy.delay_before_retry(failure.error, failure.retry_after, retry)
            # POST is retried only when the request never left (a failed connect).
            safe = method == "GET" or (isinstance(failure.error, errors.ConnectError) and failure.never_sent)
            if (
                delay is None
                or not safe
                or retry >= settings.CONDUCTOR_MAX_RETRIES
                or time.monotonic() + delay + 1.0 > deadline
            ):
                raise failure.error from None
            _sleep(delay)
            retry += 1


class _Retryable(Exception):
    """Carries a failed attempt's error to the retry loop."""

    def __init__(self, error: errors.ConductorError, retry_after: str | None = None, never_sent: bool = False):
        self.error = error
        self.retry_after = retry_after
        self.never_sent = never_sent


@sensitive_variables("secret_key", "headers")
def _attempt(
    method: str,
    path: str,
    secret_key: str,
    end_user_id: str | None,
    params: list[tuple[str, str]] | None,
    json_body: dict[str, Any] | None,
    remaining: float,
    retry: int,
) -> tuple[Any, str | None]:
    read_timeout = max(0.1, min(remaining, settings.CONDUCTOR_READ_TIMEOUT))
    headers = {"Authorization": f"Bearer {secret_key}"}
    if path.startswith("quickbooks-desktop/"):
        headers["Conductor-End-User-Id"] = end_user_id or ""
        headers.update(_qbd_timeout_header(read_timeout))
    request_timeout = httpx.Timeout(
        connect=min(settings.CONDUCTOR_CONNECT_TIMEOUT, read_timeout),
        read=read_timeout,
        write=read_timeout,
        pool=min(settings.CONDUCTOR_POOL_TIMEOUT, read_timeout),
    )

    started = time.monotonic()
    status: int | str = "-"
    request_id = None
    retry_after = None
    try:
        try:
            with _http().stream(
                method, path, headers=headers, params=tuple(params or ()), json=json_body, timeout=request_timeout
            ) as response:
                status = response.status_code
                request_id = _request_id(response.headers.get("Conductor-Request-Id"), secret_key)
                retry_after = response.headers.get("Retry-After")
                raw = _read_bounded(response, request_id)
        except httpx.ConnectTimeout:
            status = "connect-timeout"
            raise _Retryable(errors.ConnectError("Conductor could not be reached in time."), never_sent=True) from None
        except httpx.TimeoutException:
            status = "timeout"
            raise errors.RequestTimeoutError("Conductor did not answer in time.") from None
        except httpx.HTTPError as exc:
            status = type(exc).__name__
            raise _Retryable(
                errors.ConnectError(f"Conductor could not be reached ({type(exc).__name__})."),
                never_sent=isinstance(exc, httpx.ConnectError),
            ) from None
    finally:
        elapsed_ms = (time.monotonic() - started) * 1000
        note_conductor_request(request_id)
        logger.info(
            "conductor %s /%s status=%s duration_ms=%.0f request_id=%s attempt=%d",
            method,
            path,
            status,
            elapsed_ms,
            request_id or "-",
            retry + 1,
        )

    try:
        body = _decode(raw, response.status_code, request_id, secret_key)
    except errors.MalformedResponseError as exc:
        raise _Retryable(exc, retry_after) from None
    if response.status_code >= 400:
        error = _api_error(body, response.status_code, request_id)
        if isinstance(error, errors.RateLimitError):
            error.retry_after = retry_policy.retry_after_seconds(retry_after)
        raise _Retryable(error, retry_after)
    return body, request_id


def _read_bounded(response: httpx.Response, request_id: str | None) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise errors.MalformedResponseError(
                "Conductor's answer is too large to be a valid response.",
                status=response.status_code,
                request_id=request_id,
            )
        chunks.append(chunk)
    return b"".join(chunks)


@sensitive_variables("secret_key")
def _request_id(header: str | None, secret_key: str) -> str | None:
    """Conductor's request id from its header, when it looks like one and holds no part of
    the key (a proxy or a hostile server may echo anything there)."""
    request_id = identifiers.conductor_request_id(header)
    if request_id is None or identifiers.scrub_secret(request_id, secret_key) != request_id:
        return None
    return request_id


@sensitive_variables("secret_key")
def _decode(raw: bytes, status: int, request_id: str | None, secret_key: str) -> Any:
    """The answer as JSON, scrubbed of the key first: whatever Conductor (or anything in
    between) echoes, in a message, a record's field or an error, is hidden before it can
    be stored, logged or shown."""
    try:
        return json.loads(identifiers.scrub_secret(raw.decode("utf-8-sig"), secret_key))
    except ValueError:  # includes UnicodeDecodeError
        raise errors.MalformedResponseError(
            f"Conductor answered HTTP {status} with a body that is not JSON.",
            status=status,
            request_id=request_id,
        ) from None


def _api_error(body: Any, status: int, request_id: str | None) -> errors.ConductorError:
    envelope = body.get("error") if isinstance(body, dict) else None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
        return errors.MalformedResponseError(
            f"Conductor answered HTTP {status} without its error details.",
            status=status,
            request_id=request_id,
        )

    def text(key: str) -> str | None:
        value = envelope.get(key)
        return None if value is None else str(value)  # the body was scrubbed of the key in _decode

    error_type, code, integration_code = text("type"), text("code"), text("integrationCode")
    error_class = errors.error_class_for(error_type, code, integration_code, status)
    return error_class(
        text("message") or f"Conductor answered HTTP {status}.",
        status=status,
        type=error_type,
        code=code,
        user_facing_message=text("userFacingMessage"),
        request_id=identifiers.conductor_request_id(envelope.get("requestId")) or request_id,
        integration_code=integration_code,
    )
