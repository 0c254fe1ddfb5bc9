"""Conductor JSON in, small frozen records out.

This is the boundary where upstream data stops being a dict of anything. The shapes
follow the contract in shared/conductor/openapi-subset.json:
- a tolerant reader: only a record without its id or names, or a body that is not the
  object at all, raises MalformedRecord (naming the field, never its value, since
  values may be personal data or card numbers); any other field of the wrong type reads
  as None and is listed in the record's `unreadable`, so the page shows the rest;
- a missing nullable key reads as null, unknown keys are ignored, and an enum value
  the contract does not list is kept as it came, so a newer Conductor does not break
  the page;
- money stays exact (Decimal), dates become date/datetime objects;
- a credit card number is reduced to its last four digits here, so the full number
  never travels further than this module, whatever Conductor sends.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# MalformedRecord is what every parser here raises; callers import it from this module.
from dashboard.conductor.record_fields import Fields, MalformedRecord
from dashboard.identifiers import is_valid_conductor_id

# The values the contract lists today; others are kept and shown humanised.
JOB_STATUSES = ("awarded", "closed", "in_progress", "none", "not_awarded", "pending")
DELIVERY_METHODS = ("email", "mail", "none")


@dataclass(frozen=True)
class Ref:
    """A reference to another QuickBooks object: {id, fullName}."""

    id: str | None
    full_name: str | None


@dataclass(frozen=True)
class Address:
    line1: str | None
    line2: str | None
    line3: str | None
    line4: str | None
    line5: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    note: str | None
    # Only alternate shipping addresses carry these two.
    name: str | None = None
    is_default_shipping: bool | None = None


@dataclass(frozen=True)
class CreditCard:
    last_four: str | None  # at most four digits; the rest of the number is dropped
    expiration_month: int | None
    expiration_year: int | None
    name: str | None
    address: str | None
    postal_code: str | None


@dataclass(frozen=True)
class CustomContactField:
    name: str | None
    value: str | None


@dataclass(frozen=True)
class Contact:
    id: str
    created_at: datetime | None
    updated_at: datetime | None
    revision_number: str | None
    name: str | None
    salutation: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    job_title: str | None
    custom_contact_fields: tuple[CustomContactField, ...]


@dataclass(frozen=True)
class Note:
    id: int | None
    date: date | None
    note: str | None


@dataclass(frozen=True)
class CustomField:
    owner_id: str | None
    name: str | None
    type: str | None
    value: str | None


class SourceNotPickled:
    """A record that keeps `source` (QuickBooks' JSON, for the local copy) leaves it out
    when pickled: the cache holds parsed records only, and the copy takes `source`
    straight from a fresh answer."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "source": {}}


@dataclass(frozen=True)
class Customer(SourceNotPickled):
    id: str
    created_at: datetime | None
    updated_at: datetime | None
    revision_number: str | None
    name: str
    full_name: str
    is_active: bool | None  # None only when QuickBooks sent something unreadable
    sublevel: int
    class_ref: Ref | None
    parent: Ref | None
    company_name: str | None
    salutation: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    job_title: str | None
    billing_address: Address | None
    shipping_address: Address | None
    alternate_shipping_addresses: tuple[Address, ...]
    phone: str | None
    alternate_phone: str | None
    fax: str | None
    email: str | None
    cc_email: str | None
    contact: str | None
    alternate_contact: str | None
    custom_contact_fields: tuple[CustomContactField, ...]
    additional_contacts: tuple[Contact, ...]
    customer_type: Ref | None
    terms: Ref | None
    sales_representative: Ref | None
    balance: Decimal | None
    total_balance: Decimal | None
    sales_tax_code: Ref | None
    sales_tax_item: Ref | None
    sales_tax_country: str | None
    resale_number: str | None
    account_number: str | None
    credit_limit: Decimal | None
    preferred_payment_method: Ref | None
    credit_card: CreditCard | None
    job_status: str | None
    job_start_date: date | None
    job_projected_end_date: date | None
    job_end_date: date | None
    job_description: str | None
    job_type: Ref | None
    note: str | None
    additional_notes: tuple[Note, ...]
    preferred_delivery_method: str | None
    price_level: Ref | None
    external_id: str | None
    tax_registration_number: str | None
    currency: Ref | None
    custom_fields: tuple[CustomField, ...]
    # Paths of the fields that arrived unreadable ("balance", "billingAddress.city").
    unreadable: tuple[str, ...] = ()
    request_id: str | None = None  # Conductor's id for the call that fetched it
    # QuickBooks' JSON as received, the card number already cut to its last four digits:
    # what the local copy stores, and parses again with this same parser when it reads.
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_job(self) -> bool:
        return self.sublevel > 0


@dataclass(frozen=True)
class CustomerPage:
    """One answer of the customer list endpoint."""

    customers: tuple[Customer, ...]
    next_cursor: str | None
    remaining_count: int | None
    has_more: bool
    request_id: str | None = None


@dataclass(frozen=True)
class DeletedCustomer:
    """A customer or job QuickBooks deleted (deleted-list-objects)."""

    id: str
    full_name: str | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class DeletedTransaction:
    """A transaction QuickBooks deleted (deleted-transactions)."""

    id: str
    transaction_type: str | None
    deleted_at: datetime | None


@dataclass(frozen=True)
class IntegrationConnection:
    id: str
    integration_slug: str | None
    created_at: datetime | None
    last_request_at: datetime | None
    last_successful_request_at: datetime | None


@dataclass(frozen=True)
class EndUser:
    id: str
    company_name: str
    source_id: str
    email: str
    created_at: datetime | None
    integration_connections: tuple[IntegrationConnection, ...]

    @property
    def last_successful_qbd_request_at(self) -> datetime | None:
        """When QuickBooks Desktop last answered through Conductor (None: never)."""
        return max(
            (
                c.last_successful_request_at
                for c in self.integration_connections
                if c.last_successful_request_at and c.integration_slug in (None, "quickbooks_desktop")
            ),
            default=None,
        )


@dataclass(frozen=True)
class AuthSession:
    """A setup link for the person at the QuickBooks computer."""

    id: str
    end_user_id: str
    auth_flow_url: str
    expires_at: datetime | None
    created_at: datetime | None


@dataclass(frozen=True)
class HealthCheck:
    duration_ms: float
    status: str


def last_four_digits(number: str | None) -> str | None:
    """The last (up to) four digits of whatever arrived as a card number."""
    if not number:
        return None
    digits = [ch for ch in number if ch in "0123456789"]
    return "".join(digits[-4:]) or None


def without_card_number(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """`data` with its card number at `path` (object keys down to the number) cut to its
    last four digits: JSON that may be kept, since it holds no more of a card than a page
    shows. Only the objects along the path are copied; the rest is shared with `data`,
    which nothing changes after parsing."""
    kept = dict(data)
    holder: dict[str, Any] = kept
    for key in path[:-1]:
        inner = holder.get(key)
        if not isinstance(inner, dict):
            return kept
        holder[key] = holder = dict(inner)
    if path[-1] in holder:
        number = holder[path[-1]]
        holder[path[-1]] = last_four_digits(number) if isinstance(number, str) else None
    return kept


def read_ref(fields: Fields, key: str) -> Ref | None:
    ref = fields.obj(key)
    if ref is None:
        return None
    return Ref(id=ref.text("id"), full_name=ref.text("fullName"))


def read_address(fields: Fields | None) -> Address | None:
    return None if fields is None else _address_of(fields)


def _address_of(fields: Fields) -> Address:
    return Address(
        line1=fields.text("line1"),
        line2=fields.text("line2"),
        line3=fields.text("line3"),
        line4=fields.text("line4"),
        line5=fields.text("line5"),
        city=fields.text("city"),
        state=fields.text("state"),
        postal_code=fields.text("postalCode"),
        country=fields.text("country"),
        note=fields.text("note"),
        name=fields.text("name"),
        is_default_shipping=fields.flag("isDefaultShippingAddress"),
    )


def _credit_card(fields: Fields | None) -> CreditCard | None:
    if fields is None:
        return None
    return CreditCard(
        last_four=last_four_digits(fields.text("number")),
        expiration_month=fields.whole("expirationMonth"),
        expiration_year=fields.whole("expirationYear"),
        name=fields.text("name"),
        address=fields.text("address"),
        postal_code=fields.text("postalCode"),
    )


def _custom_contact_fields(fields: Fields) -> tuple[CustomContactField, ...]:
    return tuple(
        CustomContactField(name=item.text("name"), value=item.text("value"))
        for item in fields.objects("customContactFields")
    )


def each_readable[T](fields: Fields, key: str, parse: Callable[[Fields], T]) -> tuple[T, ...]:
    """Every readable item of a list; an item that cannot be read is noted and left out."""
    parsed = []
    for item in fields.objects(key):
        try:
            parsed.append(parse(item))
        except MalformedRecord:
            item.note_unreadable(item.path.partition(".")[2], "a complete item")
    return tuple(parsed)


def _contact(fields: Fields) -> Contact:
    return Contact(
        id=fields.text("id", required=True),
        created_at=fields.timestamp("createdAt"),
        updated_at=fields.timestamp("updatedAt"),
        revision_number=fields.text("revisionNumber"),
        name=fields.text("name"),
        salutation=fields.text("salutation"),
        first_name=fields.text("firstName"),
        middle_name=fields.text("middleName"),
        last_name=fields.text("lastName"),
        job_title=fields.text("jobTitle"),
        custom_contact_fields=_custom_contact_fields(fields),
    )


def parse_customer(data: Any) -> Customer:
    """A qbd_customer object as a Customer; MalformedRecord if it is not one."""
    f = Fields(data, "customer")
    object_type = f.data.get("objectType")
    if object_type is not None and object_type != "qbd_customer":
        raise MalformedRecord("customer.objectType is not qbd_customer")
    full_name = f.text("fullName", required=True)
    sublevel = f.whole("sublevel")
    return Customer(
        id=f.text("id", required=True),
        created_at=f.timestamp("createdAt"),
        updated_at=f.timestamp("updatedAt"),
        revision_number=f.text("revisionNumber"),
        name=f.text("name", required=True),
        full_name=full_name,
        is_active=f.flag("isActive"),
        # A job's level is also its number of ancestors in the full name.
        sublevel=sublevel if sublevel is not None else full_name.count(":"),
        class_ref=read_ref(f, "class"),
        parent=read_ref(f, "parent"),
        company_name=f.text("companyName"),
        salutation=f.text("salutation"),
        first_name=f.text("firstName"),
        middle_name=f.text("middleName"),
        last_name=f.text("lastName"),
        job_title=f.text("jobTitle"),
        billing_address=read_address(f.obj("billingAddress")),
        shipping_address=read_address(f.obj("shippingAddress")),
        alternate_shipping_addresses=tuple(_address_of(item) for item in f.objects("alternateShippingAddresses")),
        phone=f.text("phone"),
        alternate_phone=f.text("alternatePhone"),
        fax=f.text("fax"),
        email=f.text("email"),
        cc_email=f.text("ccEmail"),
        contact=f.text("contact"),
        alternate_contact=f.text("alternateContact"),
        custom_contact_fields=_custom_contact_fields(f),
        additional_contacts=each_readable(f, "additionalContacts", _contact),
        customer_type=read_ref(f, "customerType"),
        terms=read_ref(f, "terms"),
        sales_representative=read_ref(f, "salesRepresentative"),
        balance=f.money("balance"),
        total_balance=f.money("totalBalance"),
        sales_tax_code=read_ref(f, "salesTaxCode"),
        sales_tax_item=read_ref(f, "salesTaxItem"),
        sales_tax_country=f.text("salesTaxCountry"),
        resale_number=f.text("resaleNumber"),
        account_number=f.text("accountNumber"),
        credit_limit=f.money("creditLimit"),
        preferred_payment_method=read_ref(f, "preferredPaymentMethod"),
        credit_card=_credit_card(f.obj("creditCard")),
        job_status=f.enum("jobStatus", JOB_STATUSES),
        job_start_date=f.day("jobStartDate"),
        job_projected_end_date=f.day("jobProjectedEndDate"),
        job_end_date=f.day("jobEndDate"),
        job_description=f.text("jobDescription"),
        job_type=read_ref(f, "jobType"),
        note=f.text("note"),
        additional_notes=tuple(
            Note(id=item.whole("id"), date=item.day("date"), note=item.text("note"))
            for item in f.objects("additionalNotes")
        ),
        preferred_delivery_method=f.enum("preferredDeliveryMethod", DELIVERY_METHODS),
        price_level=read_ref(f, "priceLevel"),
        external_id=f.text("externalId"),
        tax_registration_number=f.text("taxRegistrationNumber"),
        currency=read_ref(f, "currency"),
        custom_fields=tuple(
            CustomField(
                owner_id=item.text("ownerId"),
                name=item.text("name"),
                type=item.text("type"),
                value=item.text("value"),
            )
            for item in f.objects("customFields")
        ),
        unreadable=tuple(f.unreadable),
        source=without_card_number(f.data, "creditCard", "number"),
    )


def parse_customer_page(data: Any) -> CustomerPage:
    f = Fields(data, "list")
    if not isinstance(f.data.get("data"), list):
        raise MalformedRecord("list.data is not a list")
    return CustomerPage(
        customers=tuple(parse_customer(item.data) for item in f.objects("data")),
        next_cursor=f.text("nextCursor") or None,
        remaining_count=f.whole("remainingCount"),
        has_more=bool(f.flag("hasMore")),
    )


def parse_end_user(data: Any) -> EndUser:
    f = Fields(data, "endUser")
    end_user_id = f.text("id", required=True)
    if not is_valid_conductor_id(end_user_id):
        raise MalformedRecord("endUser.id is not an end_usr_ id")
    return EndUser(
        id=end_user_id,
        company_name=f.text("companyName") or "",
        source_id=f.text("sourceId") or "",
        email=f.text("email") or "",
        created_at=f.timestamp("createdAt"),
        integration_connections=tuple(
            IntegrationConnection(
                id=item.text("id", required=True),
                integration_slug=item.text("integrationSlug"),
                created_at=item.timestamp("createdAt"),
                last_request_at=item.timestamp("lastRequestAt"),
                last_successful_request_at=item.timestamp("lastSuccessfulRequestAt"),
            )
            for item in f.objects("integrationConnections")
        ),
    )


def parse_end_user_list(data: Any) -> list[EndUser]:
    f = Fields(data, "list")
    if "data" not in f.data:
        raise MalformedRecord("list.data is missing")
    return [parse_end_user(item.data) for item in f.objects("data")]


def parse_health_check(data: Any) -> HealthCheck:
    f = Fields(data, "healthCheck")
    status = f.text("status", required=True)
    if status != "ok":
        raise MalformedRecord("healthCheck.status is not ok")
    return HealthCheck(duration_ms=f.number("duration", required=True), status=status)


def parse_auth_session(data: Any) -> AuthSession:
    f = Fields(data, "authSession")
    url = f.text("authFlowUrl", required=True)
    if not url.startswith("https://") and not url.startswith("http://"):
        raise MalformedRecord("authSession.authFlowUrl is not a web address")
    return AuthSession(
        id=f.text("id", required=True),
        end_user_id=f.text("endUserId", required=True),
        auth_flow_url=url,
        expires_at=f.timestamp("expiresAt"),
        created_at=f.timestamp("createdAt"),
    )


def parse_deleted(data: Any) -> bool:
    f = Fields(data, "deleted")
    return bool(f.flag("deleted", required=True))


def _list_items(data: Any) -> list[Fields]:
    f = Fields(data, "list")
    if not isinstance(f.data.get("data"), list):
        raise MalformedRecord("list.data is not a list")
    return f.objects("data")


def parse_deleted_customers(data: Any) -> list[DeletedCustomer]:
    return [
        DeletedCustomer(
            id=item.text("id", required=True), full_name=item.text("fullName"), deleted_at=item.timestamp("deletedAt")
        )
        for item in _list_items(data)
        if item.data.get("listType") in (None, "customer")
    ]


def parse_deleted_transactions(data: Any) -> list[DeletedTransaction]:
    return [
        DeletedTransaction(
            id=item.text("id", required=True),
            transaction_type=item.text("transactionType"),
            deleted_at=item.timestamp("deletedAt"),
        )
        for item in _list_items(data)
    ]


@dataclass(frozen=True)
class CompanyFile:
    """What a statement says of the company sending it (its "remit to"): only these of
    the company file's details are read. Its tax ids are never read at all."""

    name: str | None
    address: Address | None  # the address for customers, else the company's own
    phone: str | None
    email: str | None
    website: str | None


def parse_company_file(data: Any) -> CompanyFile:
    f = Fields(data, "company")
    return CompanyFile(
        name=f.text("companyName") or f.text("legalCompanyName"),
        address=read_address(f.obj("addressForCustomer")) or read_address(f.obj("address")),
        phone=f.text("phone"),
        email=f.text("email"),
        website=f.text("website"),
    )
