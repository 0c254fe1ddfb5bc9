"""Admin's work with Conductor: verify a key, import its companies, create a company,
make a setup link, delete a company. Every call decrypts the key here, never in admin."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from dashboard.conductor import client, errors, records
from dashboard.crypto import UnreadableSecret
from dashboard.failures import DuplicateSourceIdError, KeyUnreadableError, NoPublishableKeyError
from dashboard.models import ApiKey, Company
from dashboard.problems import LOOKUP_FAILURES, for_admins


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    message: str
    refused: bool = False  # Conductor said the key is not valid (not merely unreachable)


def verify_secret(secret_key: str) -> VerifyResult:
    """Ask Conductor whether a secret key works (GET /end-users)."""
    try:
        count = len(client.list_end_users(secret_key))
    except errors.AuthenticationError:
        return VerifyResult(False, "Invalid: Conductor rejected this key.", refused=True)
    except LOOKUP_FAILURES as exc:
        return VerifyResult(False, f"Could not verify: {for_admins(exc)}")
    return VerifyResult(True, f"Valid: Conductor lists {count} end user(s) for it.")


def remember_verification(api_key: ApiKey, result: VerifyResult) -> None:
    api_key.last_verified_at = timezone.now()
    api_key.last_verification_ok = result.ok if result.ok or result.refused else None
    api_key.last_verification_message = result.message[:500]


def verify_api_key(api_key: ApiKey) -> VerifyResult:
    """Ask Conductor whether the stored key works and remember the answer."""
    try:
        result = verify_secret(api_key.conductor_secret())
    except LOOKUP_FAILURES as exc:  # the stored key cannot be read
        result = VerifyResult(False, f"Could not verify: {for_admins(exc)}")
    remember_verification(api_key, result)
    api_key.save(update_fields=["last_verified_at", "last_verification_ok", "last_verification_message"])
    return result


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def import_companies(api_key: ApiKey) -> ImportResult:
    """Create or update a local Company for each of the key's end users in Conductor.

    Matched on the Conductor id, so running it again never duplicates. Local choices
    (active flag, connection checks) are kept."""
    remote = client.list_end_users(api_key.conductor_secret())
    created = updated = 0
    with transaction.atomic():
        for item in remote:
            _, was_created = Company.objects.update_or_create(
                conductor_id=item.id,
                defaults={
                    "name": item.company_name[:255] or item.id,
                    "email": item.email[:255],
                    "source_id": item.source_id[:255],
                    "api_key": api_key,
                    "conductor_last_successful_request_at": item.last_successful_qbd_request_at,
                },
            )
            created += was_created
            updated += not was_created
    return ImportResult(created, updated)


def create_company(api_key: ApiKey, *, name: str, source_id: str, email: str) -> Company:
    """Create the end user in Conductor, then the company here."""
    if Company.objects.filter(api_key=api_key, source_id=source_id).exists():
        raise DuplicateSourceIdError(f"A company with source id {source_id!r} already exists for this key.")
    try:
        remote = client.create_end_user(api_key.conductor_secret(), company_name=name, source_id=source_id, email=email)
    except errors.InvalidRequestError as exc:
        if "sourceid" in (exc.message + (exc.user_facing_message or "")).lower().replace(" ", ""):
            raise DuplicateSourceIdError(
                f"Conductor already has an end user with source id {source_id!r}.", request_id=exc.request_id
            ) from None
        raise
    return Company.objects.create(
        conductor_id=remote.id,
        name=remote.company_name or name,
        email=remote.email,
        source_id=remote.source_id,
        api_key=api_key,
    )


def create_setup_link(company: Company) -> records.AuthSession:
    """A setup link for the person at the QuickBooks computer, remembered on the company."""
    try:
        publishable = company.api_key.get_publishable_key()
    except UnreadableSecret as exc:
        raise KeyUnreadableError(str(exc)) from None
    if not publishable:
        raise NoPublishableKeyError(
            f"The API key {company.api_key.name!r} has no publishable key; add it (pk_…) in admin first."
        )
    session = company.conductor(background=True).create_auth_session(publishable)
    company.setup_link_url = session.auth_flow_url[:1000]
    company.setup_link_expires_at = session.expires_at
    company.save(update_fields=["setup_link_url", "setup_link_expires_at", "updated_at"])
    return session


def delete_company_in_conductor(company: Company) -> None:
    """Delete the end user in Conductor, then the company here (its audit entries keep the name)."""
    company.conductor(background=True).delete_end_user()
    company.delete()
