"""The audit trail: every customer view, refresh, search and jump, with its outcome.

Entries are written here and nowhere else, and admin shows them read-only. A view
that cannot be recorded is not shown either: the write is not allowed to fail quietly.
"""

from dashboard.models import AuditAction, AuditEntry, EndUser


def record(
    request,
    action: AuditAction,
    *,
    end_user: EndUser | None = None,
    target: str = "",
    outcome: str = "ok",
    request_id: str | None = None,
) -> None:
    AuditEntry.objects.create(
        user=request.user,
        username=request.user.get_username()[:150],
        end_user=end_user,
        company=end_user.company_name[:255] if end_user else "",
        action=action,
        target=target[:300],
        outcome=outcome[:60],
        conductor_request_id=(request_id or "")[:100],
    )


def outcome_of(exc: Exception) -> str:
    """The failure's class name: NotFoundError, IntegrationConnectionError, …"""
    return type(exc).__name__
