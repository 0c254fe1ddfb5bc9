"""Seed data for the fake Conductor: end users and their QuickBooks customers.

Deterministic (a fixed random seed), realistic and uneven on purpose: some customers
have every field, some almost none; there are jobs and sub-jobs, credits, inactive
customers, masked and unmasked-looking card numbers, notes and custom fields.

Shares nothing with the product but the contract: every object has the 56 keys of
`qbd_customer` in shared/conductor/openapi-subset.json.
"""

import copy
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fake_conductor.ledger import Ledger, write_ledger

DEMO_SECRET_KEY = "sk_conductor_demo_4f7c2a9e1b3d5f6a8c0e"
DEMO_PUBLISHABLE_KEY = "pk_conductor_demo_9a8b7c6d5e4f3a2b1c0d"

# Every demo company's QuickBooks computer runs on Pacific time.
COMPANY_TIME_ZONE = "America/Los_Angeles"
ZONE = ZoneInfo(COMPANY_TIME_ZONE)
# No seeded edit is later than this (the seed must not depend on today's date).
LAST_EDIT = datetime(2026, 11, 24, 17, 0, tzinfo=ZONE)

# A copy of shared/conductor/customer-example.json, so the fake also runs where
# shared/ is not (the container image); tests check the copy is still identical.
EXAMPLE_CUSTOMER_PATH = Path(__file__).resolve().parent / "contract" / "customer-example.json"


@dataclass
class Company:
    """One end user with its QuickBooks company file."""

    id: str
    company_name: str
    source_id: str
    email: str
    created_at: str
    # connected | offline | not_set_up: how its QuickBooks answers right now
    state: str = "connected"
    last_successful_request_at: str | None = "2026-11-24T16:02:11.000Z"
    customers: list[dict] = field(default_factory=list)
    # The QuickBooks computer's own zone: dates in filters are its days.
    time_zone: str = COMPANY_TIME_ZONE
    # Invoices, payments, credit memos, sales receipts and estimates.
    ledger: Ledger = field(default_factory=Ledger)
    # Customers deleted (qbd_deleted_list_object), as deleted-list-objects lists them.
    deleted: list[dict] = field(default_factory=list)
    # Transactions deleted (qbd_deleted_transaction), as deleted-transactions lists them.
    deleted_transactions: list[dict] = field(default_factory=list)

    def company_file_json(self) -> dict:
        """The company file's own details (qbd_company), as GET /quickbooks-desktop/company
        answers: every key present, most null, as a real file's are."""
        number = sum(map(ord, self.id)) % 900 + 100
        address = {
            "line1": self.company_name,
            "line2": f"{number} Commerce Way",
            "line3": None,
            "line4": None,
            "line5": None,
            "city": "Springfield",
            "state": "IL",
            "postalCode": f"62{number:03d}",
            "country": "US",
            "note": None,
        }
        return {
            "isSampleCompanyFile": False,
            "companyName": self.company_name,
            "legalCompanyName": f"{self.company_name}, LLC",
            "address": address,
            "legalAddress": address,
            "addressForCustomer": {**address, "line2": f"PO Box {number}"},
            "phone": f"+1-555-{number:03d}-0100",
            "fax": None,
            "email": f"billing@{self.source_id or 'company'}.example.com",
            "website": None,
            "fiscalYearStartMonth": "january",
            "incomeTaxYearStartMonth": "january",
            "companyType": None,
            "ein": "123456789",  # never to be shown: the dashboard reads only what a statement needs
            "ssn": None,
            "taxForm": None,
            "subscribedServices": None,
            "accountantCopy": None,
            "customFields": [],
        }

    def end_user_json(self) -> dict:
        connections = []
        if self.state != "none":
            connections.append(
                {
                    "id": "int_conn_" + self.id.removeprefix("end_usr_"),
                    "objectType": "integration_connection",
                    "createdAt": self.created_at,
                    "integrationSlug": "quickbooks_desktop",
                    "lastRequestAt": self.last_successful_request_at,
                    "lastSuccessfulRequestAt": self.last_successful_request_at,
                }
            )
        return {
            "id": self.id,
            "objectType": "end_user",
            "createdAt": self.created_at,
            "companyName": self.company_name,
            "sourceId": self.source_id,
            "email": self.email,
            "integrationConnections": connections,
        }


