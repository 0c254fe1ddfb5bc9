"""Writing, editing and deleting a note on a customer (dashboard/notes.py): the only
pages that write. Each answers by going back to the customer page, at its notes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from dashboard import audit, notes
from dashboard.forms import NoteForm
from dashboard.lookups import activity, customer_page
from dashboard.models import AuditAction, Company, CustomerNote
from dashboard.problems import LOOKUP_FAILURES
from dashboard.views import errors
from dashboard.views.access import company_or_none, signed_in_user, staff_form, unknown_company


def _at_notes(company: Company, customer_id: str) -> HttpResponse:
    return redirect(reverse("customer", args=[company.conductor_id, customer_id]) + "#notes")


def _said(note: CustomerNote) -> str:
    """A note as the audit trail names it: whose, and how it begins."""
    return f"{note.customer_name}: {note.text[:80]}"[:300]


@staff_form
def add_note(request: HttpRequest, conductor_id: str, customer_id: str) -> HttpResponse:
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    if (bad_id := errors.malformed_customer_id(request, company, customer_id)) is not None:
        return bad_id
    if request.method != "POST":
        return _at_notes(company, customer_id)  # the form is on the customer page
    try:
        customer = customer_page.customer_record(company, customer_id).value
    except LOOKUP_FAILURES as exc:
        return errors.lookup_failed(request, exc, company, customer_id)
    form = NoteForm(request.POST, today=activity.today())
    if not form.is_valid():
        ctx = {"company": company, "customer_id": customer_id, "customer_name": customer.full_name, "form": form}
        return render(request, "dashboard/note_form.html", ctx, status=400)
    data = form.cleaned_data
    note = notes.add(
        signed_in_user(request),
        company,
        customer_id,
        customer.full_name,
        data["text"],
        data["promise_amount"],
        data["promise_date"],
    )
    audit.record(request, AuditAction.NOTE_ADDED, company=company, target=_said(note))
    return _at_notes(company, customer_id)


def _note_to_change(
    request: HttpRequest, conductor_id: str, note_id: str
) -> tuple[Company, CustomerNote] | HttpResponse:
    """The note as it stands, of a company the person may see, if they may change it;
    otherwise the page that says why not."""
    company = company_or_none(request, conductor_id)
    if company is None:
        return unknown_company(request)
    note = None
    if note_id.isdigit() and len(note_id) <= 18:
        note = CustomerNote.objects.current().filter(company=company, pk=int(note_id)).first()
    if note is None:
        return errors.not_found(
            request,
            "Note not found",
            "This note was edited or deleted since the page was drawn, or never existed.",
            company=company,
        )
    if not notes.may_change(signed_in_user(request), note):
        ctx = {"company": company, "note": note, "refused": True}
        return render(request, "dashboard/note_form.html", ctx, status=403)
    return company, note


@staff_form
def edit_note(request: HttpRequest, conductor_id: str, note_id: str) -> HttpResponse:
    found = _note_to_change(request, conductor_id, note_id)
    if isinstance(found, HttpResponse):
        return found
    company, note = found
    initial = {"text": note.text, "promise_amount": note.promise_amount, "promise_date": note.promise_date}
    if request.method != "POST":
        form = NoteForm(initial=initial)
        return render(request, "dashboard/note_form.html", {"company": company, "note": note, "form": form})
    form = NoteForm(request.POST, initial=initial, today=activity.today())
    if not form.is_valid():
        return render(request, "dashboard/note_form.html", {"company": company, "note": note, "form": form}, status=400)
    data = form.cleaned_data
    edited = notes.edit(signed_in_user(request), note, data["text"], data["promise_amount"], data["promise_date"])
    audit.record(request, AuditAction.NOTE_EDITED, company=company, target=_said(edited))
    return _at_notes(company, note.customer_id)


@staff_form
def delete_note(request: HttpRequest, conductor_id: str, note_id: str) -> HttpResponse:
    found = _note_to_change(request, conductor_id, note_id)
    if isinstance(found, HttpResponse):
        return found
    company, note = found
    if request.method != "POST":
        return _at_notes(company, note.customer_id)
    user = signed_in_user(request)
    notes.delete(user, note)
    audit.record(request, AuditAction.NOTE_DELETED, company=company, target=_said(note))
    return _at_notes(company, note.customer_id)
