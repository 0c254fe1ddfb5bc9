"""A company's customers, the jump box, and one customer's page."""

import logging

from django.contrib.auth.models import User
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from dashboard import audit, identifiers, presentation
from dashboard.conductor import records
from dashboard.forms import CustomerSearchForm, JumpForm
from dashboard.lookups import customer_page, search
from dashboard.lookups.job_tree import Hierarchy
from dashboard.models import AuditAction, Company, RecentView
from dashboard.permissions import access_for
from dashboard.problems import LOOKUP_FAILURES, problem_for
from dashboard.views import errors
from dashboard.views.access import signed_in_user, staff_view
from dashboard.views.links import company_search_url, refresh_url, without_refresh

logger = logging.getLogger("dashboard.views")


def _company_or_none(request: HttpRequest, company_id: str) -> Company | None:
    """The company, if it exists, is active and this user may see it.

    A company outside the user's scope is "not found", exactly like one that does not
    exist, so the answer confirms nothing."""
    if not identifiers.is_valid_company_id(company_id):
        return None
    return access_for(request.user).company(company_id)


def _unknown_company(request: HttpRequest) -> HttpResponse:
    audit.record_denial(request, "company unknown or out of scope")
    return errors.not_found(
        request,
        "Company not found",
        "There is no company with this id in the dashboard, or you do not have access to it.",
    )


def _describe_search(criteria: search.Criteria, after: str) -> str:
    """The search as one line for the audit trail."""
    parts = [f"name {criteria.match} {criteria.text!r}"] if criteria.text else []
    parts.append(f"status {criteria.status}")
    if criteria.balance == "open":
        parts.append("open balance")
    elif criteria.balance == "min":
        parts.append(f"balance >= {criteria.min_balance}")
    if after:
        parts.append(f"after {after!r}")
    return ", ".join(parts)


@staff_view
def customer_list(request: HttpRequest, company_id: str) -> HttpResponse:
    """A company's customers: search by name, status and balance, paged by name."""
    company = _company_or_none(request, company_id)
    if company is None:
        return _unknown_company(request)
    form = CustomerSearchForm(request.GET or None)
    ctx = {"company": company, "form": form, "page": None}
    if request.GET and not form.is_valid():
        return render(request, "dashboard/company.html", ctx, status=400)
    data = form.cleaned_data if request.GET else {}
    criteria = search.Criteria(
        text=data.get("q", ""),
        match=data.get("match") or "contains",
        status=data.get("status") or "active",
        balance=data.get("balance", ""),
        min_balance=data.get("min_balance"),
    )
    refresh = request.GET.get("refresh") == "1"
    action = AuditAction.REFRESH if refresh else AuditAction.SEARCH
    query_text = _describe_search(criteria, data.get("after", ""))
    try:
        fetched = search.search_company(company, criteria, after=data.get("after", ""), refresh=refresh)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, action, company, query_text, exc)
        return errors.lookup_failed(request, exc, company)
    audit.record_fetched(request, action, company, query_text, fetched)
    if refresh and not fetched.stale_because:
        return redirect(without_refresh(request))

    page = fetched.value
    params = {k: data.get(k) for k in ("q", "match", "status", "balance", "min_balance")}
    ctx.update(
        page=page,
        fetched=fetched,
        refresh_url=refresh_url(request),
        stale_reason=problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        criteria=criteria,
        rows=[presentation.result_row(c) for c in page.customers],
        next_url=company_search_url(company, **params, after=page.next_after) if page.next_after else None,
        first_url=company_search_url(company, **params) if page.after else None,
    )
    return render(request, "dashboard/company.html", ctx)


