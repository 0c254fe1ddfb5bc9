"""Between the views/admin and the Conductor client: decrypt the key, call, store results.

Views and admin never handle a plaintext key or call the client with model objects;
they come here. Every QuickBooks call passes the per-company bulkhead (`qbd`), and
customer records are served through the freshness cache with coalescing.
"""

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard import records
from dashboard.bulkhead import company_slot
from dashboard.conductor import client, errors
from dashboard.crypto import UnreadableSecret
from dashboard.freshness import Fetched, cache_key, get_or_fetch, peek
from dashboard.models import ApiKey, ConnectionCheck, ConnectionStatus, EndUser


class KeyUnreadable(errors.ConductorError):
    """The stored key cannot be decrypted, so no call can be made."""


def _secret(api_key: ApiKey) -> str:
    try:
        return api_key.get_secret()
    except UnreadableSecret as exc:
        raise KeyUnreadable(str(exc)) from None


def secret_for(end_user: EndUser) -> str:
    """The plaintext key that reaches this company; KeyUnreadable if it cannot be decrypted."""
    return _secret(end_user.api_key)


def qbd(end_user_id: str, call, *args, **kwargs):
    """Run one QuickBooks call for a company inside its bulkhead."""
    with company_slot(end_user_id):
        return call(*args, **kwargs)


def fresh_customer(end_user: EndUser, customer_id: str) -> Fetched[records.Customer] | None:
    """The customer if a fresh copy is cached; None means fetch_customer would call."""
    return peek(cache_key("customer", end_user.conductor_id, customer_id), ttl=settings.CUSTOMER_CACHE_TTL)


def fetch_customer(end_user: EndUser, customer_id: str, *, refresh: bool = False) -> Fetched[records.Customer]:
    """The customer, from the cache while fresh; simultaneous misses share one call."""
    secret = secret_for(end_user)
    return get_or_fetch(
        cache_key("customer", end_user.conductor_id, customer_id),
        lambda: qbd(end_user.conductor_id, client.retrieve_customer, secret, end_user.conductor_id, customer_id),
        ttl=settings.CUSTOMER_CACHE_TTL,
        refresh=refresh,
    )


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    message: str


def verify_api_key(api_key: ApiKey) -> VerifyResult:
    """Ask Conductor whether the key works (GET /end-users) and remember the answer."""
    try:
        count = len(client.list_end_users(_secret(api_key)))
        result = VerifyResult(True, f"Valid: Conductor lists {count} end user(s) for it.")
    except errors.AuthenticationError:
        result = VerifyResult(False, "Invalid: Conductor rejected this key.")
    except errors.ConductorError as exc:
        result = VerifyResult(False, f"Could not verify: {_describe(exc)}")
    api_key.last_verified_at = timezone.now()
    api_key.last_verification_ok = result.ok
    api_key.last_verification_message = result.message[:500]
    api_key.save(update_fields=["last_verified_at", "last_verification_ok", "last_verification_message"])
    return result


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_end_users(api_key: ApiKey) -> ImportResult:
    """Create or update a local EndUser for each of the key's end users in Conductor.

    Matched on the Conductor id, so running it again never duplicates. Local choices
    (active flag, connection checks) are kept."""
    remote = client.list_end_users(_secret(api_key))
    created = updated = 0
    with transaction.atomic():
        for item in remote:
            _, was_created = EndUser.objects.update_or_create(
                conductor_id=item.id,
                defaults={
                    "company_name": item.company_name[:255] or item.id,
                    "email": item.email[:255],
                    "source_id": item.source_id[:255],
                    "api_key": api_key,
                    "conductor_last_successful_request_at": item.last_successful_qbd_request_at,
                },
            )
            created += was_created
            updated += not was_created
    return ImportResult(created, updated)


@dataclass(frozen=True)
class CheckResult:
    status: str  # a ConnectionStatus value
    message: str
    request_id: str
    last_successful_request_at: datetime | None


