"""Typed reads from one JSON object, for the parsers in records.py.

Every failure is MalformedRecord naming the field's path, never its value: values may
be personal data or card numbers, and error messages end up in logs.
"""

import math
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# QuickBooks amounts have at most 13 integer digits and a few decimals; anything far
# outside that is not money we can show exactly.
MAX_AMOUNT = Decimal("1e15")


class MalformedRecord(ValueError):
    """Upstream JSON did not have the shape the contract promises."""


class Fields:
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
            isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
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

    def obj(self, key: str) -> "Fields | None":
        value = self._get(key, required=False)
        return None if value is None else Fields(value, f"{self.path}.{key}")

    def objects(self, key: str) -> list["Fields"]:
        value = self._get(key, required=False)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [Fields(item, f"{self.path}.{key}[{i}]") for i, item in enumerate(value)]
