"""A company's customers, the jump box, and one customer's page."""

import logging
from datetime import datetime

from django.contrib.auth.models import User
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from dashboard import activity_presentation, audit, identifiers, presentation
from dashboard.conductor import records
from dashboard.customer_index import search as customer_index
from dashboard.forms import CustomerSearchForm, JumpForm
from dashboard.lookups import activity, customer_page, documents, job_tree, search
from dashboard.lookups.calls import secret_for, start_lookup
from dashboard.models import AuditAction, Company, RecentView
from dashboard.problems import LOOKUP_FAILURES, problem_for
from dashboard.search_limit import searches_bounded
from dashboard.views import activity as account_views
from dashboard.views import errors
from dashboard.views.access import company_or_none, signed_in_user, staff_view, unknown_company
from dashboard.views.links import company_search_url, refresh_url, without_refresh

logger = logging.getLogger("dashboard.views")


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


def _search_params(data: dict) -> dict[str, object]:
    """The search's own parameters, for the links of its pages (the default order left out)."""
    params = {k: data.get(k) for k in ("q", "match", "status", "balance", "min_balance")}
    params["order"] = data.get("order") if data.get("order") != "name" else None
    return params


def _index_results(
    company: Company, criteria: search.Criteria, data: dict, in_step_at: datetime | None
) -> dict[str, object]:
    """A page of results from the index (in step then, or, with None, partly read)."""
    page_number = data.get("page") or 1
    found = search.search_index(company, criteria, page_number, in_step_at)
    params = _search_params(data)
    return {
        "index_page": found,
        "criteria": criteria,
        "rows": presentation.result_rows(found.customers),
        "next_url": company_search_url(company, **params, page=page_number + 1) if found.has_next else None,
        "previous_url": company_search_url(company, **params, page=page_number - 1) if page_number > 1 else None,
        "live_url": company_search_url(company, **params, live=1),
    }


@staff_view
@searches_bounded("q", "min_balance", "after", "page")
def customer_list(request: HttpRequest, company_id: str) -> HttpResponse:
    """A company's customers: search by name, status and balance, paged by name."""
    company = company_or_none(request, company_id)
    if company is None:
        return unknown_company(request)
    form = CustomerSearchForm(request.GET or None)
    ctx = {"company": company, "form": form, "page": None}
    # A mistaken balance filter is explained beside its field; the search runs without it.
    status = 200
    if request.GET and not form.is_valid():
        if not form.usable_despite_errors():
            return render(request, "dashboard/company.html", ctx, status=400)
        status = 400
    data = form.cleaned_data if request.GET else {}
    filter_ok = status == 200
    criteria = search.Criteria(
        text=data.get("q", ""),
        match=data.get("match") or "contains",
        status=data.get("status") or "active",
        balance=data.get("balance", "") if filter_ok else "",
        min_balance=data.get("min_balance") if filter_ok else None,
        order=data.get("order") or "name",
    )
    refresh = request.GET.get("refresh") == "1"
    action = AuditAction.REFRESH if refresh else AuditAction.SEARCH
    query_text = _describe_search(criteria, data.get("after", ""))
    in_step_at = search.index_in_step([company]).get(company.pk)
    if in_step_at is not None and not data.get("live"):
        # The company's index is ready: no call to QuickBooks at all.
        audit.record(request, AuditAction.SEARCH, company=company, target=query_text, outcome="ok (index)")
        ctx.update(_index_results(company, criteria, data, in_step_at))
        return render(request, "dashboard/company.html", ctx, status=status)
    try:
        fetched = search.search_company(company, criteria, after=data.get("after", ""), refresh=refresh)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, action, company, query_text, exc)
        # The company's own page explains the problem once and shows what the index
        # holds, instead of an error page whose way back leads to the same error.
        problem, words = errors.problem_context(request, exc, company)
        ctx.update(words)
        if search.index_has_rows(company):
            ctx.update(_index_results(company, criteria, data, in_step_at))
        return errors.with_retry_after(render(request, "dashboard/company.html", ctx, status=problem.status), exc)
    audit.record_fetched(request, action, company, query_text, fetched)
    if refresh and not fetched.stale_because:
        return redirect(without_refresh(request))

    page = fetched.value
    params = _search_params(data)
    params["live"] = 1 if data.get("live") else None
    ctx.update(
        searched_live=True,
        index_ready=in_step_at is not None,
        index_url=company_search_url(company, **{**params, "live": None}),
        page=page,
        fetched=fetched,
        refresh_url=refresh_url(request),
        stale_reason=problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        criteria=criteria,
        rows=presentation.result_rows(page.customers),
        next_url=company_search_url(company, **params, after=page.next_after) if page.next_after else None,
        first_url=company_search_url(company, **params) if page.after else None,
        # QuickBooks lists by name only; ordering by balance needs every match at hand.
        order_unavailable=criteria.order == "balance",
    )
    return render(request, "dashboard/company.html", ctx, status=status)