FIRST = [
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zoe",
    "Ethan",
    "Priya",
    "Omar",
    "Grace",
    "Lucas",
    "Hana",
    "Diego",
    "Chloe",
    "Kenji",
    "Sofia",
    "Mateo",
    "Amara",
    "Felix",
    "Ines",
    "Jonah",
]
LAST = [
    "Nguyen",
    "Patel",
    "Garcia",
    "Smith",
    "Okafor",
    "Kim",
    "Rossi",
    "Müller",
    "Johnson",
    "Silva",
    "Cohen",
    "Haddad",
    "Larsen",
    "Brown",
    "Dubois",
    "Tanaka",
    "O'Neil",
    "Novak",
    "Reyes",
    "Walsh",
]
BUSINESSES = [
    "Acme Hardware",
    "Blue Fern Café",
    "Cedar & Pine Interiors",
    "Delta Logistics",
    "Evergreen Dental",
    "Fulton Street Bakery",
    "Granite Peak Outfitters",
    "Harborview Realty",
    "Iris Floral Studio",
    "Juniper Yoga",
    "Keystone Plumbing",
    "Lakeside Veterinary",
    "Meridian Architects",
    "Northwind Traders",
    "Oak Hollow Farms",
    "Pioneer Auto Body",
    "Quarry Stone Works",
    "Riverbend Brewing",
    "Summit Legal Group",
    "Tidewater Marine",
    "Union Square Books",
    "Vista Optometry",
    "Willow Creek Daycare",
    "Yellowstone Catering",
]
JOBS = [
    "Kitchen Remodel",
    "Office Fit-out",
    "Roof Repair",
    "Annual Maintenance",
    "Website Redesign",
    "Landscaping Phase 1",
    "HVAC Upgrade",
    "Warehouse Expansion",
    "Spring Event",
]
SUBJOBS = ["Design", "Permits", "Installation", "Punch List"]
STREETS = ["Market St.", "Main Street", "Oak Avenue", "Harbor Blvd.", "Elm Court", "2nd Ave."]
CITIES = [
    ("San Francisco", "CA", "94110"),
    ("Portland", "OR", "97205"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Boston", "MA", "02108"),
    ("Madison", "WI", "53703"),
]
TERMS = ["Net 15", "Net 30", "Due on receipt", "2% 10 Net 30"]
REPS = ["Jane Doe", "Sam Lee", "Ravi Shah"]
TYPES = ["Retail", "Wholesale", "Commercial", "Residential"]
CLASSES = ["Consulting", "Construction", "Retail Sales"]
METHODS = ["Credit Card", "Check", "Cash", "ACH"]


def _ref(rng: random.Random, names: list[str], prefix: int) -> dict:
    index = rng.randrange(len(names))
    return {"id": f"{prefix + index:X}-1600000{index:03d}", "fullName": names[index]}


def _address(rng: random.Random, name: str) -> dict:
    city, state, postal = rng.choice(CITIES)
    return {
        "line1": name,
        "line2": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
        "line3": rng.choice([None, "", f"Suite {rng.randint(100, 900)}"]),
        "line4": None,
        "line5": None,
        "city": city,
        "state": state,
        "postalCode": postal,
        "country": rng.choice(["US", "United States", None]),
        "note": rng.choice([None, None, "Deliveries at the back door", "Call before arrival"]),
    }


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class _Builder:
    """Builds one company's customers, numbering ids from a per-company base.

    Consistent as QuickBooks is: a ListID's digits are its creation time (epoch
    seconds) and revisionNumber its last edit's, so neither predates createdAt; times
    carry the offset the company's zone had on that date (daylight saving included);
    a job is created after its parent and is never active under an inactive one; and
    one company file either uses multiple currencies for every customer or for none."""

    def __init__(self, seed: int, id_base: int, currency: dict | None) -> None:
        self.rng = random.Random(seed)
        self.next_number = id_base
        self.currency = currency
        self.customers: list[dict] = []

    def _new_id(self, created: datetime) -> str:
        self.next_number += 1
        return f"{self.next_number:X}-{int(created.timestamp())}"

    def _times(self, parent: dict | None) -> tuple[datetime, datetime]:
        rng = self.rng
        earliest = datetime.fromisoformat(parent["createdAt"]) if parent else datetime(2024, 1, 2, tzinfo=ZONE)
        created = (earliest + timedelta(days=rng.randint(1, 300), hours=rng.randint(0, 8))).astimezone(ZONE)
        # A quarter past the hour; through UTC and back, so a local time that daylight
        # saving skips (02:15 on its first day) becomes the real one with its offset.
        created = created.replace(minute=15, second=0, microsecond=0).astimezone(UTC).astimezone(ZONE)
        updated = (
            created.astimezone(UTC) + timedelta(days=rng.randint(0, 500), minutes=rng.randint(0, 600))
        ).astimezone(ZONE)
        return created, min(updated, LAST_EDIT).replace(microsecond=0)

    def customer(self, name: str, parent: dict | None = None, rich: bool | None = None) -> dict:
        rng = self.rng
        rich = rng.random() < 0.6 if rich is None else rich
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created_at, updated_at = self._times(parent)
        created, updated = created_at.isoformat(), updated_at.isoformat()
        balance = Decimal(rng.choice([0, 0, rng.randint(1, 900000), -rng.randint(100, 50000)])) / 100
        email_name = f"{first}.{last}".lower().replace("'", "").replace("ü", "u")
        full_name = f"{parent['fullName']}:{name}" if parent else name
        card_number = rng.choice([None, "xxxxxxxxxxxx4242", "xxxxxxxxxxxx1881", "4111 1111 1111 1111"])
        record = {
            "id": self._new_id(created_at),
            "objectType": "qbd_customer",
            "createdAt": created,
            "updatedAt": updated,
            "revisionNumber": str(int(updated_at.timestamp())),
            "name": name,
            "fullName": full_name,
            "isActive": rng.random() > 0.15 and (parent is None or parent["isActive"]),
            "class": _ref(rng, CLASSES, 0x40000001) if rich else None,
            "parent": {"id": parent["id"], "fullName": parent["fullName"]} if parent else None,
            "sublevel": parent["sublevel"] + 1 if parent else 0,
            "companyName": (parent["companyName"] if parent else name) if rich or not parent else None,
            "salutation": rng.choice(["Mr.", "Ms.", "Dr.", None]) if rich else None,
            "firstName": first,
            "middleName": rng.choice([None, "J.", "A."]) if rich else None,
            "lastName": last,
            "jobTitle": rng.choice(["Owner", "Office Manager", "Controller", None]),
            "billingAddress": _address(rng, name) if rich or rng.random() < 0.5 else None,
            "shippingAddress": _address(rng, name) if rich else None,
            "alternateShippingAddresses": [
                {**_address(rng, name), "name": "Warehouse", "isDefaultShippingAddress": True}
            ]
            if rich and rng.random() < 0.3
            else [],
            "phone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}",
            "alternatePhone": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if rich else None,
            "fax": f"+1-555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if rich and rng.random() < 0.3 else None,
            "email": f"{email_name}@example.com" if rng.random() < 0.85 else None,
            "ccEmail": f"accounts@{name.lower().split()[0].strip('&')}.example.com" if rich else None,
            "contact": f"{first} {last}",
            "alternateContact": f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rich else None,
            "customContactFields": [{"name": "Mobile", "value": f"555-{rng.randint(1000, 9999)}"}] if rich else [],
            "additionalContacts": [self._contact(created_at, updated_at)] if rich and rng.random() < 0.5 else [],
            "customerType": _ref(rng, TYPES, 0x50000001) if rich else None,
            "terms": _ref(rng, TERMS, 0x60000001) if rich or rng.random() < 0.5 else None,
            "salesRepresentative": _ref(rng, REPS, 0x70000001) if rich else None,
            "balance": _money(balance),
            "totalBalance": _money(balance),  # children are added by _roll_up_totals
            "salesTaxCode": {"id": "20000001-1500000001", "fullName": rng.choice(["Tax", "Non"])} if rich else None,
            "salesTaxItem": {"id": "20000002-1500000002", "fullName": "State Sales Tax"} if rich else None,
            "salesTaxCountry": "us" if rich else None,
            "resaleNumber": str(rng.randint(100000000, 999999999)) if rich and rng.random() < 0.3 else None,
            "accountNumber": str(rng.randint(1000, 9999)) if rng.random() < 0.7 else None,
            "creditLimit": _money(Decimal(rng.choice([5000, 10000, 25000]))) if rich and rng.random() < 0.6 else None,
            "preferredPaymentMethod": _ref(rng, METHODS, 0x30000001) if rich else None,
            "creditCard": {
                "number": card_number,
                "expirationMonth": rng.randint(1, 12),
                "expirationYear": rng.randint(2025, 2030),
                "name": f"{first} {last}",
                "address": f"{rng.randint(10, 999)} {rng.choice(STREETS)}",
                "postalCode": rng.choice(CITIES)[2],
            }
            if card_number
            else None,
            "jobStatus": rng.choice(["in_progress", "awarded", "pending", "closed"])
            if parent
            else ("none" if rich else None),
            "jobStartDate": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}" if parent else None,
            "jobProjectedEndDate": f"2027-0{rng.randint(1, 9)}-2{rng.randint(0, 8)}" if parent else None,
            "jobEndDate": None,
            "jobDescription": f"{name} for {parent['name']}." if parent else None,
            "jobType": {"id": "10000001-1400000001", "fullName": "Installation"} if parent and rich else None,
            "note": rng.choice([None, "", "Prefers email over phone.", "Pays by the 10th.\nAsk for Maria."]),
            "additionalNotes": [
                {"id": 1, "date": "2026-03-02", "note": "Called about invoice 1042; promised payment Friday."},
                {"id": 2, "date": None, "note": "Moved to Net 30 after review."},
            ]
            if rich and rng.random() < 0.4
            else [],
            "preferredDeliveryMethod": rng.choice(["email", "mail", "none"]) if rich else None,
            "priceLevel": {"id": "90000001-1300000001", "fullName": "Gold Member Pricing"}
            if rich and rng.random() < 0.3
            else None,
            "externalId": f"{rng.getrandbits(32):08x}-abcd-4{rng.getrandbits(12):03x}-9abc-{rng.getrandbits(48):012x}"
            if rich
            else None,
            "taxRegistrationNumber": None,
            "currency": dict(self.currency) if self.currency else None,
            "customFields": [
                {
                    "ownerId": "0",
                    "name": "Customer Rating",
                    "type": "string_1024_type",
                    "value": rng.choice(["Gold", "Silver", "Bronze"]),
                },
                {"ownerId": "0", "name": "Discount", "type": "percent_type", "value": "5"},
            ]
            if rich and rng.random() < 0.5
            else [],
        }
        self.customers.append(record)
        return record

    def _contact(self, created: datetime, updated: datetime) -> dict:
        rng = self.rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return {
            "id": self._new_id(created),
            "objectType": "qbd_contact",
            "createdAt": created.isoformat(),
            "updatedAt": updated.isoformat(),
            "revisionNumber": str(int(updated.timestamp())),
            "name": f"{first} {last}",
            "salutation": rng.choice([None, "Mr.", "Ms."]),
            "firstName": first,
            "middleName": None,
            "lastName": last,
            "jobTitle": rng.choice(["Accounts Payable", "Site Manager", None]),
            "customContactFields": [{"name": "Direct line", "value": f"555-{rng.randint(1000, 9999)}"}],
        }


