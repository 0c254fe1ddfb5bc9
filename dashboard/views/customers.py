"""A company's customers, the jump box, and one customer's page."""

import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from dashboard import activity_presentation, audit, identifiers, mail, notes, presentation
from dashboard.conductor import records
from dashboard.customer_index import live_check, local_copy
from dashboard.customer_index.state import FIRST_READ_UNDER_WAY
from dashboard.customer_index.tasks import note_attention
from dashboard.forms import CustomerSearchForm, JumpForm, NoteForm
from dashboard.lookups import activity, customer_page, job_tree, jump_box, result_list, search
from dashboard.lookups.jump_box import Landing
from dashboard.models import AuditAction, Company, RecentView
from dashboard.permissions import access_for
from dashboard.problems import LOOKUP_FAILURES, problem_for
from dashboard.search_criteria import (
    DEFAULT_ORDER,
    BalanceFilter,
    Order,
    Status,
)
from dashboard.search_limit import searches_bounded
from dashboard.views import activity as account_views
from dashboard.views import errors
from dashboard.views.access import company_or_none, signed_in_user, staff_view, unknown_company
from dashboard.views.links import company_search_url, without_refresh

logger = logging.getLogger("dashboard.views")


def _describe_search(criteria: search.Criteria, after: str) -> str:
    """The search as one line for the audit trail."""
    parts = [f"name {criteria.match} {criteria.text!r}"] if criteria.text else []
    parts.append(f"status {criteria.status}")
    if criteria.balance == BalanceFilter.OPEN:
        parts.append("open balance")
    elif criteria.balance == BalanceFilter.AT_LEAST:
        parts.append(f"balance >= {criteria.min_balance}")
    if after:
        parts.append(f"after {after!r}")
    return ", ".join(parts)


def _search_params(data: dict) -> dict[str, object]:
    """The search's own parameters, for the links of its pages (the default order left out)."""
    params = {k: data.get(k) for k in ("q", "match", "status", "balance", "min_balance")}
    params["order"] = data.get("order") if data.get("order") != DEFAULT_ORDER else None
    return params


def _index_context(company: Company, found: search.CompanySearch, data: dict) -> dict[str, object]:
    """A page of results from the index (in step then, or, not ready, partly read)."""
    assert found.index_page is not None
    page, params = found.index_page, _search_params(data)
    return {
        "index_page": page,
        "rows": presentation.result_rows(page.customers),
        "next_url": company_search_url(company, **params, page=page.page + 1) if page.has_next else None,
        "previous_url": company_search_url(company, **params, page=page.page - 1) if page.page > 1 else None,
        "live_url": company_search_url(company, **params, live=1),
    }


def _live_context(
    company: Company, found: search.CompanySearch, criteria: search.Criteria, data: dict
) -> dict[str, object]:
    """A page of results asked of QuickBooks, paged by name."""
    assert found.live is not None
    fetched, page = found.live, found.live.value
    params = {**_search_params(data), "live": 1 if data.get("live") else None}
    return {
        "searched_live": True,
        "index_ready": found.in_step_at is not None,
        "index_url": company_search_url(company, **{**params, "live": None}),
        "page": page,
        "fetched": fetched,
        "stale_reason": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        "rows": presentation.result_rows(page.customers),
        "next_url": company_search_url(company, **params, after=page.next_after) if page.next_after else None,
        "first_url": company_search_url(company, **params) if page.after else None,
        # QuickBooks lists by name only; ordering by balance needs every match at hand.
        "order_unavailable": criteria.order == Order.BALANCE,
    }


