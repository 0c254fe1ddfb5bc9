"""Error pages: each says what happened, quotes Conductor's request id, and what to do next.

The words come from dashboard/problems.py; this module only renders them, so no
upstream problem ever reaches Django's generic 500 handler.
"""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from dashboard import audit, identifiers
from dashboard.conductor import errors as conductor_errors
from dashboard.customer_index import search as customer_index
from dashboard.models import Company
from dashboard.presentation import result_row
from dashboard.problems import LookupFailure, Problem, problem_for, rate_limit_wait, worth_quoting

logger = logging.getLogger("dashboard.views")


def problem_context(
    request: HttpRequest, exc: LookupFailure, company: Company, customer_id: str | None = None, thing: str = "customer"
) -> tuple[Problem, dict[str, object]]:
    """The problem, and what a page says about it: the problem in words, Conductor's own
    message when it adds something, the request id, and the key's admin link for those
    who may change it. `thing` is what was looked up ("customer", "invoice"…)."""
    problem = problem_for(exc, company.name, thing)
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
    return problem, {
        "problem": problem,
        # Conductor writes userFacingMessage to be shown; it adds what only it knows
        # (e.g. the exact QuickBooks dialog to check), unless it is a generic phrase.
        "conductor_message": worth_quoting(exc.user_facing_message, problem),
        "request_id": exc.request_id,
        "key_link": key_link,
    }


def with_retry_after(response: HttpResponse, exc: LookupFailure) -> HttpResponse:
    if isinstance(exc, conductor_errors.RateLimitError):
        response["Retry-After"] = str(rate_limit_wait(exc))
    return response


def lookup_failed(
    request: HttpRequest, exc: LookupFailure, company: Company, customer_id: str | None = None, thing: str = "customer"
) -> HttpResponse:
    """The page for a failed lookup, with the matching status code; for a customer the
    index knows, what it knows (marked with its age)."""
    problem, words = problem_context(request, exc, company, customer_id, thing)
    ctx = {**words, "company": company, "customer_id": customer_id}
    if customer_id and (indexed := customer_index.indexed_customer(company, customer_id)):
        ctx.update(indexed=indexed, indexed_row=result_row(indexed.hit))
    return with_retry_after(render(request, "errors/upstream.html", ctx, status=problem.status), exc)


def malformed_customer_id(request: HttpRequest, company: Company, customer_id: str) -> HttpResponse | None:
    """The page for a malformed customer id (or one not in QuickBooks' own form), or None
    when the id can be asked about."""
    if identifiers.is_valid_customer_id(customer_id) and identifiers.canonical_customer_id(customer_id) == customer_id:
        return None
    return not_a_customer_id(request, company)


def not_a_customer_id(request: HttpRequest, company: Company) -> HttpResponse:
    """The page for a malformed customer id, recorded as a refusal: checked before any
    call, so a malformed id never reaches Conductor."""
    audit.record_denial(request, "malformed customer id", company=company)
    return not_found(
        request,
        "Not a QuickBooks customer id",
        "QuickBooks customer ids look like 80000001-1234567890 (hex digits, a dash, digits).",
        company=company,
    )


def not_found(
    request: HttpRequest, title: str, explanation: str, company: Company | None = None, **extra: object
) -> HttpResponse:
    ctx = {"title": title, "explanation": explanation, "company": company, **extra}
    return render(request, "errors/not_found.html", ctx, status=404)
