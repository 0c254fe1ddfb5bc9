"""Conductor JSON in, small frozen records out; and the id checks done before any call.

This is the boundary where upstream data stops being a dict of anything. The shapes
follow the contract in shared/conductor/openapi-subset.json:
- a wrong type anywhere raises MalformedRecord (naming the field, never its value,
  since values may be personal data or card numbers);
- a missing nullable key reads as null, and unknown keys are ignored, so a newer
  Conductor that adds fields does not break the page;
- money stays exact (Decimal), dates become date/datetime objects;
- a credit card number is reduced to its last four digits here, so the full number
  never travels further than this module, whatever Conductor sends.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# A QuickBooks ListID: hex, a dash, digits ("80000001-1234567890"); at most 36
# characters. ASCII only, so unicode digits and lookalikes never pass.
_CUSTOMER_ID = re.compile(r"[0-9A-Fa-f]{1,16}-[0-9]{1,19}", re.ASCII)
CUSTOMER_ID_MAX_LENGTH = 36
_END_USER_ID = re.compile(r"end_usr_[A-Za-z0-9]{1,64}", re.ASCII)


def is_valid_customer_id(value: str) -> bool:
    return len(value) <= CUSTOMER_ID_MAX_LENGTH and _CUSTOMER_ID.fullmatch(value) is not None


def is_valid_end_user_id(value: str) -> bool:
    return _END_USER_ID.fullmatch(value) is not None


_KEY_PREFIXES = ("sk_conductor_", "sk_test_", "sk_live_", "pk_conductor_", "pk_test_", "pk_live_")


def mask_secret_key(secret_key: str) -> str:
    """`sk_conductor_…1234`: the key's kind and last four characters, nothing more."""
    prefix = next((p for p in _KEY_PREFIXES if secret_key.startswith(p)), "")
    # A short or odd value shows no characters at all: four of eight would be half a key.
    last_four = secret_key[-4:] if len(secret_key) - len(prefix) >= 16 else ""
    return f"{prefix}…{last_four}"


class MalformedRecord(ValueError):
    """Upstream JSON did not have the shape the contract promises."""


MAX_AMOUNT = Decimal("1e15")
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


@dataclass(frozen=True)
class Customer:
    id: str
    created_at: datetime
    updated_at: datetime
    revision_number: str
    name: str
    full_name: str
    is_active: bool
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
    request_id: str | None = None  # Conductor's id for the call that fetched it

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


# --- reading helpers -------------------------------------------------------