def _roll_up_totals(customers: list[dict]) -> None:
    """totalBalance = own balance + every descendant's balance."""
    by_full_name = {c["fullName"]: c for c in customers}
    totals = {c["fullName"]: Decimal(c["balance"]) for c in customers}
    for c in customers:
        parts = c["fullName"].split(":")
        for depth in range(1, len(parts)):
            ancestor = ":".join(parts[:depth])
            if ancestor in by_full_name:
                totals[ancestor] += Decimal(c["balance"])
    for c in customers:
        c["totalBalance"] = _money(totals[c["fullName"]])


def _company_customers(
    seed: int, id_base: int, businesses: list[str], people: int, currency: dict | None = None
) -> list[dict]:
    """Customers, jobs and sub-jobs; their balances are set by `_with_ledger`."""
    builder = _Builder(seed, id_base, currency)
    rng = builder.rng
    for business in businesses:
        top = builder.customer(business)
        for job_name in rng.sample(JOBS, rng.randint(0, 3)):
            job = builder.customer(job_name, parent=top)
            if rng.random() < 0.4:
                for sub in rng.sample(SUBJOBS, rng.randint(1, 2)):
                    builder.customer(sub, parent=job)
    for _ in range(people):
        builder.customer(f"{rng.choice(LAST)}, {rng.choice(FIRST)}", rich=False)
    # QuickBooks names are unique within a parent; keep the seed faithful to that.
    seen, unique = set(), []
    for c in builder.customers:
        if c["fullName"] not in seen:
            seen.add(c["fullName"])
            unique.append(c)
    return unique


