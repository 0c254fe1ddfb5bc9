"""The audit trail: every customer view, refresh, search and jump, with its outcome.

Entries are written here and nowhere else, and admin shows them read-only. A view
that cannot be recorded is not shown either: the write is not allowed to fail quietly;
and a view that failed after its entry was written is not left recorded as shown.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from dashboard.caching.counters import count_up
from dashboard.caching.freshness import Fetched, cache_key
from dashboard.customer_index.models import IndexedCustomer
from dashboard.models import AuditAction, AuditEntry, Company
from dashboard.problems import LookupFailure, problem_for
from dashboard.sign_in import client_address

logger = logging.getLogger("dashboard.audit")


def record(
    request: HttpRequest,
    action: AuditAction,
    *,
    company: Company | None = None,
    target: str = "",
    outcome: str = "ok",
    request_id: str | None = None,
) -> None:
    user = request.user if request.user.is_authenticated else None
    entry = AuditEntry.objects.create(
        user=user,
        username=request.user.get_username()[:150],
        company=company,
        company_name=company.name[:255] if company else "",
        action=action,
        target=target[:300],
        outcome=outcome[:60],
        conductor_request_id=(request_id or "")[:100],
    )
    _recorded(request).append(entry.pk)


def _recorded(request: HttpRequest) -> list[int]:
    """The entries this request wrote, for AuditOutcomeMiddleware."""
    entries: list[int] | None = getattr(request, "_audit_entries", None)
    if entries is None:
        entries = request._audit_entries = []  # type: ignore[attr-defined]
    return entries


class AuditOutcomeMiddleware:
    """The trail records what the person actually got. An entry is written before its page
    is shown (a view that cannot be recorded is not shown), so a page that then fails
    (a server error, a busy database) would leave an entry saying it was shown: its
    entries are corrected to the failure."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        entries = getattr(request, "_audit_entries", None)
        if entries and response.status_code >= 500:
            outcome = f"failed: the page could not be shown (HTTP {response.status_code})"
            try:
                shown = AuditEntry.objects.filter(pk__in=entries).exclude(outcome__startswith="failed")
                shown.update(outcome=outcome[:60])
            except DatabaseError:
                logger.exception("audit entries %s could not be marked failed", entries)
        return response


def record_fetched(
    request: HttpRequest, action: AuditAction, company: Company, target: str, fetched: Fetched[Any]
) -> None:
    """A lookup that showed data: fresh, cached, or a stale copy in place of an error."""
    record(
        request,
        action,
        company=company,
        target=target,
        outcome="stale" if fetched.stale_because else "ok",
        request_id=None if fetched.from_cache else getattr(fetched.value, "request_id", None),
    )


def record_failure(
    request: HttpRequest, action: AuditAction, company: Company, target: str, exc: LookupFailure
) -> None:
    record(request, action, company=company, target=target, outcome=outcome_of(exc), request_id=exc.request_id)


# Refusals are recorded up to this many per address per window, then once more to say the
# rest were not: an anonymous or scripted flood must not fill the trail (or the disk).
DENIALS_PER_WINDOW = 30
DENIAL_WINDOW_SECONDS = 60


def record_denial(request: HttpRequest, why: str, *, company: Company | None = None) -> None:
    """A request refused (no permission, a company out of scope or unknown, a malformed
    id): who, what they asked for, and why, within the per-address budget above."""
    address = client_address(request)
    count = count_up(cache_key("audit-denials", address or "-"), timeout=DENIAL_WINDOW_SECONDS)
    if count > DENIALS_PER_WINDOW + 1:
        return
    if count == DENIALS_PER_WINDOW + 1:
        why = f"over {DENIALS_PER_WINDOW} refusals a minute: the rest not recorded"
    user = request.user if request.user.is_authenticated else None
    AuditEntry.objects.create(
        user=user,
        username=request.user.get_username()[:150] if user else "(anonymous)",
        company=company,
        company_name=company.name[:255] if company else "",
        action=AuditAction.DENIED,
        target=request.get_full_path()[:300],
        outcome=why[:60],
        client_address=address or None,
    )


def outcome_of(exc: LookupFailure) -> str:
    """The failure in words, as its page titles it: "failed: QuickBooks is unreachable"."""
    return f"failed: {problem_for(exc).title}"


def customer_target(company: Company, customer_id: str, full_name: str | None = None) -> str:
    """A customer as the trail names it: the id, and the name a reader knows it by (from
    the record when it was read, else from the customer index)."""
    if full_name is None:
        full_name = (
            IndexedCustomer.objects.filter(company=company, customer_id=customer_id)
            .values_list("full_name", flat=True)
            .first()
        )
    return f"{customer_id} ({full_name})" if full_name else customer_id


def transaction_target(kind: str, transaction_id: str, found: object = None) -> str:
    """A transaction as the trail names it: its kind and id, and the number and customer
    a reader knows it by (when it was read)."""
    number = getattr(found, "ref_number", None)
    customer = getattr(getattr(found, "customer", None), "full_name", None)
    named = ", ".join(part for part in (f"no. {number}" if number else None, customer) if part)
    return f"{kind} {transaction_id} ({named})" if named else f"{kind} {transaction_id}"
