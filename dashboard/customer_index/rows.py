"""A customer record as a row of the copy: the record itself, and what finding and
listing need drawn from it."""

import re
from datetime import datetime
from typing import Any

from dashboard.conductor import records
from dashboard.conductor.records import Address, Customer
from dashboard.customer_index.compact_json import compact
from dashboard.customer_index.models import IndexedCustomer
from dashboard.models import Company

_NOT_DIGITS = re.compile(r"\D+", re.ASCII)
_SPACES = re.compile(r"\s+")


def digits_of(text: str) -> str:
    return _NOT_DIGITS.sub("", text)


def _address_text(address: Address | None) -> list[str]:
    if address is None:
        return []
    parts = (address.line1, address.line2, address.line3, address.line4, address.line5, address.city)
    return [p for p in (*parts, address.state, address.postal_code, address.country) if p]


def search_text(customer: Customer) -> str:
    """Every searchable field, lower-case, one space between: names, contacts, emails,
    account number, addresses (phone numbers are searched by their digits)."""
    fields: list[str | None] = [
        customer.full_name,
        customer.company_name,
        customer.first_name,
        customer.last_name,
        customer.contact,
        customer.alternate_contact,
        customer.email,
        customer.cc_email,
        customer.account_number,
        customer.phone,
        customer.alternate_phone,
        customer.fax,
    ]
    for contact in customer.additional_contacts:
        fields += [contact.name, contact.first_name, contact.last_name]
    fields += _address_text(customer.billing_address) + _address_text(customer.shipping_address)
    for address in customer.alternate_shipping_addresses:
        fields += _address_text(address)
    return _SPACES.sub(" ", " ".join(f for f in fields if f)).strip().casefold()


def phone_digits(customer: Customer) -> str:
    numbers = [customer.phone, customer.alternate_phone, customer.fax]
    numbers += [field.value for field in customer.custom_contact_fields]
    found = [digits_of(n) for n in numbers if n]
    return " ".join(d for d in found if len(d) >= 4)


# A row is known by its company and customer id; every other field is written with each
# record stored (the record, what a result row shows, the text searched, when it was
# seen), but when its transactions were last checked, which only a live check writes.
STORED_FIELDS = [
    field.name
    for field in IndexedCustomer._meta.concrete_fields
    if not field.primary_key and field.name not in ("company", "customer_id", "checked_at")
]


def index_fields(customer: Customer, seen_at: datetime) -> dict[str, Any]:
    """The row's values: every one of STORED_FIELDS."""
    return {
        "name": customer.name[:255],
        "full_name": customer.full_name[:1000],
        "sublevel": min(max(customer.sublevel, 0), 32000),
        "is_active": customer.is_active,
        "job_status": (customer.job_status or "")[:40],
        "company_name": (customer.company_name or "")[:255],
        "phone": (customer.phone or "")[:100],
        "email": (customer.email or "")[:1000],
        "balance": customer.balance,
        "total_balance": customer.total_balance,
        "search_text": search_text(customer),
        "phone_digits": phone_digits(customer),
        "updated_at": customer.updated_at,
        "seen_at": seen_at,
        "record": compact(dict(customer.source)) or None,
    }


def store_customers(
    company: Company, customers: list[records.Customer] | tuple[records.Customer, ...], seen_at: datetime
) -> int:
    """The customers written into the copy (added, or replacing what it held)."""
    if not customers:
        return 0
    rows = [IndexedCustomer(company=company, customer_id=c.id, **index_fields(c, seen_at)) for c in customers]
    IndexedCustomer.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["company", "customer_id"], update_fields=STORED_FIELDS
    )
    return len(rows)
