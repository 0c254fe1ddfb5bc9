"""One transaction as the customer received it: invoice, payment, credit memo, sales
receipt. Each page links back to its customer and to the transactions linked to it."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dashboard import activity_presentation, audit, identifiers, presentation, printed
from dashboard.caching.freshness import Fetched
from dashboard.conductor.transactions import Payment
from dashboard.customer_index import local_copy
from dashboard.customer_index.state import FIRST_READ_UNDER_WAY
from dashboard.lookups import documents
from dashboard.models import AuditAction, Company
from dashboard.problems import LOOKUP_FAILURES, problem_for
from dashboard.views import errors
from dashboard.views.access import company_or_none, staff_view, unknown_company
from dashboard.views.downloads import pdf_download
from dashboard.views.links import without_refresh

URL_NAMES = {"invoice": "invoice", "credit_memo": "credit_memo", "sales_receipt": "sales_receipt", "payment": "payment"}
KIND_NAMES = {
    "invoice": "Invoice",
    "credit_memo": "Credit memo",
    "sales_receipt": "Sales receipt",
    "payment": "Payment",
}


def _why_live(company: Company) -> str:
    if local_copy.transactions_ready(company) is None:
        return FIRST_READ_UNDER_WAY
    return "older than the local copy’s window"


def _open(
    request: HttpRequest,
    conductor_id: str,
    txn_id: str,
    kind: str,
    fetch: Callable[..., Fetched[Any]],
    context: Callable[[Company, Any], dict[str, object]],
) -> HttpResponse:
    """What every transaction page does: access, the id, the lookup, the audit entry."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    name = KIND_NAMES[kind]
    if not identifiers.is_valid_transaction_id(txn_id):
        # Checked before any call: a malformed id never reaches Conductor.
        audit.record_denial(request, "malformed transaction id", company=company)
        return errors.not_found(
            request,
            "Not a QuickBooks transaction id",
            "QuickBooks transaction ids look like 1A2B3C-1234567890 (hex digits, a dash, digits).",
            company=company,
        )
    canonical = identifiers.canonical_customer_id(txn_id)
    if canonical != txn_id:
        return redirect(reverse(URL_NAMES[kind], args=[company.conductor_id, canonical]), permanent=True)
    refresh = request.GET.get("refresh") == "1"
    try:
        fetched = fetch(company, txn_id, refresh=refresh)
    except LOOKUP_FAILURES as exc:
        audit.record_failure(request, AuditAction.DOCUMENT, company, f"{kind} {txn_id}", exc)
        return errors.lookup_failed(request, exc, company, thing=name.lower())
    target = audit.transaction_target(kind, txn_id, fetched.value)
    audit.record_fetched(request, AuditAction.DOCUMENT, company, target, fetched)
    if refresh and not fetched.stale_because:
        return redirect(without_refresh(request))
    ctx = {
        "company": company,
        "kind_name": name,
        "fetched": fetched,
        "read_live_because": None if fetched.from_copy else _why_live(company),
        "stale_reason": problem_for(fetched.stale_because).summary if fetched.stale_because else None,
        **context(company, fetched.value),
    }
    if kind != "payment":
        ctx["email_url"] = reverse(f"email_{kind}", args=[company.conductor_id, txn_id])
    if kind != "payment" and request.GET.get("format") == "pdf":
        document = fetched.value
        html = printed.document_html(company, document)
        return pdf_download(request, html, printed.document_filename(printed.document_title(document)))
    return render(request, "dashboard/document.html" if kind != "payment" else "dashboard/payment.html", ctx)


def _payment_context(company: Company, payment: Payment) -> dict[str, object]:
    row = activity_presentation.payment_row(company.conductor_id, None, payment)
    targets = [
        {"transaction_date": t.transaction_date, "balance": presentation.money(t.balance_remaining)}
        for t in payment.applied_to
    ]
    return {
        "payment": payment,
        "title": f"Payment {presentation.clean(payment.ref_number) or ''}".strip(),
        "transaction_id": payment.id,
        "customer_name": presentation.ref_name(payment.customer),
        "customer_url": printed.customer_url(company, payment.customer),
        "row": row,
        "applied": list(zip(row.applied, targets, strict=True)),
        "unused": presentation.money(payment.unused_payment),
        "unreadable": list(payment.unreadable),
    }


@staff_view
def invoice(request: HttpRequest, conductor_id: str, txn_id: str) -> HttpResponse:
    return _open(request, conductor_id, txn_id, "invoice", documents.fetch_invoice, printed.document_context)


@staff_view
def credit_memo(request: HttpRequest, conductor_id: str, txn_id: str) -> HttpResponse:
    return _open(request, conductor_id, txn_id, "credit_memo", documents.fetch_credit_memo, printed.document_context)


@staff_view
def sales_receipt(request: HttpRequest, conductor_id: str, txn_id: str) -> HttpResponse:
    return _open(
        request, conductor_id, txn_id, "sales_receipt", documents.fetch_sales_receipt, printed.document_context
    )


@staff_view
def payment(request: HttpRequest, conductor_id: str, txn_id: str) -> HttpResponse:
    return _open(request, conductor_id, txn_id, "payment", documents.fetch_payment, _payment_context)
