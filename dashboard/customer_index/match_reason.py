"""Why a customer matched a search, in words a person can check against the caller: the
field the query was found in ("Phone", "Email", "Billing address", …), its value, and
the part that matched, to be highlighted. Worked out from the copied record for the rows
a page shows, never for every candidate.

A match on the customer's own name needs no reason (the name is on the row); a typo
match has none either (it is marked "matched by spelling" instead).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dashboard.customer_index.rows import digits_of

_ADDRESS_PARTS = ("line1", "line2", "line3", "line4", "line5", "city", "state", "postalCode", "country")


@dataclass(frozen=True)
class MatchReason:
    label: str
    before: str
    matched: str
    after: str


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _address(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    return ", ".join(part for key in _ADDRESS_PARTS if (part := _text(value.get(key))))


def _fields(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(label, value) of every searched field but the name, in the order a person would
    name them."""
    yield "Company name", _text(record.get("companyName"))
    yield "Account number", _text(record.get("accountNumber"))
    yield "Email", _text(record.get("email"))
    yield "CC email", _text(record.get("ccEmail"))
    yield "Phone", _text(record.get("phone"))
    yield "Alternate phone", _text(record.get("alternatePhone"))
    yield "Fax", _text(record.get("fax"))
    for field in record.get("customContactFields") or []:
        if isinstance(field, dict):
            yield _text(field.get("name")) or "Contact field", _text(field.get("value"))
    yield "Contact", _text(record.get("contact"))
    yield "Alternate contact", _text(record.get("alternateContact"))
    for contact in record.get("additionalContacts") or []:
        if isinstance(contact, dict):
            yield (
                "Contact",
                _text(contact.get("fullName"))
                or " ".join(p for key in ("firstName", "lastName") if (p := _text(contact.get(key)))),
            )
    yield "Billing address", _address(record.get("billingAddress"))
    yield "Shipping address", _address(record.get("shippingAddress"))
    for address in record.get("alternateShippingAddresses") or []:
        yield "Shipping address", _address(address)


def _split(label: str, value: str, start: int, end: int) -> MatchReason:
    return MatchReason(label, value[:start], value[start:end], value[end:])


def _by_digits(record: dict[str, Any], digits: str) -> MatchReason | None:
    for label, value in _fields(record):
        positions = [i for i, ch in enumerate(value) if ch.isascii() and ch.isdigit()]
        found = digits_of(value).find(digits)
        if value and found >= 0:
            return _split(label, value, positions[found], positions[found + len(digits) - 1] + 1)
    return None


def _by_words(record: dict[str, Any], words: list[str]) -> MatchReason | None:
    """The first field holding every word (else the most of them), the longest word
    highlighted."""
    best: tuple[int, str, str] | None = None
    for label, value in _fields(record):
        held = sum(1 for word in words if word in value.casefold())
        if held and (best is None or held > best[0]):
            best = (held, label, value)
        if held == len(words):
            break
    if best is None:
        return None
    _, label, value = best
    for word in sorted(words, key=len, reverse=True):
        start = value.lower().find(word)
        if start >= 0 and len(value.lower()) == len(value):  # positions hold in the value as written
            return _split(label, value, start, start + len(word))
    return MatchReason(label, value, "", "")


def why_matched(record: dict[str, Any] | None, name: str, text: str, *, phone_query: bool) -> MatchReason | None:
    """What of `record` matched `text`, unless the name says it already."""
    if not record or not text.strip():
        return None
    words = [w for w in text.casefold().split() if w]
    if not phone_query and all(word in name.casefold() for word in words):
        return None
    if phone_query and (reason := _by_digits(record, digits_of(text))) is not None:
        return reason
    return _by_words(record, words)
