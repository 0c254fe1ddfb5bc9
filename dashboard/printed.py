"""The documents a customer receives, as the page prints them and as a PDF: the
statement, and an invoice, credit memo or sales receipt. One template part each, shared
by the page (its print stylesheet) and the PDF (WeasyPrint, with the same stylesheet),
so the PDF looks like the printed page.

Built from a company and an id alone (no request): the email task makes them too."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from dashboard import account, activity_presentation, identifiers, presentation
from dashboard.caching.freshness import Fetched
from dashboard.conductor import records
from dashboard.conductor.records import Ref
from dashboard.conductor.transactions import Document
from dashboard.customer_index import local_copy
from dashboard.lookups import activity, customer_page, documents
from dashboard.lookups.activity import Activity
from dashboard.models import Company

# Kinds a customer receives as a document (a payment is the customer's own).
DOCUMENT_KINDS = {"invoice": "Invoice", "credit_memo": "Credit memo", "sales_receipt": "Sales receipt"}


def statement_context(company: Company, customer: records.Customer, statement: Fetched[Activity]) -> dict[str, Any]:
    """What the statement part (dashboard/_statement.html) reads."""
    today = activity.today()
    remit_to = local_copy.company_file(company)
    return {
        "company": company,
        "customer": customer,
        # QuickBooks' billing address often starts with the name the statement already prints.
        "billing_lines": [
            line
            for line in presentation.address_lines(customer.billing_address)
            if line.casefold() not in (customer.name.casefold(), customer.full_name.casefold())
        ],
        "statement_lines": activity_presentation.statement_lines(customer, statement.value, today),
        "remit_to": remit_to,
        "remit_to_lines": [line for line in presentation.address_lines(remit_to.address) if line != remit_to.name]
        if remit_to
        else [],
        "statement_activity": activity_presentation.activity_view(
            company.conductor_id, customer, statement.value, today
        ),
        "statement_today": today,
    }


@dataclass(frozen=True)
class Printed:
    """A document ready to send: its PDF, a file name, and how it is named in words."""

    pdf: bytes
    filename: str  # "statement-abc-corporation-2026-12-02.pdf"
    title: str  # "Statement", "Invoice 1028"
    customer: records.Customer | None


def _slug(text: str) -> str:
    return slugify(text)[:60] or "customer"


def read_statement(company: Company, customer_id: str) -> tuple[records.Customer, Fetched[Activity]]:
    """The customer and the activity its statement prints (raises what the lookups raise)."""
    customer = customer_page.customer_record(company, customer_id).value
    return customer, activity.fetch_activity(company, customer)[0]


def statement_html(company: Company, customer: records.Customer, statement: Fetched[Activity]) -> str:
    return render_to_string("pdf/statement.html", statement_context(company, customer, statement))


def statement(company: Company, customer_id: str) -> Printed:
    """The customer's statement as of today, as a PDF (raises what the lookups raise)."""
    customer, fetched = read_statement(company, customer_id)
    return Printed(pdf(statement_html(company, customer, fetched)), statement_filename(customer), "Statement", customer)


def statement_filename(customer: records.Customer) -> str:
    return f"statement-{_slug(customer.full_name)}-{activity.today().isoformat()}.pdf"


def document_filename(title: str) -> str:
    return f"{_slug(title)}.pdf"


FETCHERS: dict[str, Callable[..., Fetched[Document]]] = {
    "invoice": documents.fetch_invoice,
    "credit_memo": documents.fetch_credit_memo,
    "sales_receipt": documents.fetch_sales_receipt,
}


def document(company: Company, kind: str, transaction_id: str) -> Printed:
    """An invoice, credit memo or sales receipt (raises what the lookups raise)."""
    found = FETCHERS[kind](company, transaction_id).value
    title = document_title(found)
    customer = None
    if found.customer and found.customer.id and (held := local_copy.customer(company, found.customer.id)):
        customer = held.value
    return Printed(pdf(document_html(company, found)), document_filename(title), title, customer)


def document_title(document: Document) -> str:
    """ "Invoice 1028", "Credit memo" (no number)."""
    return f"{DOCUMENT_KINDS[document.kind]} {presentation.clean(document.ref_number) or ''}".strip()


def document_html(company: Company, document: Document) -> str:
    ctx = {"company": company, "kind_name": DOCUMENT_KINDS[document.kind], **document_context(company, document)}
    return render_to_string("pdf/document.html", ctx)


def customer_url(company: Company, customer: Ref | None) -> str | None:
    if customer is None or not customer.id or not identifiers.is_valid_customer_id(customer.id):
        return None
    return reverse("customer", args=[company.conductor_id, customer.id])


def document_context(company: Company, document: Document) -> dict[str, Any]:
    """What a document's page and its PDF show of it (dashboard/_document.html)."""
    today = activity.today()
    links = [
        {
            "label": " ".join(
                filter(
                    None, [activity_presentation.type_label(link.transaction_type), presentation.clean(link.ref_number)]
                )
            ),
            "url": activity_presentation.document_url(company.conductor_id, link.transaction_type, link.transaction_id),
            "date": link.transaction_date,
            # QuickBooks signs a link's amount from the other side; the page says which way in words.
            "amount": presentation.money(link.amount.copy_abs() if link.amount is not None else None),
        }
        for link in document.linked
    ]
    paid = None
    if document.kind == "invoice" and document.total is not None and document.balance_remaining is not None:
        paid = document.total - document.balance_remaining
    return {
        "document": document,
        "title": document_title(document),
        "transaction_id": document.id,
        "customer_name": presentation.ref_name(document.customer),
        "customer_url": customer_url(company, document.customer),
        "addresses": activity_presentation.document_addresses(document),
        "lines": activity_presentation.line_rows(document),
        "line_count": len(document.lines) + sum(len(g.lines) for g in document.line_groups),
        "tax_rate": f"{document.sales_tax_percentage.normalize():f}" if document.sales_tax_percentage else None,
        "subtotal": presentation.money(document.subtotal),
        "tax": presentation.money(document.sales_tax_total),
        "total": presentation.money(document.total),
        "paid": presentation.money(paid),
        "remaining": presentation.money(document.balance_remaining),
        "credit_remaining": presentation.money(document.credit_remaining),
        "days_overdue": account.days_overdue(document, today) if document.kind == "invoice" else 0,
        "links": links,
        "unreadable": list(document.unreadable),
    }


def pdf(html: str) -> bytes:
    """The HTML as a PDF, with the dashboard's own stylesheet as the printer sees it.
    Nothing is fetched: the stylesheet is read from disk, and any other address in the
    page (there should be none) is refused, so no request leaves the server."""
    import weasyprint  # its system libraries (Pango) load on first use, not at start-up

    stylesheets = [weasyprint.CSS(filename=finders.find(name)) for name in ("css/app.css", "css/pdf.css")]
    document: bytes = weasyprint.HTML(string=html, url_fetcher=_refuse).write_pdf(stylesheets=stylesheets)
    return document


def _refuse(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    raise ValueError(f"a PDF fetches nothing ({url[:80]})")
