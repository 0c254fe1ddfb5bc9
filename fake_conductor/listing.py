"""QuickBooks' customer query semantics, as Conductor documents them, for the fake."""

from decimal import Decimal, InvalidOperation

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


def filter_customers(customers: list[dict], query: dict, one: dict) -> list[dict]:
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
        if "updatedAfter" in one and c["updatedAt"] < one["updatedAfter"]:
            continue
        if "updatedBefore" in one and c["updatedAt"] > one["updatedBefore"]:
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