class _Fields:
    """Typed reads from one JSON object; errors name the path, never the value."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise MalformedRecord(f"{path} is not an object")
        self.data = data
        self.path = path

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise MalformedRecord(f"{self.path}.{key} is missing")
        return value

    def _wrong(self, key: str, expected: str) -> MalformedRecord:
        return MalformedRecord(f"{self.path}.{key} is not {expected}")

    def text(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def flag(self, key: str, required: bool = False) -> bool | None:
        value = self._get(key, required)
        if value is not None and not isinstance(value, bool):
            raise self._wrong(key, "a boolean")
        return value

    def number(self, key: str, required: bool = False) -> float | None:
        value = self._get(key, required)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self._wrong(key, "a number")
        return value

    def whole(self, key: str, required: bool = False) -> int | None:
        value = self.number(key, required)
        if value is None:
            return None
        if value != int(value):
            raise self._wrong(key, "a whole number")
        return int(value)

    def enum(self, key: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(key)
        if value is not None and value not in allowed:
            raise self._wrong(key, "one of " + ", ".join(allowed))
        return value

    def money(self, key: str) -> Decimal | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise self._wrong(key, "a decimal amount") from None
        # QuickBooks amounts have at most 13 integer digits and a few decimals; anything
        # far outside that is not money we can show exactly.
        if not amount.is_finite() or abs(amount) >= MAX_AMOUNT or amount.as_tuple().exponent < -8:
            raise self._wrong(key, "a decimal amount")
        return amount

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self._wrong(key, "a YYYY-MM-DD date") from None

    def timestamp(self, key: str, required: bool = False) -> datetime | None:
        value = self.text(key, required)
        if value is None or value == "":
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise self._wrong(key, "an ISO 8601 timestamp") from None

    def obj(self, key: str) -> "_Fields | None":
        value = self._get(key, required=False)
        return None if value is None else _Fields(value, f"{self.path}.{key}")

    def objects(self, key: str) -> list["_Fields"]:
        value = self._get(key, required=False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [_Fields(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]


def last_four_digits(number: str | None) -> str | None:
    """The last (up to) four digits of whatever arrived as a card number."""
    if not number:
        return None
    digits = [ch for ch in number if ch in "0123456789"]
    return "".join(digits[-4:]) or None


def _ref(fields: _Fields, key: str) -> Ref | None:
    ref = fields.obj(key)
    if ref is None:
        return None
    return Ref(id=ref.text("id"), full_name=ref.text("fullName"))


def _address(fields: _Fields | None) -> Address | None:
    if fields is None:
        return None
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


def _credit_card(fields: _Fields | None) -> CreditCard | None:
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


def _custom_contact_fields(fields: _Fields) -> tuple[CustomContactField, ...]:
    return tuple(
        CustomContactField(name=item.text("name"), value=item.text("value"))
        for item in fields.objects("customContactFields")
    )


def _contact(fields: _Fields) -> Contact:
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
    f = _Fields(data, "customer")
    object_type = f.text("objectType")
    if object_type is not None and object_type != "qbd_customer":
        raise MalformedRecord("customer.objectType is not qbd_customer")
    return Customer(
        id=f.text("id", required=True),
        created_at=f.timestamp("createdAt", required=True),
        updated_at=f.timestamp("updatedAt", required=True),
        revision_number=f.text("revisionNumber", required=True),
        name=f.text("name", required=True),
        full_name=f.text("fullName", required=True),
        is_active=f.flag("isActive", required=True),
        sublevel=f.whole("sublevel", required=True),
        class_ref=_ref(f, "class"),
        parent=_ref(f, "parent"),
        company_name=f.text("companyName"),
        salutation=f.text("salutation"),
        first_name=f.text("firstName"),
        middle_name=f.text("middleName"),
        last_name=f.text("lastName"),
        job_title=f.text("jobTitle"),
        billing_address=_address(f.obj("billingAddress")),
        shipping_address=_address(f.obj("shippingAddress")),
        alternate_shipping_addresses=tuple(
            _address(item) for item in f.objects("alternateShippingAddresses")
        ),
        phone=f.text("phone"),
        alternate_phone=f.text("alternatePhone"),
        fax=f.text("fax"),
        email=f.text("email"),
        cc_email=f.text("ccEmail"),
        contact=f.text("contact"),
        alternate_contact=f.text("alternateContact"),
        custom_contact_fields=_custom_contact_fields(f),
        additional_contacts=tuple(_contact(item) for item in f.objects("additionalContacts")),
        customer_type=_ref(f, "customerType"),
        terms=_ref(f, "terms"),
        sales_representative=_ref(f, "salesRepresentative"),
        balance=f.money("balance"),
        total_balance=f.money("totalBalance"),
        sales_tax_code=_ref(f, "salesTaxCode"),
        sales_tax_item=_ref(f, "salesTaxItem"),
        sales_tax_country=f.text("salesTaxCountry"),
        resale_number=f.text("resaleNumber"),
        account_number=f.text("accountNumber"),
        credit_limit=f.money("creditLimit"),
        preferred_payment_method=_ref(f, "preferredPaymentMethod"),
        credit_card=_credit_card(f.obj("creditCard")),
        job_status=f.enum("jobStatus", JOB_STATUSES),
        job_start_date=f.day("jobStartDate"),
        job_projected_end_date=f.day("jobProjectedEndDate"),
        job_end_date=f.day("jobEndDate"),
        job_description=f.text("jobDescription"),
        job_type=_ref(f, "jobType"),
        note=f.text("note"),
        additional_notes=tuple(
            Note(id=item.whole("id"), date=item.day("date"), note=item.text("note"))
            for item in f.objects("additionalNotes")
        ),
        preferred_delivery_method=f.enum("preferredDeliveryMethod", DELIVERY_METHODS),
        price_level=_ref(f, "priceLevel"),
        external_id=f.text("externalId"),
        tax_registration_number=f.text("taxRegistrationNumber"),
        currency=_ref(f, "currency"),
        custom_fields=tuple(
            CustomField(
                owner_id=item.text("ownerId"),
                name=item.text("name"),
                type=item.text("type"),
                value=item.text("value"),
            )
            for item in f.objects("customFields")
        ),
    )


def parse_customer_page(data: Any) -> CustomerPage:
    f = _Fields(data, "list")
    if not isinstance(f.data.get("data"), list):
        raise MalformedRecord("list.data is not a list")
    return CustomerPage(
        customers=tuple(parse_customer(item.data) for item in f.objects("data")),
        next_cursor=f.text("nextCursor") or None,
        remaining_count=f.whole("remainingCount"),
        has_more=bool(f.flag("hasMore")),
    )


def parse_end_user(data: Any) -> EndUser:
    f = _Fields(data, "endUser")
    end_user_id = f.text("id", required=True)
    if not is_valid_end_user_id(end_user_id):
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
    f = _Fields(data, "list")
    if "data" not in f.data:
        raise MalformedRecord("list.data is missing")
    return [parse_end_user(item.data) for item in f.objects("data")]


def parse_health_check(data: Any) -> HealthCheck:
    f = _Fields(data, "healthCheck")
    status = f.text("status", required=True)
    if status != "ok":
        raise MalformedRecord("healthCheck.status is not ok")
    return HealthCheck(duration_ms=f.number("duration", required=True), status=status)


def parse_auth_session(data: Any) -> AuthSession:
    f = _Fields(data, "authSession")
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
    f = _Fields(data, "deleted")
    return bool(f.flag("deleted", required=True))
