"""Decisions about how customer data reads on a page: pure functions, unit-tested.

Templates only lay out what these return (and apply Django's own filters such as
|date); anything that needs a decision (money signs, which address is the default,
card masking, which sections are empty) is made here.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Context, Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from dashboard.conductor.records import Address, Contact, CreditCard, CustomContactField, Customer, Note, Ref
from dashboard.customer_index.match_reason import MatchReason
from dashboard.listed import Listed

if TYPE_CHECKING:
    from dashboard.models import Company

MASK = "••••"

JOB_STATUS_LABELS = {
    "awarded": "Awarded",
    "closed": "Closed",
    "in_progress": "In progress",
    "none": "None",
    "not_awarded": "Not awarded",
    "pending": "Pending",
}
DELIVERY_METHOD_LABELS = {"email": "Email", "mail": "Mail", "none": "None"}
CUSTOM_FIELD_TYPE_LABELS = {
    "amount_type": "Amount",
    "date_time_type": "Date/time",
    "integer_type": "Integer",
    "percent_type": "Percent",
    "price_type": "Price",
    "quantity_type": "Quantity",
    "string_1024_type": "Text",
    "string_255_type": "Text",
}


def clean(value: str | None) -> str | None:
    """A text value worth showing, or None for null, empty and whitespace-only."""
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class Money:
    text: str  # the absolute amount, exact, with thousands separators
    is_credit: bool  # negative: the company owes the customer


def money(amount: Decimal | None) -> Money | None:
    """Exact decimal formatting: never through float, never rounding away digits.

    At least two decimals are shown ("1,000.00"); more are kept if QuickBooks sent
    them. A negative amount is shown as its absolute value flagged as a credit."""
    if amount is None:
        return None
    magnitude = amount.copy_abs()  # exact: abs() would round to the context precision
    _sign, digits, exponent = magnitude.as_tuple()
    if isinstance(exponent, int) and exponent > -2:  # records only hold finite amounts
        # A context wide enough for any amount: quantize must never round or fail.
        magnitude = magnitude.quantize(Decimal("0.01"), context=Context(prec=len(digits) + max(exponent, 0) + 3))
    return Money(text=f"{magnitude:,f}", is_credit=amount < 0)


def ref_name(ref: Ref | None) -> str | None:
    return clean(ref.full_name) if ref else None


def person_name(salutation: str | None, first: str | None, middle: str | None, last: str | None) -> str | None:
    parts = [clean(p) for p in (salutation, first, middle, last)]
    return " ".join(p for p in parts if p) or None


def address_lines(address: Address | None) -> list[str]:
    """The printable lines of an address, blanks dropped; [] when there is nothing."""
    if address is None:
        return []
    lines = [clean(line) for line in (address.line1, address.line2, address.line3, address.line4, address.line5)]
    city, state, postal = clean(address.city), clean(address.state), clean(address.postal_code)
    locality = ", ".join(p for p in (city, " ".join(p for p in (state, postal) if p)) if p)
    lines += [locality, clean(address.country)]
    return [line for line in lines if line]


@dataclass(frozen=True)
class AddressCard:
    title: str
    lines: list[str]
    note: str | None
    is_default: bool
    same_as: str | None = None  # the title of an earlier card with the very same lines
    is_billing: bool = False  # the one a call needs; the others fold away on the page


def _address_card(
    title: str, address: Address | None, is_default: bool, is_billing: bool = False
) -> AddressCard | None:
    lines = address_lines(address)
    note = clean(address.note) if address else None
    if not lines and not note:
        return None
    return AddressCard(title, lines, note, is_default, is_billing=is_billing)


def address_cards(customer: Customer) -> list[AddressCard]:
    """Billing, shipping and alternate shipping addresses that have content, the default marked.

    QuickBooks marks at most one alternate address as the default shipping address;
    when none is marked, the main shipping address is the default."""
    alternates = [
        card
        for a in customer.alternate_shipping_addresses
        if (card := _address_card(clean(a.name) or "Alternate shipping address", a, bool(a.is_default_shipping)))
    ]
    has_default_alternate = any(card.is_default for card in alternates)
    cards = [
        _address_card("Billing address", customer.billing_address, False, is_billing=True),
        _address_card("Shipping address", customer.shipping_address, not has_default_alternate),
        *alternates,
    ]
    result: list[AddressCard] = []
    for card in cards:
        if card is None:
            continue
        # An address printed twice reads as two places: say "same as billing" instead.
        earlier = next((e.title for e in result if card.lines and e.lines == card.lines and not e.same_as), None)
        result.append(replace(card, same_as=earlier) if earlier else card)
    return result


@dataclass(frozen=True)
class CardDisplay:
    number: str  # "•••• 1234", never more than four digits
    expiry: str | None
    name: str | None
    address: str | None
    postal_code: str | None


def card_display(card: CreditCard | None) -> CardDisplay | None:
    if card is None:
        return None
    fields = (card.last_four, card.expiration_month, card.expiration_year, card.name, card.address, card.postal_code)
    if all(value in (None, "") for value in fields):
        return None
    # records already reduced the number to its last four digits; cut again so this
    # function is safe on its own.
    digits = "".join(ch for ch in (card.last_four or "") if ch in "0123456789")[-4:]
    expiry = None
    if card.expiration_month and card.expiration_year:
        expiry = f"{card.expiration_month:02d}/{card.expiration_year}"
    elif card.expiration_year:
        expiry = str(card.expiration_year)
    return CardDisplay(
        number=f"{MASK} {digits}" if digits else MASK,
        expiry=expiry,
        name=clean(card.name),
        address=clean(card.address),
        postal_code=clean(card.postal_code),
    )


@dataclass(frozen=True)
class ContactCard:
    name: str
    rows: list["Row"]


def contact_cards(customer: Customer) -> list[ContactCard]:
    cards = []
    for c in customer.additional_contacts:
        heading = contact_name(c)
        full_name = person_name(c.salutation, c.first_name, c.middle_name, c.last_name)
        cards.append(
            ContactCard(
                heading,
                rows(
                    ("Full name", full_name if full_name != heading else None),
                    ("Job title", c.job_title),
                    *custom_contact_pairs(c.custom_contact_fields),
                ),
            )
        )
    return cards


# QuickBooks' contact fields are named by the person who set them up: "Main Phone",
# "Mobile", "Alt. Mobile", "Main Email", "CC Email"…
_PHONE_FIELD = re.compile(r"phone|mobile|cell|pager|tel\b|direct line|\bline\b", re.IGNORECASE)


def looks_like_a_phone_number(value: str) -> bool:
    """A number written as people write phone numbers ("555-2643", "+1 (555) 222-0101"),
    not a bare figure such as an account number."""
    digits = sum(ch.isdigit() for ch in value)
    written = value.startswith("+") or any(ch in value for ch in "-() .")
    return bool(_PHONE.fullmatch(value)) and 7 <= digits <= 15 and written


def custom_contact_pairs(fields: Sequence[CustomContactField]) -> list[tuple[str, str | None, str]]:
    """(label, value, kind) for QuickBooks' named contact fields: a phone number is a
    tel: link and an email address a mailto: link, whatever the field is called."""
    pairs = []
    for f in fields:
        label = clean(f.name) or "Custom field"
        value = clean(f.value)
        if value and _EMAIL.fullmatch(value):
            kind = "email"
        elif value and (_PHONE_FIELD.search(label) or looks_like_a_phone_number(value)):
            kind = "phone"
        else:
            kind = "text"
        pairs.append((label, value, kind))
    return pairs


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w]+", text.casefold()) if w}


def _same_text(a: str | None, b: str | None) -> bool:
    return bool(a and b) and " ".join((a or "").casefold().split()) == " ".join((b or "").casefold().split())


def same_person(a: str, b: str) -> bool:
    """Whether two ways of writing a name are one person: every word of the shorter
    is in the longer ("Felix Haddad" in "Mr. Felix J. Haddad")."""
    words_a, words_b = _words(a), _words(b)
    return bool(words_a and words_b) and (words_a <= words_b or words_b <= words_a)


def contact_name(contact: Contact) -> str:
    """QuickBooks' own name for the contact, else the person's name."""
    return (
        clean(contact.name)
        or person_name(contact.salutation, contact.first_name, contact.middle_name, contact.last_name)
        or "Unnamed contact"
    )


def humanize(value: str) -> str:
    """A value QuickBooks or Conductor added after our labels were written, readable:
    "on_hold" -> "On hold"."""
    words = value.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else value


def job_status_label(status: str | None) -> str | None:
    return (JOB_STATUS_LABELS.get(status) or humanize(status)) if status else None


def delivery_method_label(method: str | None) -> str | None:
    return (DELIVERY_METHOD_LABELS.get(method) or humanize(method)) if method else None


def custom_field_type_label(field_type: str | None) -> str | None:
    return (CUSTOM_FIELD_TYPE_LABELS.get(field_type) or humanize(field_type)) if field_type else None


@dataclass(frozen=True)
class Badge:
    label: str
    css: str  # the badge's style: active, inactive, unreadable


def active_badge(is_active: bool | None) -> Badge:
    if is_active is None:
        return Badge("Status unreadable", "unreadable")
    return Badge("Active", "active") if is_active else Badge("Inactive", "inactive")


@dataclass(frozen=True)
class CustomFieldRow:
    name: str
    value: str
    type_label: str
    owner: str  # "Visible in QuickBooks", or the id of the application that owns it
    owner_is_id: bool


def custom_field_rows(customer: Customer) -> list[CustomFieldRow]:
    """The custom fields that hold something; ownerId "0" marks those QuickBooks shows."""
    result = []
    for f in customer.custom_fields:
        name, value = clean(f.name), clean(f.value)
        if not name and not value:
            continue
        owner = clean(f.owner_id) or ""
        result.append(
            CustomFieldRow(
                name=name or "—",
                value=value or "",
                type_label=custom_field_type_label(f.type) or "",
                owner="Visible in QuickBooks" if owner == "0" else owner,
                owner_is_id=owner not in ("", "0"),
            )
        )
    return result


_FIELD_LABELS = {
    "createdAt": "Created",
    "updatedAt": "Updated",
    "revisionNumber": "Revision",
    "isActive": "Status",
    "sublevel": "Level",
    "balance": "Balance",
    "totalBalance": "Total balance",
    "creditLimit": "Credit limit",
}


def _field_label(path: str) -> str:
    """ "billingAddress.postalCode" -> "Billing address: postal code"."""
    if path in _FIELD_LABELS:
        return _FIELD_LABELS[path]
    parts = [re.sub(r"(?<!^)(?=[A-Z])", " ", part).lower() for part in path.split(".")]
    return ": ".join(parts)[:1].upper() + ": ".join(parts)[1:]


def unreadable_fields(customer: Customer) -> list[str]:
    """The fields QuickBooks sent in a form we cannot read, named for people."""
    return [_field_label(path) for path in customer.unreadable]


UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Unreadable:
    """Stands for a field that arrived but could not be read; shown as the word "unreadable"."""


def _or_unreadable(customer: Customer, value: object, field: str) -> object:
    """The value, or Unreadable where the field arrived in a form we cannot read."""
    return Unreadable() if value is None and field in customer.unreadable else value


_EMAIL = re.compile(r"[^\s@<>\"'():;,\\]+@[^\s@<>\"'():;,\\]+\.[A-Za-z]{2,}", re.ASCII)
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-]{2,30}", re.ASCII)


def link_kind(kind: str, value: str) -> str:
    """Only values that really are an address or a number become mailto:/tel: links;
    anything else (markup, javascript:, prose) stays plain, escaped text."""
    if kind == "email" and _EMAIL.fullmatch(value):
        return "email"
    if kind == "phone" and _PHONE.fullmatch(value):
        return "phone"
    return "text" if kind in ("email", "phone") else kind


@dataclass(frozen=True)
class Row:
    """One label/value line of a section; a Row with no value is never built."""

    label: str
    value: object
    kind: str = "text"  # text | email | phone | date | money | unreadable


def rows(*pairs: tuple) -> list[Row]:
    """Rows for the (label, value[, kind]) pairs that have a value, in order."""
    result = []
    for label, value, *kind in pairs:
        if isinstance(value, str):
            value = clean(value)
        if value is None or value == [] or value == ():
            continue
        if isinstance(value, Unreadable):
            result.append(Row(label, UNREADABLE, "unreadable"))
            continue
        row_kind = kind[0] if kind else "text"
        if row_kind == "money" and not isinstance(value, Money):
            row_kind = "text"  # "No limit": words where an amount would be
        if isinstance(value, str):
            row_kind = link_kind(row_kind, value)
        result.append(Row(label, value, row_kind))
    return result


def customer_sections(customer: Customer) -> dict[str, list[Row]]:
    """The label/value sections of the customer page; empty ones stay empty (hidden).
    A field that arrived unreadable shows as "unreadable" instead of vanishing.

    What the page's header says (the contact, phone, email, terms and card number; see
    customer_header) is left out here: a person on a call reads each fact once."""
    c = customer
    header = customer_header(c)

    def u(value: object, field: str) -> object:
        return _or_unreadable(c, value, field)

    # The header names the contact person (see _contact_person); a name here is another.
    def not_the_header_contact(person: str | None) -> str | None:
        return None if person and header.contact and same_person(person, header.contact) else person

    name = not_the_header_contact(person_name(c.salutation, c.first_name, c.middle_name, c.last_name))
    contact = not_the_header_contact(clean(c.contact))
    company_name = clean(c.company_name)
    card = card_display(c.credit_card)
    credit_limit = money(c.credit_limit)
    # "none" is what QuickBooks says of every customer without job details; a job's own
    # status is a badge in the header.
    own_job_status = job_status_label(c.job_status) if not c.is_job and c.job_status != "none" else None
    return {
        "identity": rows(
            # The company name is worth a line only when it is not the customer's own name.
            ("Company", u(None if _same_text(company_name, c.name) else company_name, "companyName")),
            ("Customer type", u(ref_name(c.customer_type), "customerType")),
            ("Class", u(ref_name(c.class_ref), "class")),
            ("Account number", u(c.account_number, "accountNumber")),
        ),
        "contact": rows(
            ("Name", name),
            ("Job title", u(c.job_title, "jobTitle")),
            ("Phone", None if header.phone else u(c.phone, "phone"), "phone"),
            ("Alternate phone", u(c.alternate_phone, "alternatePhone"), "phone"),
            ("Fax", u(c.fax, "fax")),
            ("Email", None if header.email else u(c.email, "email"), "email"),
            ("CC email", u(c.cc_email, "ccEmail"), "email"),
            ("Contact", u(contact, "contact")),
            ("Alternate contact", u(c.alternate_contact, "alternateContact")),
            *custom_contact_pairs(c.custom_contact_fields),
        ),
        "terms": rows(
            ("Terms", None if header.terms else u(ref_name(c.terms), "terms")),
            ("Credit limit", credit_limit or u(None, "creditLimit") or "No limit", "money"),
            ("Currency", u(ref_name(c.currency), "currency")),
            ("Sales rep", u(ref_name(c.sales_representative), "salesRepresentative")),
            ("Price level", u(ref_name(c.price_level), "priceLevel")),
            ("Preferred payment", u(ref_name(c.preferred_payment_method), "preferredPaymentMethod")),
            ("Preferred delivery", u(delivery_method_label(c.preferred_delivery_method), "preferredDeliveryMethod")),
            # The card's number and expiry are in the header; the rest is for a payment.
            ("Name on card", card.name if card else None),
            ("Card billing address", card.address if card else None),
            ("Card postal code", card.postal_code if card else None),
        ),
        "sales_tax": rows(
            ("Tax code", u(ref_name(c.sales_tax_code), "salesTaxCode")),
            ("Tax item", u(ref_name(c.sales_tax_item), "salesTaxItem")),
            ("Tax country", u((clean(c.sales_tax_country) or "").upper() or None, "salesTaxCountry")),
            ("Resale number", u(c.resale_number, "resaleNumber")),
            ("Tax registration number", u(c.tax_registration_number, "taxRegistrationNumber")),
        ),
        "job": rows(
            ("Job status", u(own_job_status, "jobStatus")),
            ("Job type", u(ref_name(c.job_type), "jobType")),
            ("Start date", u(c.job_start_date, "jobStartDate"), "date"),
            ("Projected end", u(c.job_projected_end_date, "jobProjectedEndDate"), "date"),
            ("End date", u(c.job_end_date, "jobEndDate"), "date"),
            ("Description", u(c.job_description, "jobDescription")),
        ),
    }


@dataclass(frozen=True)
class CallNotes:
    """What support has written about the customer, for the top of the page: the record's
    own note first (it is the standing one), then the dated notes, newest first; only
    the latest few are open, the rest fold away (and print)."""

    standing: str | None
    latest: list[Note]
    earlier: list[Note]

    def __bool__(self) -> bool:
        return bool(self.standing or self.latest)


NOTES_SHOWN = 3


def call_notes(customer: Customer) -> CallNotes:
    dated = sorted(
        (n for n in customer.additional_notes if clean(n.note)),
        key=lambda n: n.date or date.min,
        reverse=True,
    )
    return CallNotes(clean(customer.note), dated[:NOTES_SHOWN], dated[NOTES_SHOWN:])


@dataclass(frozen=True)
class Timestamp:
    """A moment as the deployment's clock reads it, and as QuickBooks' own clock read it
    when that clock is in another zone (createdAt/updatedAt carry the company file's offset)."""

    local: datetime  # in the deployment's TIME_ZONE; templates print its zone
    source_clock: str | None  # "Nov 20, 08:44 UTC−05:00", or None when the clocks agree


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    source_clock = None
    offset = value.utcoffset()
    if offset is not None and offset != local.utcoffset():
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "−"
        hours, rest = divmod(abs(minutes), 60)
        source_clock = f"{value:%b} {value.day}, {value:%H:%M} UTC{sign}{hours:02d}:{rest:02d}"
    return Timestamp(local, source_clock)


@dataclass(frozen=True)
class Figure:
    """A money figure of the balances section: an amount, or "unreadable"."""

    amount: Money | None
    unreadable: bool


def figure(customer: Customer, amount: Decimal | None, field: str) -> Figure:
    return Figure(money(amount), amount is None and field in customer.unreadable)


@dataclass(frozen=True)
class ResultRow:
    """One customer in a results table or a jobs list."""

    id: str
    name: str
    full_name: str
    depth: int  # indentation under the row above it; 0 at the left
    parent_path: str | None  # a job's parents, shown when they are not the rows above it
    company_name: str | None  # only when it is not the customer's own name
    phone: str | None
    phone_kind: str  # phone (a tel: link) | text
    email: str | None
    email_kind: str  # email (a mailto: link) | text
    balance: Money | None
    total_balance: Money | None
    status: Badge | None  # only what is not the usual ("Active" is)
    job_status: str | None
    by_spelling: bool = False  # found only as a spelling (typo) match
    reason: MatchReason | None = None  # what matched, when not the name
    company: "Company | None" = None  # its company, in a table that mixes companies


def result_rows(
    customers: Iterable[Listed], within: str | None = None, within_company: str | None = None
) -> list[ResultRow]:
    """Rows in the order given. A job is indented under its parent only when the parent is
    the row chain just above it (or `within`, the customer whose jobs these are, whose
    company name is `within_company`); otherwise it sits at the left with its parent
    path, never as an orphan indent (a job of an inactive customer in a list of active
    ones)."""
    result = []
    chain: list[tuple[str, str | None]] = []  # (full name, company name) of the rows this one may sit under
    for customer in customers:
        parent = customer.full_name.rpartition(":")[0]
        while chain and chain[-1][0] != parent:
            chain.pop()
        under_row_above = bool(chain) or (within is not None and parent == within)
        row = result_row(
            customer,
            depth=len(chain),
            parent_path=None if under_row_above or not parent else parent,
            parent_company=chain[-1][1] if chain else clean(within_company) if under_row_above else None,
        )
        result.append(row)
        chain.append((customer.full_name, clean(customer.company_name)))
    return result


def result_row(
    customer: Listed, depth: int = 0, parent_path: str | None = None, parent_company: str | None = None
) -> ResultRow:
    phone, email = clean(customer.phone), clean(customer.email)
    company_name, top_level = clean(customer.company_name), customer.full_name.split(":", 1)[0]
    job_status = customer.job_status if customer.job_status != "none" else None
    status = active_badge(customer.is_active)
    return ResultRow(
        id=customer.id,
        name=customer.name,
        full_name=customer.full_name,
        depth=min(depth, 5),
        parent_path=parent_path,
        # A customer's company name is mostly its own name, a job's its customer's or
        # that of the row it sits under: shown only when it says something new.
        company_name=None
        if any(_same_text(company_name, n) for n in (customer.name, top_level, parent_company))
        else company_name,
        phone=phone,
        phone_kind=link_kind("phone", phone) if phone else "text",
        email=email,
        email_kind=link_kind("email", email) if email else "text",
        balance=money(customer.balance),
        total_balance=money(customer.total_balance),
        status=None if status.css == "active" else status,
        job_status=job_status_label(job_status),
        # Only found in the index: a search's hits say how they matched.
        by_spelling=bool(getattr(customer, "typo", False)),
        reason=getattr(customer, "reason", None),
    )


@dataclass(frozen=True)
class CustomerHeader:
    """The strip at the top of the customer page, for a person on the phone."""

    contact: str | None
    phone: Row | None
    email: Row | None
    terms: str | None
    status: Badge  # "Customer: Active", "Job: Closed": a pill says what it is a status of
    job_status: Badge | None
    parent_path: str | None = None  # a job's parents ("Acme:Warehouse"), under its name


def _contact_person(customer: Customer) -> str | None:
    """Whom to ask for: QuickBooks' contact, else the customer's own name. The two are
    often one person written twice ("Mr. Felix J. Haddad", "Felix Haddad"): the fuller."""
    contact = clean(customer.contact)
    name = person_name(customer.salutation, customer.first_name, customer.middle_name, customer.last_name)
    if name and contact and same_person(name, contact):
        return max(contact, name, key=lambda n: len(_words(n)))
    return contact or name


def customer_header(customer: Customer) -> CustomerHeader:
    contact = _contact_person(customer)
    phone = rows(("Phone", customer.phone, "phone"))
    email = rows(("Email", customer.email, "email"))
    active = active_badge(customer.is_active)
    job_status = job_status_label(customer.job_status) if customer.job_status != "none" else None
    # A customer's pill is its record's status; a job has two, each saying whose it is.
    owner = "Record" if customer.is_job else "Customer"
    return CustomerHeader(
        contact=contact,
        phone=phone[0] if phone else None,
        email=email[0] if email else None,
        terms=ref_name(customer.terms),
        status=Badge(f"{owner}: {active.label}", active.css),
        job_status=Badge(f"Job: {job_status}", "job-status") if job_status and customer.is_job else None,
        parent_path=customer.full_name.rpartition(":")[0] or None if customer.is_job else None,
    )
