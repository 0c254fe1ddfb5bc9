"""Emailing a statement or a document to a customer while they are on the line.

A page asks (`request_email`): the request is written down, audited and handed to the
task worker, and the page answers at once. The worker (`send_document_email`) makes the
PDF (dashboard/printed.py) and sends it with Django's email framework (EMAIL_URL); the
customer page shows how each went. One person may ask for EMAILS_PER_HOUR an hour."""

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.tasks import task
from django.utils import timezone

from dashboard import printed
from dashboard.caching.counters import count_up
from dashboard.caching.freshness import cache_key
from dashboard.models import Company, DocumentEmail
from dashboard.problems import LOOKUP_FAILURES, problem_for

logger = logging.getLogger("dashboard.mail")

QUEUE = "mail"
# A person waits on the phone: an email goes before the background sync's next task.
PRIORITY = 50
HOUR = 3600


def is_set_up() -> bool:
    """Whether this server sends email at all (EMAIL_URL; the demo prints it instead)."""
    return "default" in settings.MAILERS


class TooManyEmails(Exception):
    """The person has sent EMAILS_PER_HOUR documents within the hour."""


def _sent_this_hour_key(user: User) -> str:
    hour = int(timezone.now().timestamp()) // HOUR
    return cache_key("emails", str(user.pk), str(hour))


def take_allowance(user: User) -> None:
    """Count one email against the person's hour, or refuse it."""
    if count_up(_sent_this_hour_key(user), timeout=HOUR) > settings.EMAILS_PER_HOUR:
        raise TooManyEmails()


def request_email(
    user: User,
    company: Company,
    customer_id: str,
    kind: str,
    transaction_id: str,
    title: str,
    to: str,
    subject: str,
    message: str,
) -> DocumentEmail:
    """Write the request down and hand it to the worker (raises TooManyEmails)."""
    take_allowance(user)
    email = DocumentEmail.objects.create(
        company=company,
        customer_id=customer_id,
        kind=kind,
        transaction_id=transaction_id,
        title=title,
        to=to,
        subject=subject,
        message=message,
        sent_by=user,
        sent_by_name=user.get_username(),
    )
    send_document_email.using(priority=PRIORITY).enqueue(email.pk)
    return email


@task(queue_name=QUEUE)
def send_document_email(email_id: int) -> str:
    """Make the PDF and send it; the row says how it went (for the customer page)."""
    email = DocumentEmail.objects.select_related("company").filter(pk=email_id).first()
    if email is None or email.status != DocumentEmail.Status.QUEUED:
        return "nothing to send"
    try:
        if email.kind == "statement":
            document = printed.statement(email.company, email.customer_id)
        else:
            document = printed.document(email.company, email.kind, email.transaction_id)
    except LOOKUP_FAILURES as exc:
        return _failed(email, f"The document could not be read from QuickBooks: {problem_for(exc).summary}")
    except OSError:
        logger.exception("email %s: the PDF could not be made", email.pk)
        return _failed(email, "The PDF could not be made on this server (its PDF libraries are missing).")
    message = EmailMessage(
        subject=email.subject,
        body=email.message,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    message.attach(document.filename, document.pdf, "application/pdf")
    try:
        message.send()
    except OSError as exc:  # smtplib's errors are OSErrors: the server refused or did not answer
        logger.warning("email %s not sent: %s", email.pk, type(exc).__name__)
        return _failed(email, "The mail server did not take the email; try again in a while.")
    email.title = document.title
    email.status = DocumentEmail.Status.SENT
    email.finished_at = timezone.now()
    email.save(update_fields=["title", "status", "finished_at"])
    return "sent"


def _failed(email: DocumentEmail, why: str) -> str:
    email.status = DocumentEmail.Status.FAILED
    email.failure = why[:300]
    email.finished_at = timezone.now()
    email.save(update_fields=["status", "failure", "finished_at"])
    return "failed"


def recent(company: Company, customer_id: str, limit: int = 5) -> list[DocumentEmail]:
    """The latest documents emailed for the customer, newest first (the customer page)."""
    return list(DocumentEmail.objects.filter(company=company, customer_id=customer_id)[:limit])