@staff_view
def jump(request: HttpRequest, company_id: str) -> HttpResponse:
    """Open a customer by QuickBooks id or exact full name."""
    company = _company_or_none(request, company_id)
    if company is None:
        return _unknown_company(request)
    form = JumpForm(request.GET)
    if not form.is_valid():
        return redirect("company", company_id=company.conductor_id)
    wanted = form.cleaned_data["to"]
    if identifiers.is_valid_customer_id(wanted):
        audit.record(request, AuditAction.JUMP, company=company, target=wanted)
        customer_id = identifiers.canonical_customer_id(wanted)
        return redirect("customer", company_id=company.conductor_id, customer_id=customer_id)
    try:
        found = search.find_by_full_name(company, wanted)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.JUMP, company, wanted, exc)
        return errors.lookup_failed(request, exc, company)
    audit.record(
        request,
        AuditAction.JUMP,
        company=company,
        target=wanted,
        outcome="ok" if found else "no match",
        request_id=found.request_id if found else None,
    )
    if found is not None:
        return redirect("customer", company_id=company.conductor_id, customer_id=found.id)
    # Name searches match a customer's own name, the last part of a full name.
    prefill = wanted.rsplit(":", 1)[-1].strip()[:100]
    return errors.not_found(
        request,
        "No customer by that name",
        f"{company.name} has no customer whose id or full name is exactly what you entered.",
        company=company,
        search_form=CustomerSearchForm(initial={"q": prefill, "status": "all"}),
        wanted=wanted,
    )


def _remember_view(user: User, company: Company, found: records.Customer) -> None:
    """Bookkeeping for "recently viewed": never worth failing the page over."""
    try:
        RecentView.record(user, company, found.id, found.full_name)
    except DatabaseError:
        logger.warning("recent view not recorded for user %s", user.pk, exc_info=True)


def _body_context(company: Company, found: records.Customer, tree: Hierarchy) -> dict[str, object]:
    """What the page's data sections show; nothing in it depends on the viewer or the clock."""
    return {
        "company": company,
        "customer": found,
        "tree": tree,
        "jobs": [presentation.result_row(c) for c in tree.jobs],
        "sections": presentation.customer_sections(found),
        "balance": presentation.figure(found, found.balance, "balance"),
        "total_balance": presentation.figure(found, found.total_balance, "totalBalance"),
        "credit_limit": presentation.figure(found, found.credit_limit, "creditLimit"),
        "currency": presentation.ref_name(found.currency),
        "addresses": presentation.address_cards(found),
        "card": presentation.card_display(found.credit_card),
        "contacts": presentation.contact_cards(found),
        "notes": [n for n in found.additional_notes if presentation.clean(n.note)],
        "custom_fields": presentation.custom_field_rows(found),
        "unreadable": presentation.unreadable_fields(found),
    }


@staff_view
def customer(request: HttpRequest, company_id: str, customer_id: str) -> HttpResponse:
    company = _company_or_none(request, company_id)
    if company is None:
        return _unknown_company(request)
    if not identifiers.is_valid_customer_id(customer_id):
        # Checked before any call: a malformed id never reaches Conductor.
        audit.record_denial(request, "malformed customer id", company=company)
        return errors.not_found(
            request,
            "Not a QuickBooks customer id",
            "QuickBooks customer ids look like 80000001-1234567890 (hex digits, a dash, digits).",
            company=company,
        )
    canonical_id = identifiers.canonical_customer_id(customer_id)
    if canonical_id != customer_id:
        # QuickBooks matches ids exactly: the id as typed would find nothing.
        url = reverse("customer", args=[company.conductor_id, canonical_id])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url, permanent=True)
    refresh = request.GET.get("refresh") == "1"
    action = AuditAction.REFRESH if refresh else AuditAction.VIEW
    try:
        page = customer_page.open_customer(company, customer_id, refresh=refresh)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, action, company, customer_id, exc)
        return errors.lookup_failed(request, exc, company, customer_id)
    audit.record_fetched(request, action, company, customer_id, page.fetched)
    found, fetched = page.customer, page.fetched
    _remember_view(signed_in_user(request), company, found)
    if refresh and not fetched.stale_because:
        # The fresh copy is cached now: send the browser back to the plain address,
        # so the refresh is not repeated by a reload or kept in a bookmark.
        return redirect(without_refresh(request))

    body_html = customer_page.rendered_body(
        page,
        company,
        lambda: render_to_string("dashboard/_customer_body.html", _body_context(company, found, page.tree)),
    )
    ctx = {
        "company": company,
        "customer": found,
        "fetched": fetched,
        "refresh_url": refresh_url(request),
        "stale_reason": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        "tree": page.tree,
        "job_status": presentation.job_status_label(found.job_status),
        "status": presentation.active_badge(found.is_active),
        # Our own template's output, escaped when it was rendered.
        "body_html": mark_safe(body_html),
    }
    return render(request, "dashboard/customer.html", ctx)
