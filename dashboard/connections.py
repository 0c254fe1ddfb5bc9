"""Whether each company's QuickBooks answers: probe through Conductor, store the outcome
and a short history. Used by admin's "Check QuickBooks connection", `check_connections`
and the demo's setup."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from dashboard.conductor import errors
from dashboard.conductor.client import ConductorClient
from dashboard.failures import KeyUnreadableError
from dashboard.models import Company, ConnectionCheck, ConnectionStatus
from dashboard.problems import for_admins, in_its_own_words


@dataclass(frozen=True)
class CheckResult:
    status: str  # a ConnectionStatus value
    message: str
    request_id: str
    last_successful_request_at: datetime | None


def probe_connection(conductor: ConductorClient, timeout: float | None = None) -> CheckResult:
    """Ask Conductor how the company's connection is, without touching the database
    (so many companies can be probed side by side).

    "Connected" means both: Conductor reports a last successful request (a connection
    record exists as soon as setup starts, so its mere presence means nothing) and a
    health check passes now."""
    started = time.monotonic()
    last_success = None
    try:
        remote = conductor.retrieve_end_user(timeout=timeout)
        last_success = remote.last_successful_qbd_request_at
        # The health check gets what is left of the company's budget.
        left = None if timeout is None else max(0.5, timeout - (time.monotonic() - started))
        conductor.check_connection(timeout=left)
    except errors.ConductorError as exc:
        if isinstance(exc, errors.ConnectionNotSetUpError):
            status = ConnectionStatus.SETUP_UNFINISHED
        elif isinstance(exc, errors.IntegrationConnectionError):
            status = ConnectionStatus.OFFLINE
        else:
            status = ConnectionStatus.ERROR
        # Conductor's last successful request is kept even now: it is when QuickBooks
        # last answered, usually well before our first failed check.
        return CheckResult(status, in_its_own_words(exc)[:1000], (exc.request_id or "")[:100], last_success)
    if last_success is None:
        return CheckResult(
            ConnectionStatus.SETUP_UNFINISHED,
            "Conductor has no successful QuickBooks request yet: setup is not finished.",
            "",
            None,
        )
    return CheckResult(ConnectionStatus.CONNECTED, "", "", last_success)


def learned_from(exc: Exception) -> CheckResult | None:
    """What a failed call elsewhere (the sync) says of the connection, when it says
    something a check would: the key refused, QuickBooks offline or its setup not
    finished. None for failures that say nothing of it (a timeout, a busy Conductor)."""
    if isinstance(exc, KeyUnreadableError):
        return unreadable_key_result(exc)
    if isinstance(exc, errors.ConnectionNotSetUpError):
        status = ConnectionStatus.SETUP_UNFINISHED
    elif isinstance(exc, errors.IntegrationConnectionError) and not isinstance(exc, errors.QuickBooksTimeoutError):
        status = ConnectionStatus.OFFLINE
    elif isinstance(exc, errors.AuthenticationError | errors.PermissionDeniedError):
        status = ConnectionStatus.ERROR
    else:
        return None
    return CheckResult(status, in_its_own_words(exc)[:1000], (exc.request_id or "")[:100], None)


def unreadable_key_result(exc: KeyUnreadableError) -> CheckResult:
    return CheckResult(ConnectionStatus.ERROR, for_admins(exc)[:1000], "", None)


def store_check(company: Company, result: CheckResult) -> Company:
    """Record a probe's outcome on the company and in its short history."""
    now = timezone.now()
    company.last_checked_at = now
    company.connection_status = result.status
    company.last_error = result.message
    company.last_error_request_id = result.request_id
    if result.status == ConnectionStatus.CONNECTED:
        company.last_success_at = now
        company.offline_since = None
    elif result.status == ConnectionStatus.OFFLINE:
        company.offline_since = company.offline_since or now
    if result.last_successful_request_at is not None:
        company.conductor_last_successful_request_at = result.last_successful_request_at
    with transaction.atomic():
        company.save(
            update_fields=[
                "connection_status",
                "last_checked_at",
                "last_success_at",
                "last_error",
                "last_error_request_id",
                "offline_since",
                "conductor_last_successful_request_at",
                "updated_at",
            ]
        )
        ConnectionCheck.objects.create(
            company=company,
            checked_at=now,
            status=result.status,
            message=result.message,
            conductor_request_id=result.request_id,
        )
        stale = company.checks.values_list("pk", flat=True)[ConnectionCheck.KEEP_PER_COMPANY :]
        ConnectionCheck.objects.filter(pk__in=list(stale)).delete()
    return company


def check_connection(company: Company, timeout: float | None = None) -> Company:
    """Check one company now and store the result."""
    try:
        result = probe_connection(company.conductor(), timeout)
    except KeyUnreadableError as exc:
        result = unreadable_key_result(exc)
    return store_check(company, result)