def probe_connection(secret: str, end_user_id: str, timeout: float | None = None) -> CheckResult:
    """Ask Conductor how the company's connection is, without touching the database
    (so many companies can be probed side by side).

    "Connected" means both: Conductor reports a last successful request (a connection
    record exists as soon as setup starts, so its mere presence means nothing) and a
    health check passes now."""
    started = time.monotonic()
    try:
        remote = client.retrieve_end_user(secret, end_user_id, timeout=timeout)
        last_success = remote.last_successful_qbd_request_at
        # The health check gets what is left of the company's budget.
        left = None if timeout is None else max(0.5, timeout - (time.monotonic() - started))
        qbd(end_user_id, client.check_connection, secret, end_user_id, timeout=left)
    except errors.ConductorError as exc:
        if isinstance(exc, errors.ConnectionNotSetUpError):
            status = ConnectionStatus.SETUP_UNFINISHED
        elif isinstance(exc, errors.IntegrationConnectionError):
            status = ConnectionStatus.OFFLINE
        else:
            status = ConnectionStatus.ERROR
        return CheckResult(status, _describe(exc)[:1000], (exc.request_id or "")[:100], None)
    if last_success is None:
        return CheckResult(
            ConnectionStatus.SETUP_UNFINISHED,
            "Conductor has no successful QuickBooks request yet: setup is not finished.",
            "",
            None,
        )
    return CheckResult(ConnectionStatus.CONNECTED, "", "", last_success)


def store_check(end_user: EndUser, result: CheckResult) -> EndUser:
    """Record a probe's outcome on the company and in its short history."""
    now = timezone.now()
    end_user.last_checked_at = now
    end_user.connection_status = result.status
    end_user.last_error = result.message
    end_user.last_error_request_id = result.request_id
    if result.status == ConnectionStatus.CONNECTED:
        end_user.last_success_at = now
        end_user.offline_since = None
        end_user.conductor_last_successful_request_at = result.last_successful_request_at
    elif result.status == ConnectionStatus.OFFLINE:
        end_user.offline_since = end_user.offline_since or now
    with transaction.atomic():
        end_user.save(
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
            end_user=end_user,
            checked_at=now,
            status=result.status,
            message=result.message,
            conductor_request_id=result.request_id,
        )
        stale = end_user.checks.values_list("pk", flat=True)[ConnectionCheck.KEEP_PER_COMPANY :]
        ConnectionCheck.objects.filter(pk__in=list(stale)).delete()
    return end_user


def check_connection(end_user: EndUser, timeout: float | None = None) -> EndUser:
    """Check one company now and store the result."""
    try:
        result = probe_connection(secret_for(end_user), end_user.conductor_id, timeout)
    except KeyUnreadable as exc:
        result = CheckResult(ConnectionStatus.ERROR, str(exc)[:1000], "", None)
    return store_check(end_user, result)


class DuplicateSourceId(errors.ConductorError):
    """A company with this source id exists already (here or in Conductor)."""


def create_company(api_key: ApiKey, *, company_name: str, source_id: str, email: str) -> EndUser:
    """Create the end user in Conductor, then here."""
    if EndUser.objects.filter(api_key=api_key, source_id=source_id).exists():
        raise DuplicateSourceId(f"A company with source id {source_id!r} already exists for this key.")
    try:
        remote = client.create_end_user(_secret(api_key), company_name=company_name, source_id=source_id, email=email)
    except errors.InvalidRequestError as exc:
        if "sourceid" in (exc.message + (exc.user_facing_message or "")).lower().replace(" ", ""):
            raise DuplicateSourceId(
                f"Conductor already has an end user with source id {source_id!r}.", request_id=exc.request_id
            ) from None
        raise
    return EndUser.objects.create(
        conductor_id=remote.id,
        company_name=remote.company_name or company_name,
        email=remote.email,
        source_id=remote.source_id,
        api_key=api_key,
    )


class NoPublishableKey(errors.ConductorError):
    """Setup links need the API key's publishable key, and it has none."""


def create_setup_link(end_user: EndUser) -> records.AuthSession:
    """A setup link for the person at the QuickBooks computer, remembered on the company."""
    try:
        publishable = end_user.api_key.get_publishable_key()
    except UnreadableSecret as exc:
        raise KeyUnreadable(str(exc)) from None
    if not publishable:
        raise NoPublishableKey(
            f"The API key {end_user.api_key.name!r} has no publishable key; add it (pk_…) in admin first."
        )
    session = client.create_auth_session(secret_for(end_user), publishable, end_user.conductor_id)
    end_user.setup_link_url = session.auth_flow_url[:1000]
    end_user.setup_link_expires_at = session.expires_at
    end_user.save(update_fields=["setup_link_url", "setup_link_expires_at", "updated_at"])
    return session


def delete_company_in_conductor(end_user: EndUser) -> None:
    """Delete the end user in Conductor, then here (its audit entries keep the name)."""
    client.delete_end_user(secret_for(end_user), end_user.conductor_id)
    end_user.delete()


def _describe(exc: errors.ConductorError) -> str:
    """One line for admins: Conductor's user-facing words when it has them."""
    return exc.user_facing_message or exc.message
