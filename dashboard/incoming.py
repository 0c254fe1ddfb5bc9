"""Who is calling: the number a phone system sends when a call comes in (a "screen pop"),
or the address a chat or an email comes from, found among the customers of the local
copies. Never a call to QuickBooks: the phone is ringing."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import EmailValidator

from dashboard import account
from dashboard.customer_index import local_copy
from dashboard.customer_index import search as customer_index
from dashboard.lookups.search import index_in_step
from dashboard.models import Company
from dashboard.search_criteria import Status

# Shorter than this, a number is an extension or a mistake: it would match half the book.
MIN_NUMBER_DIGITS = 4
MAX_INPUT = 100


class NotACaller(ValueError):
    """What the phone system sent is not a number or an address; the message says so."""


@dataclass(frozen=True)
class Caller:
    shown: str  # "+1 555-301-4525", or the address: as the page and the audit trail say it
    phone_digits: str = ""  # the national number's digits, which a stored number contains
    email: str = ""


def default_region() -> str:
    region = str(settings.PHONE_REGION).upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ImproperlyConfigured(f"PHONE_REGION {settings.PHONE_REGION!r} is not a region code such as US or GB.")
    return region


def caller(number: str = "", email: str = "") -> Caller:
    """The caller a phone system or a helpdesk names: a number in any form ("+15553014525",
    "(555) 301-4525", "555.301.4525 x12", "+44 20 7946 0958"), read in PHONE_REGION
    unless it says its country, or an email address."""
    number, email = number.strip()[:MAX_INPUT], email.strip()[:MAX_INPUT]
    if number:
        try:
            parsed = phonenumbers.parse(number, default_region())
        except phonenumbers.NumberParseException:
            raise NotACaller(f"“{number}” is not a phone number.") from None
        national = str(parsed.national_number)
        if len(national) < MIN_NUMBER_DIGITS:
            raise NotACaller(f"“{number}” is too short to be a caller’s phone number.")
        if not phonenumbers.is_possible_number(parsed):
            # Not a number of the default region ("020 7946 0958" read as American): its
            # digits still find "+44 20 7946 0958"; it is shown as sent, not misread.
            return Caller(shown=number, phone_digits=national)
        parsed.extension = None  # the desk it rang, not the caller
        shown = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return Caller(shown=shown, phone_digits=national)
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            raise NotACaller(f"“{email}” is not an email address.") from None
        return Caller(shown=email, email=email)
    raise NotACaller("No caller was named: the address needs ?number= (a phone number) or ?email=.")


@dataclass(frozen=True)
class Match:
    hit: customer_index.Hit
    overdue: Decimal | None  # None: the copy does not hold the company's transactions yet


@dataclass(frozen=True)
class CallerFound:
    matches: list[Match]
    not_searched: list[Company]  # no local copy yet: a caller of theirs cannot be found


def find(companies: list[Company], who: Caller, today: date, limit: int = customer_index.MAX_CANDIDATES) -> CallerFound:
    """The caller among the customers of `companies` (those the person may see)."""
    return _found(
        companies,
        lambda searched: customer_index.by_contact(searched, phone_digits=who.phone_digits, email=who.email),
        today,
        limit,
    )


def find_by_name(companies: list[Company], text: str, today: date, limit: int) -> CallerFound:
    """Customers of `companies` by name, as the home search finds them (typos marked)."""
    return _found(
        companies,
        lambda searched: customer_index.search(searched, text, status=Status.ALL, limit=limit, explain=False).hits,
        today,
        limit,
    )


def _found(
    companies: list[Company], search: Callable[[list[Company]], list[customer_index.Hit]], today: date, limit: int
) -> CallerFound:
    """What `search` finds in the companies whose local copy is ready (the others said),
    the overdue amount worked out for the first `limit` only."""
    ready = index_in_step(companies)
    searched = [company for company in companies if company.pk in ready]
    hits = search(searched)[:limit] if searched else []
    return CallerFound(
        [Match(hit, overdue(hit, today)) for hit in hits],
        [company for company in companies if company.pk not in ready],
    )


def overdue(hit: customer_index.Hit, today: date) -> Decimal | None:
    """What the customer and its jobs owe past due, from the copy."""
    if local_copy.transactions_ready(hit.company) is None:
        return None
    ids = local_copy.ids_with_jobs(hit.company, hit.id, hit.full_name)
    held = local_copy.account(hit.company, ids, payments_from=today)
    return account.left_to_pay(account.overdue(held.open_invoices, today))
