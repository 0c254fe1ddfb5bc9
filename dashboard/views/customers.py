from django.shortcuts import redirect, render
from django.utils import timezone

from dashboard import presentation, records, services
from dashboard.conductor import errors as conductor_errors
from dashboard.models import EndUser
from dashboard.views import errors
from dashboard.views.access import staff_view


def _company_or_none(end_user_id: str) -> EndUser | None:
    if not records.is_valid_end_user_id(end_user_id):
        return None
    return EndUser.objects.active().select_related("api_key").filter(conductor_id=end_user_id).first()


def _unknown_company(request, end_user_id: str):
    return errors.not_found(
        request,
        "Company not found",
        "There is no company with this id in the dashboard, or it has been deactivated.",
    )


@staff_view
def company(request, end_user_id: str):
    """A company's page: its connection status and a box to open a customer by id."""
    end_user = _company_or_none(end_user_id)
    if end_user is None:
        return _unknown_company(request, end_user_id)
    wanted = request.GET.get("id", "").strip()[:100]
    if wanted and records.is_valid_customer_id(wanted):
        return redirect("customer", end_user_id=end_user.conductor_id, customer_id=wanted)
    ctx = {"end_user": end_user, "wanted": wanted, "wanted_invalid": bool(wanted)}
    return render(request, "dashboard/company.html", ctx, status=400 if wanted else 200)


@staff_view
def customer(request, end_user_id: str, customer_id: str):
    end_user = _company_or_none(end_user_id)
    if end_user is None:
        return _unknown_company(request, end_user_id)
    if not records.is_valid_customer_id(customer_id):
        # Checked before any call: a malformed id never reaches Conductor.
        return errors.not_found(
            request,
            "Not a QuickBooks customer id",
            "QuickBooks customer ids look like 80000001-1234567890 (hex digits, a dash, digits).",
            end_user=end_user,
        )
    try:
        found = services.fetch_customer(end_user, customer_id)
    except conductor_errors.ConductorError as exc:
        return errors.upstream_error(request, exc, end_user, customer_id)

    ctx = {
        "end_user": end_user,
        "customer": found,
        "breadcrumb": presentation.breadcrumb(found),
        "sections": presentation.customer_sections(found),
        "balance": presentation.money(found.balance),
        "total_balance": presentation.money(found.total_balance),
        "credit_limit": presentation.money(found.credit_limit),
        "currency": presentation.ref_name(found.currency),
        "job_status": presentation.job_status_label(found.job_status),
        "addresses": presentation.address_cards(found),
        "card": presentation.card_display(found.credit_card),
        "contacts": presentation.contact_cards(found),
        "notes": [n for n in found.additional_notes if presentation.clean(n.note)],
        "custom_fields": [
            (f, presentation.custom_field_type_label(f.type))
            for f in found.custom_fields if presentation.clean(f.name) or presentation.clean(f.value)
        ],
        "fetched_at": timezone.now(),
    }
    response = render(request, "dashboard/customer.html", ctx)
    response["Cache-Control"] = "private, no-store"
    return response
