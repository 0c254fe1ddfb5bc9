"""Error pages: each says what happened, quotes Conductor's request id, and what to do next.

The words come from dashboard/problems.py; this module only renders them, so no
upstream problem ever reaches Django's generic 500 handler.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard.conductor import errors as conductor_errors
from dashboard.models import Company
from dashboard.problems import LookupFailure, problem_for, rate_limit_wait

logger = logging.getLogger("dashboard.views")


def lookup_failed(
    request: HttpRequest, exc: LookupFailure, company: Company, customer_id: str | None = None
) -> HttpResponse:
    """The page for a failed lookup, with the matching status code."""
    problem = problem_for(exc, company.name)
    logger.warning(
        "lookup failed company=%s customer=%s error=%s: %s",
        company.conductor_id,
        customer_id or "-",
        type(exc).__name__,
        exc,
    )
    key_link = None
    if problem.show_key_link and request.user.has_perm("dashboard.change_apikey"):
        key_link = reverse("admin:dashboard_apikey_change", args=[company.api_key_id])
    ctx = {
        "problem": problem,
        "company": company,
        "customer_id": customer_id,
        # Conductor writes userFacingMessage to be shown; it adds what only it knows
        # (e.g. the exact QuickBooks dialog to check).
        "conductor_message": exc.user_facing_message,
        "request_id": exc.request_id,
        "key_link": key_link,
    }
    response = render(request, "errors/upstream.html", ctx, status=problem.status)
    if isinstance(exc, conductor_errors.RateLimitError):
        response["Retry-After"] = str(rate_limit_wait(exc))
    return response


def not_found(
    request: HttpRequest, title: str, explanation: str, company: Company | None = None, **extra: object
) -> HttpResponse:
    ctx = {"title": title, "explanation": explanation, "company": company, **extra}
    return render(request, "errors/not_found.html", ctx, status=404)