@staff_view
@searches_bounded("q", "min_balance", "after", "page")
def customer_list(request: HttpRequest, conductor_id: str) -> HttpResponse:
    """A company's customers: search by name, status and balance, paged by name."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    form = CustomerSearchForm(request.GET or None)
    ctx: dict[str, object] = {
        "company": company,
        "form": form,
        "page": None,
        # What support promised to follow up on: the dashboard's own notes, no call.
        "promises": notes.promises_to_watch(company, activity.today()),
    }
    # A mistaken balance filter is explained beside its field; the search runs without it.
    if form.is_bound and not form.is_valid() and not form.usable_despite_errors():
        return render(request, "dashboard/company.html", ctx, status=400)
    status = 400 if form.errors else 200
    data = form.cleaned_data if form.is_bound else {}
    criteria = form.criteria()
    refresh = request.GET.get("refresh") == "1"
    action = AuditAction.REFRESH if refresh else AuditAction.SEARCH
    target = _describe_search(criteria, data.get("after", ""))
    found = search.find_customers(
        company,
        criteria,
        after=data.get("after", ""),
        page=data.get("page") or 1,
        live=bool(data.get("live")),
        refresh=refresh,
    )
    ctx["criteria"] = criteria
    if found.failure is not None:
        audit.record_failure(request, action, company, target, found.failure)
        # The company's own page explains the problem once and shows what the index
        # holds, instead of an error page whose way back leads to the same error.
        problem, words = errors.problem_context(request, found.failure, company)
        ctx.update(words, **(_index_context(company, found, data) if found.index_page else {}))
        response = render(request, "dashboard/company.html", ctx, status=problem.status)
        return errors.with_retry_after(response, found.failure)
    # Each row opens its customer with this list named, for "previous" and "next" there.
    ctx["list_url"] = request.get_full_path()
    if found.index_page is not None:
        audit.record(request, AuditAction.SEARCH, company=company, target=target, outcome="ok (index)")
        ctx.update(_index_context(company, found, data))
        ctx["list_offset"] = (found.index_page.page - 1) * search.PAGE_SIZE
        return render(request, "dashboard/company.html", ctx, status=status)
    assert found.live is not None
    audit.record_fetched(request, action, company, target, found.live)
    if refresh and not found.live.stale_because:
        return redirect(without_refresh(request))
    ctx.update(_live_context(company, found, criteria, data))
    return render(request, "dashboard/company.html", ctx, status=status)


@staff_view
@searches_bounded("to")
def jump(request: HttpRequest, conductor_id: str) -> HttpResponse:
    """Open a customer by QuickBooks id or full name, or an invoice by its number."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    form = JumpForm(request.GET)
    if not form.is_valid():
        return redirect("company", conductor_id=company.conductor_id)
    wanted = form.cleaned_data["to"]
    try:
        found = jump_box.resolve(company, wanted)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.JUMP, company, wanted, exc)
        return errors.lookup_failed(request, exc, company)
    audit.record(
        request, AuditAction.JUMP, company=company, target=wanted, outcome=found.outcome, request_id=found.request_id
    )
    match found.landing:
        case Landing.CUSTOMER:
            return redirect("customer", conductor_id=company.conductor_id, customer_id=found.customer_id)
        case Landing.INVOICE:
            return redirect("invoice", conductor_id=company.conductor_id, txn_id=found.invoices[0].id)
        case Landing.INVOICES:
            ctx = {
                "company": company,
                "number": wanted,
                "rows": [activity_presentation.numbered_invoice_row(company.conductor_id, d) for d in found.invoices],
            }
            return render(request, "dashboard/invoices_by_number.html", ctx)
        case Landing.SEARCH:
            return redirect(company_search_url(company, q=found.name_part, status=Status.ALL))
    return errors.not_found(
        request,
        "No customer or invoice by that name or number",
        f"{company.name} has no customer whose id or full name is exactly what you entered, "
        "and no invoice with exactly that number (numbers match upper and lower case exactly).",
        company=company,
        search_form=CustomerSearchForm(initial={"q": found.name_part, "status": Status.ALL}),
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
    addresses = presentation.address_cards(found)
    return {
        "company": company,
        "customer": found,
        "sections": presentation.customer_sections(found),
        "billing_address": next((a for a in addresses if a.is_billing), None),
        "other_addresses": [a for a in addresses if not a.is_billing],
        "contacts": presentation.contact_cards(found),
        "custom_fields": presentation.custom_field_rows(found),
        "unreadable": presentation.unreadable_fields(found),
        "created": presentation.timestamp(found.created_at),
        "updated": presentation.timestamp(found.updated_at),
    }


@staff_view
def customer(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    """One customer, for a person on the phone: the record at once, jobs and activity after."""
    company = company_or_none(request, conductor_id)
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
    _remember_view(signed_in_user(request), company, page.customer)
    note_attention(company)
    if refresh and not page.fetched.stale_because:
        # The fresh copy is cached now: send the browser back to the plain address,
        # so the refresh is not repeated by a reload or kept in a bookmark. The jobs and
        # activity are fetched again when that page's script asks for them.
        activity.refresh_later(company, page.customer, tree_too=page.tree is None)
        return redirect(without_refresh(request))
    return render(request, "dashboard/customer.html", _customer_context(request, company, page))


def _why_live(company: Company) -> str:
    if not local_copy.customers_ready(company):
        return FIRST_READ_UNDER_WAY
    return "the local copy did not hold this customer yet; it does now"


def _place_in_list(request: HttpRequest, company: Company, customer_id: str) -> result_list.Place | None:
    """Previous, next and back, when the page was opened from a list (?in=…&n=…)."""
    raw = request.GET.get("in", "")
    if not raw:
        return None
    hint = request.GET.get("n", "")
    return result_list.place(
        access_for(request.user).companies, raw, company, customer_id, int(hint) if hint.isdigit() else -1
    )


@dataclass(frozen=True)
class NoteRow:
    shown: notes.NoteShown
    promised: presentation.Money | None
    paid: presentation.Money | None
    may_change: bool


def _our_notes(request: HttpRequest, company: Company, found: records.Customer) -> list[NoteRow]:
    user = signed_in_user(request)
    return [
        NoteRow(
            shown,
            presentation.money(shown.note.promise_amount),
            presentation.money(shown.paid) if shown.paid else None,
            notes.may_change(user, shown.note),
        )
        for shown in notes.for_customer(company, found.id, activity.today())
    ]


def _customer_context(request: HttpRequest, company: Company, page: customer_page.CustomerPage) -> dict[str, object]:
    found, fetched, tree = page.customer, page.fetched, page.tree
    # From the copy, the page is whole at once. Read live, the record never waits for
    # the rest: a tree that needs a second round trip, and activity not in the cache,
    # are fetched when the page's script asks for them (it does as soon as the page
    # arrives). Started here instead, they would also be fetched for pages nobody reads
    # them on, and queue before other people's records.
    known = page.activity
    if known is None and not page.from_copy and tree is not None:
        known = activity.fresh_activity(company, found)
    body_html = customer_page.rendered_once(
        lambda: render_to_string("dashboard/_customer_body.html", _body_context(company, found)),
        "customer",
        company.conductor_id,
        found.id,
        repr(fetched.fetched_at),
    )
    return {
        "company": company,
        "customer": found,
        "fetched": fetched,
        "stale_reason": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        "tree": tree or job_tree.provisional(found),
        "header": presentation.customer_header(found),
        "card": presentation.card_display(found.credit_card),
        "card_status": activity_presentation.card_status(found.credit_card, activity.today()),
        "balance": presentation.figure(found, found.total_balance, "totalBalance"),
        # With jobs, the header's balance is theirs too; the customer's own part is said beside it.
        "own_balance": (
            presentation.figure(found, found.balance, "balance") if found.total_balance != found.balance else None
        ),
        # What a call needs comes before the record: the notes sit under the header,
        # the dashboard's own (with promises to pay) above QuickBooks'.
        "quickbooks_notes": presentation.call_notes(found),
        "our_notes": _our_notes(request, company, found),
        "note_form": NoteForm(),
        "emailed": mail.recent(company, found.id),
        # Our own templates' output, escaped when it was rendered.
        "body_html": mark_safe(body_html),
        "place": _place_in_list(request, company, found.id),
        "jobs_html": account_views.jobs_html(company, found, tree) if tree else None,
        "activity_parts": account_views.activity_parts(company, found, known) if known else None,
        "account_url": reverse("customer_account", args=[company.conductor_id, found.id]),
        "from_copy": page.from_copy,
        "read_live_because": None if page.from_copy else _why_live(company),
        "check_url": reverse("customer_check", args=[company.conductor_id, found.id]),
        "history_url": reverse("customer_history", args=[company.conductor_id, found.id]),
    }


@staff_view
def customer_check(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    """The live check of a customer the page showed from the copy: QuickBooks confirms or
    corrects the copy. The page's script asks with `X-Fragment: 1` and gets the line that
    says what came of it (with `X-Copy-Changed: 1` when the page should redraw);
    without scripts, "Check QuickBooks now" lands here and goes back to the page."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if (bad_id := errors.malformed_customer_id(request, company, customer_id)) is not None:
        return bad_id
    fragment = request.headers.get("X-Fragment") == "1"
    target = audit.customer_target(company, customer_id)
    note_attention(company)
    try:
        check = live_check.check_customer(company, customer_id, force=request.GET.get("now") == "1")
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.CHECK, company, target, exc)
        if not fragment:
            return errors.lookup_failed(request, exc, company, customer_id)
        problem = problem_for(exc, company.name)
        ctx = {"failed": problem, "request_id": exc.request_id}
        return render(request, "dashboard/_check.html", ctx, status=200)
    outcome = "changed: " + "; ".join(check.changes) if check.changes else "confirmed"
    audit.record(request, AuditAction.CHECK, company=company, target=target, outcome=outcome[:200])
    if not fragment:
        return redirect("customer", conductor_id=company.conductor_id, customer_id=customer_id)
    response = render(request, "dashboard/_check.html", {"check": check})
    if check.changes:
        response["X-Copy-Changed"] = "1"
    return response
