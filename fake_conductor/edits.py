"""Changing QuickBooks under the dashboard: add, edit, rename, move and delete customers,
as a QuickBooks user would, for the tests of a local copy kept in step.

Faithful to what the contract says a copy must cope with:
- every change moves the customer's `updatedAt` (to now, in the company's zone) and its
  revisionNumber;
- a rename or a move changes the `fullName` (and `sublevel`) of every job below it, but
  does **not** move the jobs' `updatedAt` (the contract says not to count on it);
- a deletion is listed by deleted-list-objects, oldest first, for 90 days only; QuickBooks
  refuses to delete a customer that still has jobs.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fake_conductor.data import Company
from fake_conductor.faults import ApiError

DELETIONS_KEPT = timedelta(days=90)
EDITABLE = {
    "name",
    "companyName",
    "firstName",
    "lastName",
    "phone",
    "alternatePhone",
    "fax",
    "email",
    "ccEmail",
    "accountNumber",
    "isActive",
    "balance",
    "jobStatus",
    "note",
    "billingAddress",
    "shippingAddress",
    "contact",
}


def _now(company: Company, at: str | None = None) -> datetime:
    zone = ZoneInfo(company.time_zone)
    moment = datetime.fromisoformat(at) if at else datetime.now(UTC)
    return moment.astimezone(zone).replace(microsecond=0)


def _touch(company: Company, customer: dict, at: str | None = None) -> None:
    moment = _now(company, at)
    customer["updatedAt"] = moment.isoformat()
    customer["revisionNumber"] = str(int(moment.timestamp()))


def _find(company: Company, customer_id: str) -> dict:
    for customer in company.customers:
        if customer["id"] == customer_id:
            return customer
    raise ApiError("invalid_request", f"No customer {customer_id} in {company.id}.")


def _children(company: Company, customer: dict) -> list[dict]:
    return [c for c in company.customers if c["parent"] and c["parent"]["id"] == customer["id"]]


def _rename_subtree(company: Company, customer: dict) -> None:
    """The customer's full name from its parent's, and every job below it after it."""
    parent = _find(company, customer["parent"]["id"]) if customer["parent"] else None
    customer["fullName"] = f"{parent['fullName']}:{customer['name']}" if parent else customer["name"]
    customer["sublevel"] = parent["sublevel"] + 1 if parent else 0
    if parent:
        customer["parent"] = {"id": parent["id"], "fullName": parent["fullName"]}
    for child in _children(company, customer):
        _rename_subtree(company, child)  # their updatedAt stays as it was


def _roll_up(company: Company) -> None:
    totals = {c["id"]: Decimal(c["balance"] or "0") for c in company.customers}
    by_id = {c["id"]: c for c in company.customers}
    for c in company.customers:
        parent = c["parent"]
        while parent:
            totals[parent["id"]] += Decimal(c["balance"] or "0")
            parent = by_id[parent["id"]]["parent"]
    for c in company.customers:
        c["totalBalance"] = f"{totals[c['id']]:.2f}"


def edit(company: Company, customer_id: str, changes: dict, at: str | None = None) -> dict:
    unknown = set(changes) - EDITABLE - {"parentId"}
    if unknown:
        raise ApiError("invalid_request", f"Not editable here: {', '.join(sorted(unknown))}.")
    customer = _find(company, customer_id)
    for key, value in changes.items():
        if key != "parentId":
            customer[key] = value
    if "parentId" in changes:
        if changes["parentId"] is None:
            customer["parent"] = None
        else:
            parent = _find(company, changes["parentId"])
            if parent["fullName"] == customer["fullName"] or parent["fullName"].startswith(customer["fullName"] + ":"):
                raise ApiError("invalid_request", "A customer cannot move under itself.")
            customer["parent"] = {"id": parent["id"], "fullName": parent["fullName"]}
    if "name" in changes or "parentId" in changes:
        names = {c["fullName"].lower() for c in company.customers if c is not customer}
        _rename_subtree(company, customer)
        if customer["fullName"].lower() in names:
            raise ApiError("invalid_request", "The name is already in use.")
    _touch(company, customer, at)
    _roll_up(company)
    return customer


def add(company: Company, fields: dict, at: str | None = None) -> dict:
    """A new customer (or a job, with parentId), modelled on the company's first one."""
    template = company.customers[0] if company.customers else None
    if template is None:
        raise ApiError("invalid_request", "This company file has no customer to model one on.")
    moment = _now(company, at)
    number = max(int(c["id"].split("-")[0], 16) for c in company.customers) + 1
    customer: dict[str, Any] = dict.fromkeys(template)
    customer.update(
        {
            "id": f"{number:X}-{int(moment.timestamp())}",
            "objectType": "qbd_customer",
            "createdAt": moment.isoformat(),
            "isActive": True,
            "parent": None,
            "balance": "0.00",
            "totalBalance": "0.00",
            "customContactFields": [],
            "additionalContacts": [],
            "additionalNotes": [],
            "customFields": [],
            "alternateShippingAddresses": [],
            "name": fields.get("name") or "New customer",
            "sublevel": 0,
        }
    )
    customer["fullName"] = customer["name"]  # until a parentId puts it under another
    company.customers.append(customer)
    try:
        edit(company, customer["id"], {k: v for k, v in fields.items() if k != "name"}, at)
        edit(company, customer["id"], {"name": customer["name"]}, at)
    except BaseException:  # nothing half-made stays behind to break the lists
        company.customers.remove(customer)
        raise
    return customer


def delete(company: Company, customer_id: str, at: str | None = None) -> dict:
    customer = _find(company, customer_id)
    if _children(company, customer):
        raise ApiError("integration", "This customer has jobs; QuickBooks cannot delete it.")
    company.customers.remove(customer)
    deleted = {
        "listType": "customer",
        "id": customer["id"],
        "objectType": "qbd_deleted_list_object",
        "createdAt": customer["createdAt"],
        "deletedAt": _now(company, at).isoformat(),
        "fullName": customer["fullName"],
    }
    company.deleted.append(deleted)
    _roll_up(company)
    return deleted


def deletions(deleted: list[dict], after: datetime | None, before: datetime | None) -> list[dict]:
    """Of `deleted` (customers, or transactions), what QuickBooks still remembers deleting
    (the last 90 days), oldest first."""
    kept_from = datetime.now(UTC) - DELETIONS_KEPT
    found = []
    for item in deleted:
        when = datetime.fromisoformat(item["deletedAt"])
        # deletedAfter is "on or after", deletedBefore "on or before" (the contract).
        if when < kept_from or (after and when < after) or (before and when > before):
            continue
        found.append(item)
    return sorted(found, key=lambda item: datetime.fromisoformat(item["deletedAt"]))
