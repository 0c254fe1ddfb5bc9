"""A customer's account: the customer page's jobs and activity sections (fetched by the
page's script, or opened as a page of their own when scripts are off) and the full
transaction history, which prints as a statement."""

import logging
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from dashboard import activity_presentation, audit, presentation, printed
from dashboard.account import Activity
from dashboard.caching.freshness import Fetched
from dashboard.conductor import records
from dashboard.customer_index import local_copy
from dashboard.customer_index.state import FIRST_READ_UNDER_WAY
from dashboard.forms import HistoryFilterForm
from dashboard.lookups import activity, customer_page, documents, job_tree
from dashboard.lookups.job_tree import Hierarchy
from dashboard.models import AuditAction, Company
from dashboard.problems import LOOKUP_FAILURES, LookupFailure, problem_for
from dashboard.views import errors
from dashboard.views.access import company_or_none, staff_view, unknown_company
from dashboard.views.downloads import pdf_download
from dashboard.views.links import without_refresh

logger = logging.getLogger("dashboard.views")

HISTORY_PAGE_SIZE = 50


def jobs_html(company: Company, customer: records.Customer, tree: Hierarchy) -> SafeString:
    """The jobs section, rendered once per customer copy and tree."""
    version = repr((tuple(j.id for j in tree.jobs), tree.jobs_truncated, tree.problem))
    html = customer_page.rendered_once(
        lambda: render_to_string(
            "dashboard/_jobs.html",
            {
                "company": company,
                "customer": customer,
                "tree": tree,
                "jobs": presentation.result_rows(
                    tree.jobs, within=customer.full_name, within_company=customer.company_name
                ),
            },
        ),
        "jobs",
        company.conductor_id,
        customer.id,
        customer.full_name,
        version,
    )
    return mark_safe(html)  # our own template's output, escaped when it was rendered


def activity_context(company: Company, customer: records.Customer, fetched: Fetched[Activity]) -> dict[str, object]:
    today = activity.today()
    view = activity_presentation.activity_view(company.conductor_id, customer, fetched.value, today)
    return {
        "company": company,
        "customer": customer,
        "activity": view,
        "activity_fetched": fetched,
        "activity_stale": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        "today": today,
    }


@dataclass(frozen=True)
class ActivityParts:
    section: SafeString  # the activity section
    overdue: SafeString  # the header's overdue figure


def activity_parts(company: Company, customer: records.Customer, fetched: Fetched[Activity]) -> ActivityParts:
    """The activity section and the header's overdue figure, rendered once per copy and day."""
    version = repr((fetched.fetched_at, repr(fetched.stale_because), activity.today(), customer.total_balance))

    def render(template: str) -> str:
        return render_to_string(template, activity_context(company, customer, fetched))

    section, overdue = (
        customer_page.rendered_once(
            partial(render, template),
            template,
            company.conductor_id,
            customer.id,
            customer.full_name,
            version,
        )
        for template in ("dashboard/_activity.html", "dashboard/_overdue.html")
    )
    # Our own templates' output, escaped when it was rendered.
    return ActivityParts(mark_safe(section), mark_safe(overdue))


def _failed_part(
    request: HttpRequest, company: Company, customer: records.Customer | None, exc: LookupFailure
) -> HttpResponse:
    """The activity section's own explained line, for the page's script: the record on
    the page stays whole, and the jobs show if they were found before the failure."""
    problem = problem_for(exc, company.name)
    logger.warning("account activity failed company=%s error=%s: %s", company.conductor_id, type(exc).__name__, exc)
    tree = job_tree.cached_hierarchy(company, customer) if customer else None
    ctx = {
        "problem": problem,
        "request_id": exc.request_id,
        "company": company,
        "jobs_html": jobs_html(company, customer, tree) if customer and tree else None,
    }
    return render(request, "dashboard/_activity_failed.html", ctx, status=problem.status)


