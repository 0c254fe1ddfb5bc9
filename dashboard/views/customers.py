import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from dashboard import identifiers, job_tree, presentation, records, search, services
from dashboard.conductor import errors as conductor_errors
from dashboard.forms import CustomerSearchForm, JumpForm
from dashboard.freshness import cache_key
from dashboard import audit
from dashboard.models import AuditAction, EndUser, RecentView, visible_companies
from dashboard.views import errors
from dashboard.views.access import staff_view

logger = logging.getLogger("dashboard.views")


def _company_or_none(request, end_user_id: str) -> EndUser | None:
    """The company, if it exists, is active and this user may see it.

    A company outside the user's scope is "not found", exactly like one that does not
    exist, so the answer confirms nothing."""
    if not identifiers.is_valid_end_user_id(end_user_id):
        return None
    return visible_companies(request.user).select_related("api_key").filter(conductor_id=end_user_id).first()


def _unknown_company(request):
    return errors.not_found(
        request,
        "Company not found",
        "There is no company with this id in the dashboard, or you do not have access to it.",
    )


def _without_refresh(request) -> str:
    query = request.GET.copy()
    query.pop("refresh", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def refresh_url(request) -> str:
    query = request.GET.copy()
    query["refresh"] = "1"
    return f"{request.path}?{query.urlencode()}"


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


def _search_url(end_user: EndUser, **params) -> str:
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in params.items() if v not in (None, "")})
    url = reverse("company", args=[end_user.conductor_id])
    return f"{url}?{query.urlencode()}" if query else url


@staff_view
def company(request, end_user_id: str):
    """A company's customers: search by name, status and balance, paged by name."""
    end_user = _company_or_none(request, end_user_id)
    if end_user is None:
        return _unknown_company(request)
    form = CustomerSearchForm(request.GET or None)
    ctx = {"end_user": end_user, "form": form, "page": None}
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
        fetched = search.search_company(end_user, criteria, after=data.get("after", ""), refresh=refresh)
    except conductor_errors.ConductorError as exc:
        audit.record(
            request,
            action,
            end_user=end_user,
            target=query_text,
            outcome=audit.outcome_of(exc),
            request_id=exc.request_id,
        )
        return errors.upstream_error(request, exc, end_user)
    audit.record(
        request,
        action,
        end_user=end_user,
        target=query_text,
        outcome="stale" if fetched.stale_because else "ok",
        request_id=None if fetched.from_cache else fetched.value.request_id,
    )
    if refresh and not fetched.stale_because:
        return redirect(_without_refresh(request))

    page = fetched.value
    params = {k: data.get(k) for k in ("q", "match", "status", "balance", "min_balance")}
    ctx.update(
        page=page,
        fetched=fetched,
        refresh_url=refresh_url(request),
        stale_reason=errors.short_reason(fetched.stale_because) if fetched.stale_because else None,
        criteria=criteria,
        rows=[presentation.result_row(c) for c in page.customers],
        next_url=_search_url(end_user, **params, after=page.next_after) if page.next_after else None,
        first_url=_search_url(end_user, **params) if page.after else None,
    )
    response = render(request, "dashboard/company.html", ctx)
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view
def jump(request, end_user_id: str):
    """Open a customer by QuickBooks id or exact full name."""
    end_user = _company_or_none(request, end_user_id)
    if end_user is None:
        return _unknown_company(request)
    form = JumpForm(request.GET)
    if not form.is_valid():
        return redirect("company", end_user_id=end_user.conductor_id)
    wanted = form.cleaned_data["to"]
    if identifiers.is_valid_customer_id(wanted):
        audit.record(request, AuditAction.JUMP, end_user=end_user, target=wanted)
        return redirect("customer", end_user_id=end_user.conductor_id, customer_id=wanted)
    try:
        found = search.find_by_full_name(end_user, wanted)
    except conductor_errors.ConductorError as exc:
        audit.record(
            request,
            AuditAction.JUMP,
            end_user=end_user,
            target=wanted,
            outcome=audit.outcome_of(exc),
            request_id=exc.request_id,
        )
        return errors.upstream_error(request, exc, end_user)
    audit.record(
        request,
        AuditAction.JUMP,
        end_user=end_user,
        target=wanted,
        outcome="ok" if found else "no match",
        request_id=found.request_id if found else None,
    )
    if found is not None:
        return redirect("customer", end_user_id=end_user.conductor_id, customer_id=found.id)
    # Name searches match a customer's own name, the last part of a full name.
    prefill = wanted.rsplit(":", 1)[-1].strip()[:100]
    return errors.not_found(
        request,
        "No customer by that name",
        f"{end_user.company_name} has no customer whose id or full name is exactly what you entered.",
        end_user=end_user,
        search_form=CustomerSearchForm(initial={"q": prefill, "status": "all"}),
        wanted=wanted,
    )


