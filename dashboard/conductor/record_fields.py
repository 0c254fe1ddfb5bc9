"""Typed reads from one JSON object, for the parsers in records.py.

A tolerant reader: Conductor and QuickBooks add enum values and now and then send odd
data, and one bad field must not make a whole customer unreadable. A read marked
`required` (what identifies a record: its id and names) raises MalformedRecord; any
other read that finds the wrong type returns None and notes the field's path in
`unreadable`, shared by every nested object of one record, so the page can say which
fields it could not show. Errors and log lines name the path, never the value: values
may be personal data or card numbers.
"""

import logging
import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

logger = logging.getLogger("dashboard.conductor.records")

# QuickBooks amounts have at most 13 integer digits and a few decimals; anything far
# outside that is not money we can show exactly.
MAX_AMOUNT = Decimal("1e15")


class MalformedRecord(ValueError):
    """Upstream JSON did not have the shape the contract promises."""


class Fields:
    """Typed reads from one JSON object; errors name the path, never the value."""

    def __init__(self, data: Any, path: str, unreadable: list[str] | None = None) -> None:
        if not isinstance(data, dict):
            raise MalformedRecord(f"{path} is not an object")
        self.data: dict[str, Any] = data
        self.path = path
        self.unreadable: list[str] = [] if unreadable is None else unreadable

    def _get(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise MalformedRecord(f"{self.path}.{key} is missing")
        return value

    def _field(self, key: str) -> str:
        """The field's path below the record (what `unreadable` lists)."""
        _, _, below = self.path.partition(".")
        return f"{below}.{key}" if below else key

    def _wrong(self, key: str, expected: str, required: bool) -> None:
        """A value of the wrong type: fatal for a required field, noted for any other."""
        if required:
            raise MalformedRecord(f"{self.path}.{key} is not {expected}")
        self.note_unreadable(self._field(key), expected)

    def note_unreadable(self, field: str, expected: str) -> None:
        logger.warning("unreadable field %s.%s (not %s); shown as unreadable", self.path.split(".")[0], field, expected)
        self.unreadable.append(field)

    def _read[T](self, key: str, required: bool, expected: str, convert: Callable[[Any], T | None]) -> T | None:
        value = self._get(key, required)
        if value is None:
            return None
        converted = convert(value)
        if converted is None:
            self._wrong(key, expected, required)
        return converted

    @overload
    def text(self, key: str, required: Literal[True]) -> str: ...
    @overload
    def text(self, key: str, required: bool = False) -> str | None: ...
    def text(self, key: str, required: bool = False) -> str | None:
        return self._read(key, required, "a string", lambda v: v if isinstance(v, str) else None)

    @overload
    def flag(self, key: str, required: Literal[True]) -> bool: ...
    @overload
    def flag(self, key: str, required: bool = False) -> bool | None: ...
    def flag(self, key: str, required: bool = False) -> bool | None:
        return self._read(key, required, "a boolean", lambda v: v if isinstance(v, bool) else None)

    @overload
    def number(self, key: str, required: Literal[True]) -> float: ...
    @overload
    def number(self, key: str, required: bool = False) -> float | None: ...
    def number(self, key: str, required: bool = False) -> float | None:
        return self._read(key, required, "a number", _finite_number)

    @overload
    def whole(self, key: str, required: Literal[True]) -> int: ...
    @overload
    def whole(self, key: str, required: bool = False) -> int | None: ...
    def whole(self, key: str, required: bool = False) -> int | None:
        return self._read(key, required, "a whole number", _whole_number)

    def enum(self, key: str, known: tuple[str, ...]) -> str | None:
        """A value from a list the contract names. A value outside it is kept as it came
        (QuickBooks and Conductor add values): the page shows it humanised."""
        value = self.text(key)
        if value is not None and value not in known:
            logger.info("new value of %s.%s; shown as it came", self.path.split(".")[0], self._field(key))
        return value

    def money(self, key: str) -> Decimal | None:
        return self._read(key, False, "a decimal amount", _amount)

    def day(self, key: str) -> date | None:
        if self.data.get(key) == "":
            return None
        return self._read(key, False, "a YYYY-MM-DD date", _iso_date)

    def timestamp(self, key: str) -> datetime | None:
        if self.data.get(key) == "":
            return None
        return self._read(key, False, "an ISO 8601 timestamp", _iso_timestamp)

    def obj(self, key: str) -> "Fields | None":
        value = self._get(key, required=False)
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong(key, "an object", required=False)
            return None
        return Fields(value, f"{self.path}.{key}", self.unreadable)

    def objects(self, key: str) -> list["Fields"]:
        """The list's objects; an item that is not an object is noted and left out."""
        value = self._get(key, required=False)
        if value is None:
            return []
        if not isinstance(value, list):
            self._wrong(key, "a list", required=False)
            return []
        items = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                items.append(Fields(item, f"{self.path}.{key}[{i}]", self.unreadable))
            else:
                self._wrong(f"{key}[{i}]", "an object", required=False)
        return items


def _finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return value


def _whole_number(value: Any) -> int | None:
    number = _finite_number(value)
    if number is None or number != int(number):
        return None
    return int(number)


def _amount(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        amount = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT or int(amount.as_tuple().exponent) < -8:
        return None
    return amount


def _iso_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _iso_timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
