"""Error pages: each says what happened, quotes Conductor's request id, and what to do next.

Every failure the Conductor client can raise maps to one page and status here, so no
upstream problem ever reaches Django's generic 500 handler.
"""

import logging
from dataclasses import dataclass

from django.shortcuts import render
from django.urls import reverse

from dashboard.bulkhead import CompanyBusy
from dashboard.conductor import errors
from dashboard.services import KeyUnreadable

logger = logging.getLogger("dashboard.views")


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    explanation: str
    next_step: str
    show_key_link: bool = False


def _problem_for(exc: errors.ConductorError, company: str) -> Problem:
    ask_admin = "Ask a dashboard admin to check the Conductor API key for this company."
    if isinstance(exc, errors.NotFoundError):
        return Problem(
            404,
            "Customer not found",
            f"QuickBooks has no customer with this id in {company}.",
            "Check the id (it may have been deleted or merged in QuickBooks), "
            "or find the customer from the company page.",
        )
    if isinstance(exc, errors.ConnectionNotSetUpError):
        return Problem(
            503,
            "QuickBooks setup is not finished",
            f"{company} has not finished connecting QuickBooks Desktop to Conductor.",
            "The person at the QuickBooks computer must complete Conductor's setup "
            "(an admin can send them a setup link). Then try again.",
        )
    if isinstance(exc, errors.QuickBooksTimeoutError):
        return Problem(
            504,
            "QuickBooks took too long",
            f"QuickBooks Desktop for {company} did not answer in time. It may be busy "
            "with another request or a large report.",
            "Wait a minute and try again.",
        )
    if isinstance(exc, errors.IntegrationConnectionError):
        return Problem(
            503,
            "QuickBooks is unreachable",
            f"Conductor could not reach QuickBooks Desktop for {company}.",
            "Ask the QuickBooks user to make sure the computer is on, QuickBooks is "
            "open with the company file, and the Web Connector is running. Then try again.",
        )
    if isinstance(exc, (errors.AuthenticationError, errors.PermissionDeniedError)):
        return Problem(
            502,
            "The Conductor API key was refused",
            f"Conductor did not accept the API key used for {company}.",
            ask_admin,
            show_key_link=True,
        )
    if isinstance(exc, KeyUnreadable):
        return Problem(
            502,
            "The stored API key cannot be read",
            "The dashboard cannot decrypt the Conductor API key for this company "
            "(the encryption key may have changed).",
            "Ask a dashboard admin to enter the API key again.",
            show_key_link=True,
        )
    if isinstance(exc, CompanyBusy):
        return Problem(
            503,
            "Too many lookups for this company right now",
            f"Several lookups for {company} are already waiting on QuickBooks, which answers one request at a time.",
            "Wait a few seconds and try again.",
        )
    if isinstance(exc, errors.RequestTimeoutError):
        return Problem(
            504,
            "Conductor did not answer in time",
            "The request to Conductor took longer than the dashboard waits.",
            "Try again in a minute. QuickBooks may be slow to start.",
        )
    if isinstance(exc, errors.ConnectError):
        return Problem(
            502,
            "Conductor could not be reached",
            "The dashboard could not connect to Conductor.",
            "Try again in a minute. If it keeps happening, tell a dashboard admin.",
        )
    if isinstance(exc, errors.MalformedResponseError):
        return Problem(
            502,
            "Conductor sent an unreadable answer",
            "Conductor answered, but not in the form the dashboard expects.",
            "Try again. If it keeps happening, tell a dashboard admin and quote the request id below.",
        )
    if isinstance(exc, errors.InvalidRequestError):
        return Problem(
            400,
            "Conductor could not run this request",
            "Conductor rejected the request as asked (for example a filter QuickBooks does not accept).",
            "Change the search and try again. The message below says what was refused.",
        )
    if isinstance(exc, errors.IntegrationError):
        return Problem(
            502,
            "QuickBooks refused the request",
            f"QuickBooks Desktop for {company} could not complete the lookup.",
            "Try again. If it keeps happening, quote the request id below to an admin.",
        )
    return Problem(
        502,
        "Conductor reported an error",
        "Conductor could not complete the request.",
        "Try again in a minute. If it keeps happening, quote the request id below to an admin.",
    )


def short_reason(exc: errors.ConductorError) -> str:
    """Why fresh data could not be had, in one sentence (for the stale-copy banner)."""
    if isinstance(exc, errors.IntegrationConnectionError):
        return "QuickBooks is unreachable right now."
    if isinstance(exc, errors.RequestTimeoutError):
        return "Conductor did not answer in time."
    return "Conductor could not be reached."


def upstream_error(request, exc: errors.ConductorError, end_user, customer_id: str | None = None):
    """The page for a failed Conductor call, with the matching status code."""
    problem = _problem_for(exc, end_user.company_name)
    logger.warning(
        "upstream error end_user=%s customer=%s error=%s: %s",
        end_user.conductor_id,
        customer_id or "-",
        type(exc).__name__,
        exc,
    )
    key_link = None
    if problem.show_key_link and request.user.has_perm("dashboard.change_apikey"):
        key_link = reverse("admin:dashboard_apikey_change", args=[end_user.api_key_id])
    ctx = {
        "problem": problem,
        "end_user": end_user,
        "customer_id": customer_id,
        # Conductor writes userFacingMessage to be shown; it adds what only it knows
        # (e.g. the exact QuickBooks dialog to check).
        "conductor_message": exc.user_facing_message,
        "request_id": exc.request_id,
        "key_link": key_link,
    }
    return render(request, "errors/upstream.html", ctx, status=problem.status)


def not_found(request, title: str, explanation: str, end_user=None, **extra):
    ctx = {"title": title, "explanation": explanation, "end_user": end_user, **extra}
    return render(request, "errors/not_found.html", ctx, status=404)
