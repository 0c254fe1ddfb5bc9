import logging

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone

from dashboard import audit, presentation
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
    form = GlobalSearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        found = search.search_all_companies(companies, form.cleaned_data["q"])
        failed = sum(1 for result in found if result.error)
        audit.record(
            request,
            AuditAction.SEARCH_ALL,
            target=form.cleaned_data["q"],
            outcome=f"ok, {failed} of {len(found)} companies failed" if failed else "ok",
        )
        text = form.cleaned_data["q"]
        hits = [(result.company, c) for result in found for c in result.customers]
        if len(hits) == 1 and not any(result.has_more for result in found):
            # One customer in every company that could answer (a caller's phone number,
            # an email): straight to it. A company that could not answer could not show
            # its customers' pages either.
            company, customer = hits[0]
            return redirect("customer", conductor_id=company.conductor_id, customer_id=customer.id)
        results = [
            (
                result,
                presentation.result_rows(result.customers),
                company_search_url(result.company, q=text, status=Status.ALL) if result.has_more else None,
            )
            for result in found
        ]
    recent = RecentView.objects.filter(user=request.user, company__in=companies).select_related("company")[:10]
    states = {state.company_id: state for state in CompanySync.objects.filter(company__in=companies)}
    sync_worker = SyncWorker.objects.last_seen()
    ctx = {
        "sync_worker": sync_worker,
        "sync_worker_alive": sync_worker is not None and sync_worker.is_alive(timezone.now()),
        "companies": companies,
        "company_rows": [(company, copy_status(states.get(company.pk))) for company in companies],
        "form": form,
        "results": results,
        "recent": recent,
    }
    return render(request, "dashboard/home.html", ctx, status=400 if form.errors else 200)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to. (The address is looked
    up per request: at import time the static files' manifest may not exist yet.)"""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
