"""QuickBooks' customer query semantics, as Conductor documents them, for the fake."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from fake_conductor.faults import ApiError

LIST_PARAMS = {
    "limit",
    "cursor",
    "status",
    "nameContains",
    "nameStartsWith",
    "nameEndsWith",
    "nameFrom",
    "nameTo",
    "ids",
    "fullNames",
    "updatedAfter",
    "updatedBefore",
    "classIds",
    "currencyIds",
    "totalBalance",
    "totalBalanceGreaterThan",
    "totalBalanceGreaterThanOrEqualTo",
    "totalBalanceLessThan",
    "totalBalanceLessThanOrEqualTo",
    "excludeAlternateShippingAddresses",
}
CURSOR_TTL_SECONDS = 10.0


def _decimal(name: str, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ApiError("invalid_request", f"{name} must be a decimal number.") from None


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")


def time_bound(name: str, value: str, time_zone: str, *, end_of_day: bool) -> datetime:
    """updatedAfter/updatedBefore as an instant, as the contract reads them: a date is
    the start (after) or the end (before) of that day in the company's time zone, a
    date and time without offset is company-local, one with an offset is an instant.
    Anything else is refused."""
    zone = ZoneInfo(time_zone)
    try:
        if _DAY.fullmatch(value):
            day = date.fromisoformat(value)
            if end_of_day:
                return datetime.combine(day + timedelta(days=1), time(), zone) - timedelta(microseconds=1)
            return datetime.combine(day, time(), zone)
        if _LOCAL_TIME.fullmatch(value):
            return datetime.fromisoformat(value).replace(tzinfo=zone)
        if _INSTANT.fullmatch(value):
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError(
        "invalid_request",
        f"{name} must be a date (YYYY-MM-DD), a company-local date and time (YYYY-MM-DDTHH:mm:ss) "
        "or a date and time with an offset.",
    )


def filter_customers(customers: list[dict], query: dict, one: dict, time_zone: str = "UTC") -> list[dict]:
    """QuickBooks' customer query semantics, as Conductor documents them."""
    if "ids" in query or "fullNames" in query:
        # ids/fullNames override every other filter; one unknown value fails the request.
        result = []
        for name, key in (("ids", "id"), ("fullNames", "fullName")):
            for wanted in query.get(name, []):
                found = [
                    c
                    for c in customers
                    if (c[key].lower() == wanted.lower() if key == "fullName" else c[key] == wanted)
                ]
                if not found:
                    raise ApiError("not_found", id=wanted)
                result.extend(c for c in found if c not in result)
        return result

    name_matches = [p for p in ("nameContains", "nameStartsWith", "nameEndsWith") if p in one]
    if len(name_matches) > 1:
        raise ApiError("invalid_request", "Only one of nameContains, nameStartsWith and nameEndsWith may be used.")
    if name_matches and ("nameFrom" in one or "nameTo" in one):
        raise ApiError(
            "invalid_request", "nameFrom/nameTo cannot be combined with nameContains, nameStartsWith or nameEndsWith."
        )
    balance_filters = [p for p in one if p.startswith("totalBalance")]
    if len(balance_filters) > 1:
        raise ApiError("invalid_request", "Only one totalBalance filter may be used.")
    if "nameFrom" in one and "nameTo" in one and one["nameFrom"].lower() > one["nameTo"].lower():
        raise ApiError("invalid_request", "nameFrom must not come after nameTo.")
    updated_after = (
        time_bound("updatedAfter", one["updatedAfter"], time_zone, end_of_day=False) if "updatedAfter" in one else None
    )
    updated_before = (
        time_bound("updatedBefore", one["updatedBefore"], time_zone, end_of_day=True)
        if "updatedBefore" in one
        else None
    )
    status = one.get("status", "active")
    if status not in ("active", "inactive", "all"):
        raise ApiError("invalid_request", "status must be one of active, inactive, all.")

    result = []
    for c in customers:
        if (status == "active" and not c["isActive"]) or (status == "inactive" and c["isActive"]):
            continue
        name = c["name"].lower()
        if "nameContains" in one and one["nameContains"].lower() not in name:
            continue
        if "nameStartsWith" in one and not name.startswith(one["nameStartsWith"].lower()):
            continue
        if "nameEndsWith" in one and not name.endswith(one["nameEndsWith"].lower()):
            continue
        full = c["fullName"].lower()
        if "nameFrom" in one and full < one["nameFrom"].lower():
            continue
        if "nameTo" in one and full > one["nameTo"].lower():
            continue
        if "classIds" in query and (not c["class"] or c["class"]["id"] not in query["classIds"]):
            continue
        if "currencyIds" in query and (not c["currency"] or c["currency"]["id"] not in query["currencyIds"]):
            continue
        if updated_after or updated_before:
            updated = datetime.fromisoformat(c["updatedAt"])  # compare instants, never strings
            if updated_after and updated < updated_after:
                continue
            if updated_before and updated > updated_before:
                continue
        if balance_filters:
            param = balance_filters[0]
            bound, total = _decimal(param, one[param]), Decimal(c["totalBalance"] or "0")
            ok = {
                "totalBalance": total == bound,
                "totalBalanceGreaterThan": total > bound,
                "totalBalanceGreaterThanOrEqualTo": total >= bound,
                "totalBalanceLessThan": total < bound,
                "totalBalanceLessThanOrEqualTo": total <= bound,
            }[param]
            if not ok:
                continue
        result.append(c)
    if "nameFrom" in one or "nameTo" in one:
        result.sort(key=lambda c: c["fullName"].lower())
    return result