@staff_view
@searches_bounded("to")
def jump(request: HttpRequest, company_id: str) -> HttpResponse:
    """Open a customer by QuickBooks id or exact full name, or an invoice by its number."""
    company = company_or_none(request, company_id)
    if company is None:
        return unknown_company(request)
    form = JumpForm(request.GET)
    if not form.is_valid():
        return redirect("company", company_id=company.conductor_id)
    wanted = form.cleaned_data["to"]
    if identifiers.is_valid_customer_id(wanted):
        audit.record(request, AuditAction.JUMP, company=company, target=wanted)
        customer_id = identifiers.canonical_customer_id(wanted)
        return redirect("customer", company_id=company.conductor_id, customer_id=customer_id)
    # A full name and an invoice number are looked up side by side; a text that cannot
    # be an invoice number (too long, control characters) is never sent as one.
    indexed = search.index_in_step([company]).get(company.pk) is not None
    if indexed and (indexed_id := search.find_in_index(company, wanted)):
        # The index knows the name: no call to QuickBooks.
        audit.record(request, AuditAction.JUMP, company=company, target=wanted, outcome="customer (index)")
        return redirect("customer", company_id=company.conductor_id, customer_id=indexed_id)
    try:
        by_number = None
        if identifiers.ref_number_problem(wanted) is None:
            secret = secret_for(company)
            by_number = start_lookup(documents.find_invoices_by_number, secret, company.conductor_id, wanted)
        # An indexed company's names are all in the index: only the invoice number is asked.
        found = None if indexed else search.find_by_full_name(company, wanted)
        invoices = by_number.result() if by_number else ()
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.JUMP, company, wanted, exc)
        return errors.lookup_failed(request, exc, company)
    matched = "customer" if found else f"{len(invoices)} invoice(s)" if invoices else "no match"
    request_id = found.request_id if found else None
    audit.record(request, AuditAction.JUMP, company=company, target=wanted, outcome=matched, request_id=request_id)
    if found is not None:
        return redirect("customer", company_id=company.conductor_id, customer_id=found.id)
    if len(invoices) == 1:
        return redirect("invoice", company_id=company.conductor_id, txn_id=invoices[0].id)
    if invoices:
        rows = [
            {
                "number": d.ref_number,
                "url": reverse("invoice", args=[company.conductor_id, d.id]),
                "customer": presentation.ref_name(d.customer),
                "date": d.transaction_date,
                "total": presentation.money(d.total),
                "balance": presentation.money(d.balance_remaining),
            }
            for d in invoices
        ]
        return render(
            request, "dashboard/invoices_by_number.html", {"company": company, "number": wanted, "rows": rows}
        )
    # Name searches match a customer's own name, the last part of a full name.
    prefill = wanted.rsplit(":", 1)[-1].strip()[:100]
    if prefill:
        # Part of a name: one match is the customer, several are listed (from the index
        # where it is ready, else with one more question to QuickBooks).
        try:
            matches = (
                [hit.id for hit in customer_index.search([company], prefill, status="all", limit=2).hits]
                if indexed
                else [c.id for c in search.first_name_matches(company, prefill)]
            )
        except LOOKUP_FAILURES as exc:
            audit.record_failure(request, AuditAction.JUMP, company, wanted, exc)
            return errors.lookup_failed(request, exc, company)
        if len(matches) == 1:
            return redirect("customer", company_id=company.conductor_id, customer_id=matches[0])
        if matches:
            return redirect(company_search_url(company, q=prefill, status="all"))
    return errors.not_found(
        request,
        "No customer or invoice by that name or number",
        f"{company.name} has no customer whose id or full name is exactly what you entered, "
        "and no invoice with exactly that number (numbers match upper and lower case exactly).",
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


def _body_context(company: Company, found: records.Customer) -> dict[str, object]:
    """What the record's sections show; nothing in it depends on the viewer or the clock."""
    return {
        "company": company,
        "customer": found,
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
        "created": presentation.timestamp(found.created_at),
        "updated": presentation.timestamp(found.updated_at),
    }


@staff_view
def customer(request: HttpRequest, company_id: str, customer_id: str) -> HttpResponse:
    company = company_or_none(request, company_id)
    if company is None:
        return unknown_company(request)
    if not identifiers.is_valid_customer_id(customer_id):
        return errors.not_a_customer_id(request, company)
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
        audit.record_failure(request, action, company, audit.customer_target(company, customer_id), exc)
        return errors.lookup_failed(request, exc, company, customer_id)
    audit.record_fetched(
        request, action, company, audit.customer_target(company, customer_id, page.customer.full_name), page.fetched
    )
    found, fetched, tree = page.customer, page.fetched, page.tree
    _remember_view(signed_in_user(request), company, found)
    # The record never waits for the rest: a tree that needs a second round trip, and
    # activity not in the cache, are fetched when the page's script asks for them (it
    # does as soon as the page arrives). Started here instead, they would also be
    # fetched for pages nobody reads them on, and queue before other people's records.
    known = activity.fresh_activity(company, found) if tree is not None else None
    if refresh and not fetched.stale_because:
        # The fresh copy is cached now: send the browser back to the plain address,
        # so the refresh is not repeated by a reload or kept in a bookmark. The jobs and
        # activity are fetched again when that page's script asks for them.
        activity.refresh_later(company, found, tree_too=page.tree is None)
        return redirect(without_refresh(request))

    body_html = customer_page.rendered_once(
        lambda: render_to_string("dashboard/_customer_body.html", _body_context(company, found)),
        "customer",
        company.conductor_id,
        found.id,
        repr(fetched.fetched_at),
    )
    today = activity.today()
    ctx = {
        "company": company,
        "customer": found,
        "fetched": fetched,
        "refresh_url": refresh_url(request),
        "stale_reason": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        "tree": tree or job_tree.provisional(found),
        "header": presentation.customer_header(found),
        "card": presentation.card_display(found.credit_card),
        "card_status": activity_presentation.card_status(found.credit_card, today),
        "balance": presentation.figure(found, found.total_balance, "totalBalance"),
        # Our own templates' output, escaped when it was rendered.
        "body_html": mark_safe(body_html),
        "jobs_html": account_views.jobs_html(company, found, tree) if tree else None,
        "activity_parts": account_views.activity_parts(company, found, known) if known else None,
        "account_url": reverse("customer_account", args=[company.conductor_id, found.id]),
        "history_url": reverse("customer_history", args=[company.conductor_id, found.id]),
    }
    return render(request, "dashboard/customer.html", ctx)
