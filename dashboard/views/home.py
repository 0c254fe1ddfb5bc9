import logging
import uuid

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.cache import never_cache

from dashboard import audit, presentation
from dashboard.caching.fail_soft import FailSoft
from dashboard.forms import GlobalSearchForm
from dashboard.lookups import search
from dashboard.models import AuditAction, CompanySync, RecentView, SyncWorker
from dashboard.permissions import access_for
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
            return redirect("customer", company_id=company.conductor_id, customer_id=customer.id)
        results = [
            (
                result,
                presentation.result_rows(result.customers),
                company_search_url(result.company, q=text, status="all") if result.has_more else None,
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
        "company_rows": [(company, states.get(company.pk)) for company in companies],
        "form": form,
        "results": results,
        "recent": recent,
    }
    return render(request, "dashboard/home.html", ctx, status=400 if form.errors else 200)


@never_cache
def healthz(request):
    """Process liveness for load balancers: touches no database and no Conductor."""
    return HttpResponse("ok", content_type="text/plain")


def database_takes_writes() -> bool:
    """Whether a page's audit entry could be written now: every page needs one. SQLite:
    take the write lock and let it go (waiting at most its busy timeout); PostgreSQL:
    the server is not read-only (a standby)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if connection.in_atomic_block:  # inside a test's transaction: it holds the lock
                cursor.execute("SELECT 1")
                return True
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("ROLLBACK")
            return True
        if connection.vendor == "postgresql":
            cursor.execute("SHOW transaction_read_only")
            return bool(cursor.fetchone()[0] == "off")
        cursor.execute("SELECT 1")
        return True


@never_cache
def readyz(request):
    """Readiness: the database takes a write and the cache answers, every part of it (within
    their short timeouts, set in settings). Conductor is not asked: one company's
    QuickBooks being down must not take the dashboard out of a load balancer. Anyone may
    ask, so the answer names the component only; the detail goes to the log."""
    problems = {}
    try:
        if not database_takes_writes():
            problems["database"] = "cannot take a write (read-only)"
    except Exception as exc:  # any failure at all means not ready
        problems["database"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    problem = cache_readiness_problem()
    if problem:
        problems["cache"] = problem
    if problems:
        for component, detail in problems.items():
            logger.warning("not ready: %s: %s", component, detail)
        return HttpResponse("not ready: " + ", ".join(problems), content_type="text/plain", status=503)
    return HttpResponse("ready", content_type="text/plain")


def cache_readiness_problem() -> str | None:
    """What keeps the cache from answering, in words for the log; None when it answers."""
    backend = caches["default"]
    if isinstance(backend, FailSoft):
        return backend.readiness_problem()  # it fails soft: ask it directly, every shard
    try:
        probe = f"dash:readyz:{uuid.uuid4().hex}"
        backend.set(probe, "1", timeout=5)
        if backend.get(probe) != "1":
            return "a value was not read back"
        backend.delete(probe)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links to. (The address is looked
    up per request: at import time the static files' manifest may not exist yet.)"""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
