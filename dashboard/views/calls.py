"""The address a phone system opens when a call comes in (and a helpdesk when a chat or
an email does): /call/?number=… or /call/?email=…"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dashboard import audit, incoming, presentation
from dashboard.lookups import activity
from dashboard.models import AuditAction
from dashboard.permissions import access_for
from dashboard.views.access import staff_view


@staff_view
def incoming_call(request: HttpRequest) -> HttpResponse:
    """One customer has the caller's number: its page. Several: a list to choose from.
    None: the home search, filled in with the number."""
    try:
        who = incoming.caller(request.GET.get("number", ""), request.GET.get("email", ""))
    except incoming.NotACaller as exc:
        audit.record(request, AuditAction.CALL, target=request.GET.urlencode()[:300], outcome="not a caller")
        return render(request, "dashboard/call.html", {"problem": str(exc)}, status=400)
    companies = list(access_for(request.user).companies.values())
    found = incoming.find(companies, who, activity.today())
    matches = found.matches
    said = f"incoming call {who.shown}" if who.phone_digits else f"incoming from {who.shown}"
    if len(matches) == 1:
        hit = matches[0].hit
        audit.record(request, AuditAction.CALL, company=hit.company, target=f"{said} → {hit.full_name}"[:300])
        return redirect("customer", conductor_id=hit.company.conductor_id, customer_id=hit.id)
    outcome = f"{len(matches)} matches" if matches else "no match"
    audit.record(request, AuditAction.CALL, target=said[:300], outcome=outcome)
    if not matches:
        return redirect(f"{reverse('home')}?{urlencode({'caller': who.shown})}")
    rows = [
        (
            match,
            presentation.result_row(match.hit, parent_path=match.hit.full_name.rpartition(":")[0] or None),
            presentation.money(match.overdue),
        )
        for match in matches
    ]
    ctx = {"caller": who, "rows": rows, "not_searched": found.not_searched}
    return render(request, "dashboard/call.html", ctx)
