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
# The contract's three forms only: no fractional seconds, no "Z" (written +00:00).
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}")


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
        "or a date and time with an offset (YYYY-MM-DDTHH:mm:ss±HH:mm), without fractional seconds.",
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


# Filters of the four document lists (invoices, receive-payments, credit-memos,
# sales-receipts) and of /transactions, as the contract names them.
DOCUMENT_PARAMS = {
    "limit",
    "cursor",
    "ids",
    "refNumbers",
    "updatedAfter",
    "updatedBefore",
    "transactionDateFrom",
    "transactionDateTo",
    "customerIds",
    "accountIds",
    "refNumberContains",
    "refNumberStartsWith",
    "refNumberEndsWith",
    "refNumberFrom",
    "refNumberTo",
    "currencyIds",
    "includeLineItems",
}
LINKED_PARAMS = {"includeLinkedTransactions"}
INVOICE_PARAMS = DOCUMENT_PARAMS | LINKED_PARAMS | {"paymentStatus"}
TRANSACTION_PARAMS = (DOCUMENT_PARAMS - {"customerIds", "includeLineItems"}) | {
    "entityIds",
    "itemIds",
    "classIds",
    "transactionTypes",
    "detailLevel",
    "postingStatus",
    "paymentStatus",
}
TRANSACTION_TYPES = {
    "ar_refund_credit_card", "bill", "bill_payment_check", "bill_payment_credit_card", "build_assembly", "charge",
    "check", "credit_card_charge", "credit_card_credit", "credit_memo", "deposit", "estimate",
    "inventory_adjustment", "invoice", "item_receipt", "journal_entry", "liability_adjustment", "paycheck",
    "payroll_liability_check", "purchase_order", "receive_payment", "sales_order", "sales_receipt",
    "sales_tax_payment_check", "transfer", "vendor_credit", "ytd_adjustment",
}  # fmt: skip


def _day(name: str, value: str) -> date:
    try:
        if _DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ApiError("invalid_request", f"{name} must be a date (YYYY-MM-DD).")


def _boolean(name: str, value: str | None, default: bool) -> bool:
    if value is None:
        return default
    if value not in ("true", "false"):
        raise ApiError("invalid_request", f"{name} must be true or false.")
    return value == "true"


def _by_ids_or_refs(items: list[dict], query: dict, id_key: str) -> list[dict] | None:
    """ids/refNumbers: every other filter is ignored, and one unknown value fails the
    whole request (QuickBooks' "object not found"), as with customers."""
    if "ids" not in query and "refNumbers" not in query:
        return None
    result: list[dict] = []
    for name, key in (("ids", id_key), ("refNumbers", "refNumber")):
        for wanted in query.get(name, []):
            found = [item for item in items if item[key] == wanted]  # exact, case-sensitive
            if not found:
                raise ApiError("not_found", id=wanted)
            result.extend(item for item in found if item not in result)
    return result


def _common_filters(item: dict, query: dict, one: dict, time_zone: str, entity_key: str, id_key: str) -> bool:
    """The filters every transaction list shares; True when `item` passes them all."""
    day = date.fromisoformat(item["transactionDate"])
    if "transactionDateFrom" in one and day < _day("transactionDateFrom", one["transactionDateFrom"]):
        return False
    if "transactionDateTo" in one and day > _day("transactionDateTo", one["transactionDateTo"]):
        return False
    updated = datetime.fromisoformat(item["updatedAt"])
    if "updatedAfter" in one and updated < time_bound("updatedAfter", one["updatedAfter"], time_zone, end_of_day=False):
        return False
    if "updatedBefore" in one and updated > time_bound(
        "updatedBefore", one["updatedBefore"], time_zone, end_of_day=True
    ):
        return False
    entity_filter = "entityIds" if entity_key == "entity" else "customerIds"
    if entity_filter in query and (not item[entity_key] or item[entity_key]["id"] not in query[entity_filter]):
        return False
    if "currencyIds" in query and (not item.get("currency") or item["currency"]["id"] not in query["currencyIds"]):
        return False
    ref = item.get("refNumber") or ""
    if "refNumberContains" in one and one["refNumberContains"] not in ref:
        return False
    if "refNumberStartsWith" in one and not ref.startswith(one["refNumberStartsWith"]):
        return False
    if "refNumberEndsWith" in one and not ref.endswith(one["refNumberEndsWith"]):
        return False
    if "refNumberFrom" in one and _ref_order(ref) < _ref_order(one["refNumberFrom"]):
        return False
    return not ("refNumberTo" in one and _ref_order(ref) > _ref_order(one["refNumberTo"]))


def _ref_order(ref: str) -> tuple[int, int | str]:
    """How refNumberFrom/To order ref numbers: digit-only ones as numbers ("9" before
    "10"), any other as text, numbers first."""
    return (0, int(ref)) if ref.isdigit() else (1, ref)


def _check_ref_filters(one: dict) -> None:
    matches = [p for p in ("refNumberContains", "refNumberStartsWith", "refNumberEndsWith") if p in one]
    if len(matches) > 1:
        raise ApiError(
            "invalid_request", "Only one of refNumberContains, refNumberStartsWith and refNumberEndsWith may be used."
        )
    if matches and ("refNumberFrom" in one or "refNumberTo" in one):
        raise ApiError("invalid_request", "refNumberFrom/refNumberTo cannot be combined with the other ref filters.")


def filter_documents(kind: str, items: list[dict], query: dict, one: dict, time_zone: str) -> list[dict]:
    """One document list (invoices, payments, credit memos, sales receipts), filtered,
    oldest first as QuickBooks answers. Line items and links are trimmed by the caller."""
    found = _by_ids_or_refs(items, query, "id")
    if found is not None:
        return found
    _check_ref_filters(one)
    status = one.get("paymentStatus", "all")
    if kind == "invoice" and status not in ("all", "paid", "not_paid"):
        raise ApiError("invalid_request", "paymentStatus must be one of all, paid, not_paid.")
    result = []
    for item in items:
        if not _common_filters(item, query, one, time_zone, "customer", "id"):
            continue
        if kind == "invoice" and status != "all" and (status == "paid") != bool(item["isPaid"]):
            continue
        result.append(item)
    return result


def filter_transactions(rows: list[tuple[dict, bool]], query: dict, one: dict, time_zone: str) -> list[dict]:
    """/transactions: rows of every type, each with whether it is still open."""
    plain = [row for row, _ in rows]
    found = _by_ids_or_refs(plain, query, "transactionId")
    if found is not None:
        return found
    _check_ref_filters(one)
    types = set(query.get("transactionTypes", ["all"]))
    if types - TRANSACTION_TYPES - {"all"}:
        raise ApiError("invalid_request", "transactionTypes holds an unknown transaction type.")
    status = one.get("paymentStatus", "either")
    if status not in ("open", "closed", "either"):
        raise ApiError("invalid_request", "paymentStatus must be one of open, closed, either.")
    if one.get("detailLevel", "transactions_without_lines") not in (
        "all",
        "transaction_lines_only",
        "transactions_without_lines",
    ):
        raise ApiError(
            "invalid_request", "detailLevel must be one of all, transaction_lines_only, transactions_without_lines."
        )
    result = []
    for row, is_open in rows:
        if "all" not in types and row["transactionType"] not in types:
            continue
        if (status == "open" and not is_open) or (status == "closed" and is_open):
            continue
        if _common_filters(row, query, one, time_zone, "entity", "transactionId"):
            result.append(row)
    return result
