"""Emailing a statement or a document to the customer (dashboard/mail.py does the sending,
in the worker): a short form, prefilled from QuickBooks, and back to the customer page."""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dashboard import audit, identifiers, mail, printed
from dashboard.conductor import records
from dashboard.customer_index import local_copy
from dashboard.forms import EmailDocumentForm
from dashboard.lookups import customer_page
from dashboard.models import AuditAction, Company
from dashboard.problems import LOOKUP_FAILURES
from dashboard.views import errors
from dashboard.views.access import company_or_none, signed_in_user, staff_form, unknown_company

PAGE_NAMES = {"invoice": "invoice", "credit_memo": "credit_memo", "sales_receipt": "sales_receipt"}


@dataclass(frozen=True)
class Sending:
    """What is about to be sent, and to whom by default."""

    kind: str
    transaction_id: str  # blank for a statement
    title: str  # "Statement", "Invoice 1028"
    customer: records.Customer
    back_url: str  # the page the form was opened from


@staff_form
def email_statement(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if (bad_id := errors.malformed_customer_id(request, company, customer_id)) is not None:
        return bad_id
    try:
        customer = customer_page.customer_record(company, customer_id).value
    except LOOKUP_FAILURES as exc:
        return errors.lookup_failed(request, exc, company, customer_id)
    back = reverse("customer_history", args=[company.conductor_id, customer_id])
    return _email_page(request, company, Sending("statement", "", "Statement", customer, back))


@staff_form
def email_document(request: HttpRequest, conductor_id: str, txn_id: str, kind: str) -> HttpResponse:
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if not identifiers.is_valid_transaction_id(txn_id):
        return errors.not_found(
            request,
            "Not a QuickBooks transaction id",
            "QuickBooks transaction ids look like 1A2B3C-1234567890 (hex digits, a dash, digits).",
            company=company,
        )
    try:
        document = printed.FETCHERS[kind](company, txn_id).value
        owner = document.customer.id if document.customer else None
        if not owner or not identifiers.is_valid_customer_id(owner):
            return errors.not_found(request, "No customer to send it to", "QuickBooks names no customer for it.")
        held = local_copy.customer(company, owner)
        customer = held.value if held else customer_page.customer_record(company, owner).value
    except LOOKUP_FAILURES as exc:
        return errors.lookup_failed(request, exc, company, thing=printed.DOCUMENT_KINDS[kind].lower())
    title = f"{printed.DOCUMENT_KINDS[kind]} {document.ref_number or ''}".strip()
    back = reverse(PAGE_NAMES[kind], args=[company.conductor_id, txn_id])
    return _email_page(request, company, Sending(kind, txn_id, title, customer, back))


def _first_address(text: str | None) -> str:
    """QuickBooks' email field may hold several addresses ("a@x.com; b@x.com")."""
    for part in (text or "").replace(";", ",").split(","):
        if "@" in part:
            return part.strip()
    return ""


def _email_page(request: HttpRequest, company: Company, sending: Sending) -> HttpResponse:
    if not mail.is_set_up():
        unavailable = {
            "title": "Email is not set up on this server",
            "explanation": "The dashboard has no mail server to send through (EMAIL_URL is not set).",
            "what_to_do": "Download the PDF and send it from your own mailbox, and ask an administrator to set EMAIL_URL.",
            "back_url": sending.back_url,
            "back_label": "Back to the page",
        }
        return render(request, "errors/unavailable.html", unavailable, status=503)
    sender = ((remit := local_copy.company_file(company)) and remit.name) or company.name
    initial = {
        "to": _first_address(sending.customer.email),
        "subject": f"{sending.title} from {sender}",
        "message": f"Hello,\n\nPlease find your {sending.title.lower()} attached.\n\nThank you,\n{sender}",
    }
    form = EmailDocumentForm(request.POST if request.method == "POST" else None, initial=initial)
    ctx: dict[str, object] = {"company": company, "sending": sending, "form": form, "customer": sending.customer}
    if request.method != "POST" or not form.is_valid():
        return render(request, "dashboard/email_document.html", ctx, status=400 if form.is_bound else 200)
    data = form.cleaned_data
    user = signed_in_user(request)
    try:
        mail.request_email(
            user,
            company,
            sending.customer.id,
            sending.kind,
            sending.transaction_id,
            sending.title,
            data["to"],
            data["subject"],
            data["message"],
        )
    except mail.TooManyEmails:
        ctx.update(too_many=True, limit=settings.EMAILS_PER_HOUR)
        return render(request, "dashboard/email_document.html", ctx, status=429)
    target = f"{sending.title} to {data['to']} ({sending.customer.full_name})"[:300]
    audit.record(request, AuditAction.EMAIL, company=company, target=target, outcome="queued")
    return redirect(reverse("customer", args=[company.conductor_id, sending.customer.id]) + "#emailed")