def _remember_view(user, end_user: EndUser, found: records.Customer) -> None:
    """Bookkeeping for "recently viewed": never worth failing the page over."""
    try:
        RecentView.record(user, end_user, found.id, found.full_name)
    except DatabaseError:
        logger.warning("recent view not recorded for user %s", user.pk, exc_info=True)


def _customer_body(request, end_user: EndUser, found: records.Customer, fetched, tree) -> str:
    """The data sections, rendered once per fetched copy and job tree, then cached:
    a cached page then costs little more than a trivial one. Nothing in it depends on
    the viewer or the clock (the age line and the breadcrumb stay outside)."""
    tree_version = repr((tuple(j.id for j in tree.jobs), tree.jobs_truncated, tree.problem))
    key = cache_key("page", end_user.conductor_id, found.id, repr(fetched.fetched_at), tree_version)
    html = cache.get(key)
    if html is None:
        ctx = {
            "end_user": end_user,
            "customer": found,
            "tree": tree,
            "jobs": [presentation.result_row(c) for c in tree.jobs],
            "sections": presentation.customer_sections(found),
            "balance": presentation.money(found.balance),
            "total_balance": presentation.money(found.total_balance),
            "credit_limit": presentation.money(found.credit_limit),
            "currency": presentation.ref_name(found.currency),
            "addresses": presentation.address_cards(found),
            "card": presentation.card_display(found.credit_card),
            "contacts": presentation.contact_cards(found),
            "notes": [n for n in found.additional_notes if presentation.clean(n.note)],
            "custom_fields": [
                (f, presentation.custom_field_type_label(f.type))
                for f in found.custom_fields
                if presentation.clean(f.name) or presentation.clean(f.value)
            ],
        }
        html = render_to_string("dashboard/_customer_body.html", ctx, request)
        cache.set(key, html, timeout=settings.CUSTOMER_CACHE_TTL)
    return mark_safe(html)  # our own template's output, escaped when it was rendered


@staff_view
def customer(request, end_user_id: str, customer_id: str):
    end_user = _company_or_none(request, end_user_id)
    if end_user is None:
        return _unknown_company(request)
    if not identifiers.is_valid_customer_id(customer_id):
        # Checked before any call: a malformed id never reaches Conductor.
        return errors.not_found(
            request,
            "Not a QuickBooks customer id",
            "QuickBooks customer ids look like 80000001-1234567890 (hex digits, a dash, digits).",
            end_user=end_user,
        )
    refresh = request.GET.get("refresh") == "1"
    action = AuditAction.REFRESH if refresh else AuditAction.VIEW
    try:
        fetched = None if refresh else services.fresh_customer(end_user, customer_id)
        early = None
        if fetched is None:
            # When the customer's place in the tree is known, its tree is looked up while
            # the record is fetched: one QuickBooks round trip for the page, not two.
            early = job_tree.start_early(end_user, customer_id, refresh=refresh)
            fetched = services.fetch_customer(end_user, customer_id, refresh=refresh)
        found = fetched.value
        tree = job_tree.hierarchy(end_user, found, refresh=refresh, early=early)
    except conductor_errors.ConductorError as exc:
        audit.record(
            request,
            action,
            end_user=end_user,
            target=customer_id,
            outcome=audit.outcome_of(exc),
            request_id=exc.request_id,
        )
        return errors.upstream_error(request, exc, end_user, customer_id)
    audit.record(
        request,
        action,
        end_user=end_user,
        target=customer_id,
        outcome="stale" if fetched.stale_because else "ok",
        request_id=None if fetched.from_cache else found.request_id,
    )
    _remember_view(request.user, end_user, found)
    if refresh and not fetched.stale_because:
        # The fresh copy is cached now: send the browser back to the plain address,
        # so the refresh is not repeated by a reload or kept in a bookmark.
        return redirect(_without_refresh(request))

    ctx = {
        "end_user": end_user,
        "customer": found,
        "fetched": fetched,
        "refresh_url": refresh_url(request),
        "stale_reason": errors.short_reason(fetched.stale_because) if fetched.stale_because else None,
        "tree": tree,
        "job_status": presentation.job_status_label(found.job_status),
        "body_html": _customer_body(request, end_user, found, fetched, tree),
    }
    response = render(request, "dashboard/customer.html", ctx)
    response["Cache-Control"] = "private, no-store"
    return response