def _with_ledger(customers: list[dict], seed: int, id_base: int, keep: tuple[str, ...] = ()) -> tuple[list, Ledger]:
    """The customers with activity that explains their balances (see ledger.py)."""
    today = datetime.now(ZONE).date()
    ledger = write_ledger(customers, seed, COMPANY_TIME_ZONE, today, id_base, keep=keep)
    _roll_up_totals(customers)
    # Cards on file: besides the random (often long expired) ones, one that expires at
    # the end of next month, so the page's "expires soon" shows whatever day it is.
    with_card = [c for c in customers if c["creditCard"] and c["id"] not in keep]
    if with_card:
        soon = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        with_card[0]["creditCard"].update(expirationMonth=soon.month, expirationYear=soon.year)
    return customers, ledger


def example_customers() -> list[dict]:
    """The contract's complete example customer, with its parent so its links resolve."""
    example = json.loads(EXAMPLE_CUSTOMER_PATH.read_text())
    parent = copy.deepcopy(example)
    parent.update(
        {
            "id": example["parent"]["id"] if example["parent"]["id"] != example["id"] else "80000001-1234567800",
            "name": "ABC Corporation",
            "fullName": "ABC Corporation",
            "parent": None,
            "sublevel": 0,
            "jobStatus": None,
            "jobStartDate": None,
            "jobProjectedEndDate": None,
            "jobEndDate": None,
            "jobDescription": None,
            "jobType": None,
        }
    )
    example = copy.deepcopy(example)
    example["parent"] = {"id": parent["id"], "fullName": parent["fullName"]}
    return [parent, example]


