"""Between the views/admin and the Conductor client: decrypt the key, call, store results.

Views and admin never handle a plaintext key or call the client with model objects;
they come here. Every QuickBooks call passes the per-company bulkhead (`qbd`), and
customer records are served through the freshness cache with coalescing.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard import records
from dashboard.bulkhead import company_slot
from dashboard.conductor import client, errors
from dashboard.crypto import UnreadableSecret
from dashboard.freshness import Fetched, cache_key, get_or_fetch
from dashboard.models import ApiKey, ConnectionStatus, EndUser


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
            connections = [c for c in item.integration_connections
                           if c.integration_slug in (None, "quickbooks_desktop")]
            last_success = max(
                (c.last_successful_request_at for c in connections if c.last_successful_request_at),
                default=None,
            )
            _, was_created = EndUser.objects.update_or_create(
                conductor_id=item.id,
                defaults={
                    "company_name": item.company_name[:255] or item.id,
                    "email": item.email[:255],
                    "source_id": item.source_id[:255],
                    "api_key": api_key,
                    "conductor_last_successful_request_at": last_success,
                },
            )
            created += was_created
            updated += not was_created
    return ImportResult(created, updated)


def check_connection(end_user: EndUser) -> EndUser:
    """Run Conductor's health check for the company and store the outcome on it."""
    now = timezone.now()
    end_user.last_checked_at = now
    try:
        qbd(end_user.conductor_id, client.check_connection, secret_for(end_user), end_user.conductor_id)
    except errors.ConductorError as exc:
        if isinstance(exc, errors.ConnectionNotSetUpError):
            end_user.connection_status = ConnectionStatus.SETUP_UNFINISHED
        elif isinstance(exc, errors.IntegrationConnectionError):
            end_user.connection_status = ConnectionStatus.OFFLINE
        else:
            end_user.connection_status = ConnectionStatus.ERROR
        end_user.last_error = _describe(exc)[:1000]
        end_user.last_error_request_id = (exc.request_id or "")[:100]
    else:
        end_user.connection_status = ConnectionStatus.CONNECTED
        end_user.last_success_at = now
        end_user.last_error = ""
        end_user.last_error_request_id = ""
    end_user.save(update_fields=[
        "connection_status", "last_checked_at", "last_success_at", "last_error",
        "last_error_request_id", "updated_at",
    ])
    return end_user


def _describe(exc: errors.ConductorError) -> str:
    """One line for admins: Conductor's user-facing words when it has them."""
    return exc.user_facing_message or exc.message
