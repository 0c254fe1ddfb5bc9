"""Documents sent while the customer listens: the statement and any invoice, credit memo
or sales receipt as a PDF that reads like the printed page, and emailed from the task
worker (the page never waits), audited, limited per person per hour, and shown on the
customer page."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from dashboard.customer_index import sync
from tests.conftest import BAKERY
from tests.test_customer_index import control, fake_customers, page_text

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"


def text_of_pdf(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def owing(company, fake):
    control(fake, "POST", "customers", fields={"name": "Statement Reader Co", "email": "ap@reader.example"})
    customer = next(c for c in fake_customers(fake) if c["name"] == "Statement Reader Co")
    invoice = control(fake, "POST", "invoices", customer_id=customer["id"], amount="1234.56")
    assert sync.sync_company(company).ok
    fake.reset()
    return customer, invoice


def test_the_statement_downloads_as_a_pdf_that_reads_like_the_printed_page(support_client, owing):
    customer, invoice = owing
    response = support_client.get(f"/end-users/{BAKERY}/customers/{customer['id']}/activity/", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="statement-statement-reader-co-')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "statement.pdf").write_bytes(response.content)  # to look at
    text = text_of_pdf(response.content)
    for seen in ("Statement", "Statement Reader Co", f"Invoice {invoice['refNumber']}", "1,234.56", "Amount due"):
        assert seen in text, seen
    assert "Sign out" not in text and "Customer dashboard" not in text  # the page's chrome is not printed


def test_an_invoice_downloads_as_a_pdf(support_client, owing):
    _customer, invoice = owing
    response = support_client.get(f"/end-users/{BAKERY}/invoices/{invoice['id']}/", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="invoice-{invoice["refNumber"]}.pdf"'
    (SCREENSHOTS / "invoice.pdf").write_bytes(response.content)  # to look at
    text = text_of_pdf(response.content)
    assert f"Invoice {invoice['refNumber']}" in text and "1,234.56" in text and "Balance remaining" in text


# --- emailed while they listen --------------------------------------------------------------


def statement_email_url(customer):
    return f"/end-users/{BAKERY}/customers/{customer['id']}/statement/email/"


def run_the_worker():
    from django.core.management import call_command

    call_command("sync_worker", "--batch")


def test_the_email_form_is_filled_in_from_quickbooks(support_client, owing):
    customer, _invoice = owing
    body = support_client.get(statement_email_url(customer)).content.decode()
    assert 'value="ap@reader.example"' in body
    assert "Statement from " in body and "Please find your statement attached." in body


def test_a_statement_is_queued_at_once_and_the_worker_sends_it_as_a_pdf(support_client, owing):
    from django.core import mail

    from dashboard.models import AuditAction, AuditEntry, DocumentEmail

    customer, invoice = owing
    response = support_client.post(
        statement_email_url(customer),
        {"to": "accounts@reader.example", "subject": "Your statement", "message": "As promised on the phone."},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/customers/{customer['id']}/#emailed")
    assert mail.outbox == []  # the page did not wait for the mail server: the worker sends
    queued = DocumentEmail.objects.get()
    assert (queued.status, queued.to) == ("queued", "accounts@reader.example")
    assert "being emailed to accounts@reader.example" in page_text(support_client.get(response["Location"]))
    entry = AuditEntry.objects.get(action=AuditAction.EMAIL)
    assert entry.target == "Statement to accounts@reader.example (Statement Reader Co)" and entry.outcome == "queued"

    run_the_worker()
    [sent] = mail.outbox
    assert sent.to == ["accounts@reader.example"] and sent.subject == "Your statement"
    assert sent.body == "As promised on the phone."
    [(filename, content, mimetype)] = sent.attachments
    assert filename.startswith("statement-statement-reader-co-") and mimetype == "application/pdf"
    assert f"Invoice {invoice['refNumber']}" in text_of_pdf(content)
    text = page_text(support_client.get(f"/end-users/{BAKERY}/customers/{customer['id']}/"))
    assert "Statement emailed to accounts@reader.example by sam" in text


def test_an_invoice_is_emailed_with_its_own_pdf(support_client, owing):
    from django.core import mail

    customer, invoice = owing
    url = f"/end-users/{BAKERY}/invoices/{invoice['id']}/email/"
    assert f"Invoice {invoice['refNumber']} from " in support_client.get(url).content.decode()
    response = support_client.post(url, {"to": "ap@reader.example", "subject": "Invoice", "message": ""})
    assert response["Location"].endswith(f"/customers/{customer['id']}/#emailed")
    run_the_worker()
    [sent] = mail.outbox
    [(filename, content, _)] = sent.attachments
    assert filename == f"invoice-{invoice['refNumber']}.pdf" and "Balance remaining" in text_of_pdf(content)


def test_a_wrong_address_is_said_and_nothing_is_queued(support_client, owing):
    from dashboard.models import DocumentEmail

    customer, _ = owing
    response = support_client.post(statement_email_url(customer), {"to": "not an address", "subject": "S"})
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()
    assert not DocumentEmail.objects.exists()


def test_one_person_may_email_only_so_many_an_hour(support_client, owing, settings):
    from dashboard.models import DocumentEmail

    settings.EMAILS_PER_HOUR = 2
    customer, _ = owing
    sent = [
        support_client.post(statement_email_url(customer), {"to": "ap@reader.example", "subject": "S"}).status_code
        for _ in range(3)
    ]
    assert sent == [302, 302, 429]
    assert DocumentEmail.objects.count() == 2


class RefusingMailServer:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")

    def open(self):
        return True

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_mail_server_that_refuses_is_said_on_the_customer_page(support_client, owing, settings):
    from dashboard.models import DocumentEmail

    customer, _ = owing
    support_client.post(statement_email_url(customer), {"to": "ap@reader.example", "subject": "S"})
    settings.MAILERS = {"default": {"BACKEND": "tests.test_documents_sent.RefusingMailServer"}}
    run_the_worker()
    assert DocumentEmail.objects.get().status == "failed"
    text = page_text(support_client.get(f"/end-users/{BAKERY}/customers/{customer['id']}/"))
    assert "not emailed to ap@reader.example Not sent" in text and "The mail server did not take the email" in text


def test_without_a_mail_server_the_form_says_so_and_offers_the_pdf(support_client, owing, settings):
    customer, _ = owing
    settings.MAILERS = {}
    response = support_client.get(statement_email_url(customer))
    assert response.status_code == 503
    assert "Email is not set up on this server" in page_text(response) and "Download the PDF" in page_text(response)