@staff_view
def customer_account(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    """The customer page's jobs and activity sections. The page's script asks for them
    with `X-Fragment: 1` and puts them in place; without scripts the page links here and
    this answers as a page of its own."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if (bad_id := errors.malformed_customer_id(request, company, customer_id)) is not None:
        return bad_id
    fragment = request.headers.get("X-Fragment") == "1"
    found = None
    try:
        found = customer_page.customer_record(company, customer_id).value
        fetched, tree = activity.fetch_activity(company, found)
    except LOOKUP_FAILURES as exc:
        target = audit.customer_target(company, customer_id, found.full_name if found else None)
        audit.record_failure(request, AuditAction.ACTIVITY, company, target, exc)
        if fragment:
            return _failed_part(request, company, found, exc)
        return errors.lookup_failed(request, exc, company, customer_id)
    target = audit.customer_target(company, customer_id, found.full_name)
    audit.record_fetched(request, AuditAction.ACTIVITY, company, target, fetched)
    ctx = {
        "company": company,
        "customer": found,
        "jobs_html": jobs_html(company, found, tree),
        "activity_parts": activity_parts(company, found, fetched),
    }
    response = render(request, "dashboard/_account_parts.html" if fragment else "dashboard/customer_account.html", ctx)
    response["Vary"] = "X-Fragment"
    return response


def _statement_pdf(request: HttpRequest, company: Company, customer_id: str) -> HttpResponse:
    """The statement alone, as a PDF: the history the page lists is not read for it."""
    try:
        found, statement = printed.read_statement(company, customer_id)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.ACTIVITY, company, audit.customer_target(company, customer_id), exc)
        return errors.lookup_failed(request, exc, company, customer_id)
    target = audit.customer_target(company, customer_id, found.full_name)
    audit.record_fetched(request, AuditAction.ACTIVITY, company, f"{target} statement", statement)
    return pdf_download(request, printed.statement_html(company, found, statement), printed.statement_filename(found))


@staff_view
def customer_history(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    """Every transaction of the customer and its jobs, newest first, filtered by the
    query string and paged on our side; prints as a statement."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if (bad_id := errors.malformed_customer_id(request, company, customer_id)) is not None:
        return bad_id
    form = HistoryFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "dashboard/history.html", {"company": company, "form": form}, status=400)
    if request.GET.get("format") == "pdf":
        return _statement_pdf(request, company, customer_id)
    wanted = form.history_filter() if request.GET else documents.HistoryFilter()
    refresh = request.GET.get("refresh") == "1"
    live = request.GET.get("live") == "1"  # past the copy: older history, other kinds
    try:
        found = customer_page.customer_record(company, customer_id, refresh=refresh).value
        history = documents.fetch_history(company, found, wanted, refresh=refresh, live=live)
        statement = activity.fetch_activity(company, found, refresh=refresh)[0]
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.ACTIVITY, company, audit.customer_target(company, customer_id), exc)
        return errors.lookup_failed(request, exc, company, customer_id)
    target = audit.customer_target(company, customer_id, found.full_name)
    audit.record_fetched(request, AuditAction.ACTIVITY, company, f"{target} history", history)
    if refresh and not history.stale_because:
        return redirect(without_refresh(request))
    paginator = Paginator(history.value.rows, HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    ctx = {
        "company": company,
        "customer": found,
        "form": form,
        "fetched": history,
        "stale_reason": problem_for(history.stale_because).summary if history.stale_because else None,
        "rows": [activity_presentation.history_row(company.conductor_id, found, row) for row in page.object_list],
        "page": page,
        "incomplete": history.value.incomplete,
        "copy_from": history.value.copy_from,
        "read_live_because": (
            "older ones and every kind, as asked"
            if live
            else FIRST_READ_UNDER_WAY
            if local_copy.transactions_ready(company) is None
            else None
        ),
        "copy_from_window": history.value.copy_from not in (None, date.min),
        "customer_url": reverse("customer", args=[company.conductor_id, found.id]),
        # The statement the page prints (and its PDF): dashboard/printed.py.
        **printed.statement_context(company, found, statement),
    }
    return render(request, "dashboard/history.html", ctx)
