"""Decisions about how customer data reads on a page: pure functions, unit-tested.

Templates only lay out what these return (and apply Django's own filters such as
|date); anything that needs a decision (money signs, which address is the default,
card masking, which sections are empty) is made here.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal

from dashboard.records import Address, Contact, CreditCard, Customer, Ref

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
    is_zero: bool


def money(amount: Decimal | None) -> Money | None:
    """Exact decimal formatting: never through float, never rounding away digits.

    At least two decimals are shown ("1,000.00"); more are kept if QuickBooks sent
    them. A negative amount is shown as its absolute value flagged as a credit."""
    if amount is None:
        return None
    magnitude = amount.copy_abs()  # exact: abs() would round to the context precision
    if magnitude.as_tuple().exponent > -2:
        # A context wide enough for any amount: quantize must never round or fail.
        sign, digits, exponent = magnitude.as_tuple()
        magnitude = magnitude.quantize(Decimal("0.01"), context=Context(prec=len(digits) + max(exponent, 0) + 3))
    return Money(text=f"{magnitude:,f}", is_credit=amount < 0, is_zero=amount == 0)


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


def _address_card(title: str, address: Address | None, is_default: bool) -> AddressCard | None:
    lines = address_lines(address)
    note = clean(address.note) if address else None
    if not lines and not note:
        return None
    return AddressCard(title, lines, note, is_default)


def address_cards(customer: Customer) -> list[AddressCard]:
    """Billing, shipping and alternate shipping addresses that have content, the default marked.

    QuickBooks marks at most one alternate address as the default shipping address;
    when none is marked, the main shipping address is the default."""
    alternates = [
        _address_card(clean(a.name) or "Alternate shipping address", a, bool(a.is_default_shipping))
        for a in customer.alternate_shipping_addresses
    ]
    alternates = [card for card in alternates if card]
    has_default_alternate = any(card.is_default for card in alternates)
    cards = [
        _address_card("Billing address", customer.billing_address, False),
        _address_card("Shipping address", customer.shipping_address, not has_default_alternate),
        *alternates,
    ]
    return [card for card in cards if card]


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
    contact_id: str


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
                    *[(clean(f.name) or "Custom field", f.value) for f in c.custom_contact_fields],
                ),
                c.id,
            )
        )
    return cards


def contact_name(contact: Contact) -> str:
    """QuickBooks' own name for the contact, else the person's name."""
    return (
        clean(contact.name)
        or person_name(contact.salutation, contact.first_name, contact.middle_name, contact.last_name)
        or "Unnamed contact"
    )


def job_status_label(status: str | None) -> str | None:
    return JOB_STATUS_LABELS.get(status) if status else None


def delivery_method_label(method: str | None) -> str | None:
    return DELIVERY_METHOD_LABELS.get(method) if method else None


def custom_field_type_label(field_type: str | None) -> str | None:
    return CUSTOM_FIELD_TYPE_LABELS.get(field_type, field_type) if field_type else None


def is_past(day: date | None, today: date) -> bool:
    return day is not None and day < today


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
    kind: str = "text"  # text | email | phone | date


def rows(*pairs: tuple) -> list[Row]:
    """Rows for the (label, value[, kind]) pairs that have a value, in order."""
    result = []
    for label, value, *kind in pairs:
        if isinstance(value, str):
            value = clean(value)
        if value is None or value == [] or value == ():
            continue
        row_kind = kind[0] if kind else "text"
        if isinstance(value, str):
            row_kind = link_kind(row_kind, value)
        result.append(Row(label, value, row_kind))
    return result


def customer_sections(customer: Customer) -> dict[str, list[Row]]:
    """The label/value sections of the customer page; empty ones stay empty (hidden)."""
    c = customer
    return {
        "identity": rows(
            ("Company", c.company_name),
            ("Customer type", ref_name(c.customer_type)),
            ("Class", ref_name(c.class_ref)),
            ("Account number", c.account_number),
        ),
        "contact": rows(
            ("Name", person_name(c.salutation, c.first_name, c.middle_name, c.last_name)),
            ("Job title", c.job_title),
            ("Phone", c.phone, "phone"),
            ("Alternate phone", c.alternate_phone, "phone"),
            ("Fax", c.fax),
            ("Email", c.email, "email"),
            ("CC email", c.cc_email, "email"),
            ("Contact", c.contact),
            ("Alternate contact", c.alternate_contact),
            *[(clean(f.name) or "Custom field", f.value) for f in c.custom_contact_fields],
        ),
        "terms": rows(
            ("Terms", ref_name(c.terms)),
            ("Sales rep", ref_name(c.sales_representative)),
            ("Price level", ref_name(c.price_level)),
            ("Preferred payment", ref_name(c.preferred_payment_method)),
            ("Preferred delivery", delivery_method_label(c.preferred_delivery_method)),
        ),
        "sales_tax": rows(
            ("Tax code", ref_name(c.sales_tax_code)),
            ("Tax item", ref_name(c.sales_tax_item)),
            ("Tax country", c.sales_tax_country.upper() if clean(c.sales_tax_country) else None),
            ("Resale number", c.resale_number),
            ("Tax registration number", c.tax_registration_number),
        ),
        "job": rows(
            ("Job status", job_status_label(c.job_status)),
            ("Job type", ref_name(c.job_type)),
            ("Start date", c.job_start_date, "date"),
            ("Projected end", c.job_projected_end_date, "date"),
            ("End date", c.job_end_date, "date"),
            ("Description", c.job_description),
        ),
    }


@dataclass(frozen=True)
class ResultRow:
    """One customer in a results table or a jobs list."""

    id: str
    name: str
    full_name: str
    depth: int  # 0 for a customer, 1+ for jobs: shown as indentation
    company_name: str | None
    phone: str | None
    email: str | None
    balance: Money | None
    total_balance: Money | None
    is_active: bool
    job_status: str | None


def result_row(customer: Customer) -> ResultRow:
    return ResultRow(
        id=customer.id,
        name=customer.name,
        full_name=customer.full_name,
        depth=min(max(customer.sublevel, 0), 5),
        company_name=clean(customer.company_name),
        phone=clean(customer.phone),
        email=clean(customer.email),
        balance=money(customer.balance),
        total_balance=money(customer.total_balance),
        is_active=customer.is_active,
        job_status=job_status_label(customer.job_status),
    )
