import dataclasses
import logging

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

from dashboard import audit, notes, presentation
from dashboard.customer_index.models import CompanySync, SyncWorker
from dashboard.customer_index.state import copy_status
from dashboard.forms import GlobalSearchForm
from dashboard.lookups import search
from dashboard.models import AuditAction, RecentView
from dashboard.permissions import access_for
from dashboard.search_criteria import Status
from dashboard.search_limit import searches_bounded
from dashboard.views.access import staff_view
from dashboard.views.links import company_search_url

logger = logging.getLogger("dashboard.views")


@staff_view
@searches_bounded("q")
def home(request):
    """The companies, the user's recently viewed customers, and search across companies."""
    companies = list(access_for(request.user).companies.values())
    # A call from a number no customer has (dashboard/views/calls.py): the search,
    # filled in and not run (it would find nothing again), to search by name instead.
    caller = request.GET.get("caller", "").strip()[:100] if "q" not in request.GET else ""
    form = GlobalSearchForm(initial={"q": caller}) if caller else GlobalSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        text = form.cleaned_data["q"]
        live = request.GET.get("live") == "1"
        found = search.search_all_companies(companies, text, live=live)
        audit.record(request, AuditAction.SEARCH_ALL, target=text, outcome=_search_outcome(found))
        only = found.ranked[0] if len(found.ranked) == 1 else None
        if only and not getattr(only[1], "typo", False) and not any(r.has_more for r in found.companies):
            # One customer in every company that could answer (a caller's phone number,
            # an email): straight to it. Never a match by spelling: "Larson" must not
            # open Larsen unannounced. A company that could not answer could not show
            # its customers' pages either.
            company, customer = only
            return redirect("customer", conductor_id=company.conductor_id, customer_id=customer.id)
        results = _all_companies_context(found, text, live)
        results["notes"] = notes.matching(companies, text)
        results["list_url"] = request.get_full_path()
    recent = RecentView.objects.filter(user=request.user, company__in=companies).select_related("company")[:10]
    states = {state.company_id: state for state in CompanySync.objects.filter(company__in=companies)}
    sync_worker = SyncWorker.objects.last_seen()
    ctx = {
        "sync_worker": sync_worker,
        "sync_worker_alive": sync_worker is not None and sync_worker.is_alive(timezone.now()),
        "companies": companies,
        "company_rows": [(company, copy_status(states.get(company.pk))) for company in companies],
        "form": form,
        "caller": caller,
        "results": results,
        "recent": recent,
    }
    return render(request, "dashboard/home.html", ctx, status=400 if form.errors else 200)


def _search_outcome(found: search.AllCompaniesResult) -> str:
    """What a search across companies came to, as the audit trail says it."""
    companies = len(found.companies)
    said = f"found {found.found}{'+' if found.found_at_least else ''} in {companies} compan{'y' if companies == 1 else 'ies'}"
    unanswered = len(found.unanswered)
    return f"{said}; {unanswered} could not answer" if unanswered else said


def _all_companies_context(found: search.AllCompaniesResult, text: str, live: bool) -> dict[str, object]:
    """The results as one table, best first across companies; the companies that could
    not answer said once, after it."""
    indexed = [result.in_step_at for result in found.companies if result.in_step_at is not None]
    return {
        "rows": [
            # Rows of many companies, never under one another: a job names its parents.
            dataclasses.replace(
                presentation.result_row(customer, parent_path=customer.full_name.rpartition(":")[0] or None),
                company=company,
            )
            for company, customer in found.ranked
        ],
        "found": found.found,
        "found_at_least": found.found_at_least,
        "companies_found_in": len({company.pk for company, _ in found.ranked}),
        "unanswered": found.unanswered,
        "more": [
            (result.company, company_search_url(result.company, q=text, status=Status.ALL))
            for result in found.companies
            if result.has_more
        ],
        "searched_live": [
            result.company for result in found.companies if result.in_step_at is None and not result.error
        ],
        "oldest_in_step": min(indexed) if indexed else None,
        "live": live,
    }


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to. (The address is looked
    up per request: at import time the static files' manifest may not exist yet.)"""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