def large_company(number: int, customers: int, ledger: bool = False) -> Company:
    """A generated company of `customers` top-level customers with unique names, for the
    benchmark and for tests that need volume (end_usr_large01, end_usr_large02, …); with
    `ledger`, each with the activity that explains its balance (about five transactions
    each)."""
    builder = _Builder(1000 + number, 0x90000000 + number * 0x100000, None)
    for n in range(customers):
        rng = builder.rng
        builder.customer(f"{rng.choice(LAST)}, {rng.choice(FIRST)} {n:05d}")
    _roll_up_totals(builder.customers)
    books = Ledger()
    if ledger:
        _, books = _with_ledger(builder.customers, 1000 + number, 0x50000000 + number * 0x1000000)
    return Company(
        id=f"end_usr_large{number:02d}",
        company_name=f"Large Company {number}",
        source_id=f"large-{number}",
        email=f"books@large{number}.example.com",
        created_at="2025-01-15T09:00:00.000Z",
        customers=builder.customers,
        ledger=books,
    )


def seed_companies() -> list[Company]:
    examples = example_customers()
    # The bakery's file uses multiple currencies, so every customer names one (the
    # contract's example says USD); the other files do not, so none does.
    currency = examples[1]["currency"]
    # The contract's example keeps its own balance (tests compare the page with it).
    bakery, bakery_ledger = _with_ledger(
        examples + _company_customers(11, 0x80000100, BUSINESSES[:12], 14, currency),
        11,
        0x1A000000,
        keep=tuple(c["id"] for c in examples),
    )
    builders, builders_ledger = _with_ledger(_company_customers(22, 0x80000400, BUSINESSES[12:], 10), 22, 0x2A000000)
    dental, dental_ledger = _with_ledger(_company_customers(33, 0x80000700, BUSINESSES[3:8], 6), 33, 0x3A000000)
    return [
        Company(
            id="end_usr_demoBakery01",
            company_name="Fulton Street Bakery Group",
            source_id="acct-1001",
            email="books@fultonbakery.example.com",
            created_at="2025-03-04T10:00:00.000Z",
            customers=bakery,
            ledger=bakery_ledger,
        ),
        Company(
            id="end_usr_demoBuilders02",
            company_name="Northwind Builders LLC",
            source_id="acct-1002",
            email="office@northwind.example.com",
            created_at="2025-05-19T09:30:00.000Z",
            customers=builders,
            ledger=builders_ledger,
        ),
        Company(
            id="end_usr_demoDental03",
            company_name="Harbor Dental Partners",
            source_id="acct-1003",
            email="admin@harbordental.example.com",
            created_at="2025-08-02T14:12:00.000Z",
            state="offline",
            last_successful_request_at="2026-11-20T08:44:09.000Z",
            customers=dental,
            ledger=dental_ledger,
        ),
        Company(
            id="end_usr_demoGarden04",
            company_name="Sunrise Landscaping Co.",
            source_id="acct-1004",
            email="hello@sunrise.example.com",
            created_at="2026-11-01T12:00:00.000Z",
            state="not_set_up",
            last_successful_request_at=None,
        ),
    ]
