from dataclasses import dataclass
from decimal import Decimal

import pytest

from dashboard import presentation as p
from dashboard.conductor.records import Address, CreditCard, parse_customer


@pytest.mark.parametrize(
    "amount,text,credit",
    [
        ("1000.00", "1,000.00", False),
        ("0", "0.00", False),
        ("-250.5", "250.50", True),
        ("1234567.891", "1,234,567.891", False),
        ("0.10", "0.10", False),
        ("99999999999999999.99", "99,999,999,999,999,999.99", False),
        ("1E+3", "1,000.00", False),
        ("-123456789012345678901234567890.12", "123,456,789,012,345,678,901,234,567,890.12", True),
    ],
)
def test_it_formats_money_exactly(amount, text, credit):
    m = p.money(Decimal(amount))
    assert (m.text, m.is_credit) == (text, credit)


def test_money_of_nothing_is_nothing():
    assert p.money(None) is None


def _card(last_four="1234", **changes):
    base = {
        "last_four": last_four,
        "expiration_month": 3,
        "expiration_year": 2027,
        "name": "Jo",
        "address": None,
        "postal_code": None,
    }
    return CreditCard(**{**base, **changes})


@pytest.mark.parametrize(
    "last_four,shown",
    [
        ("1234", "•••• 1234"),
        ("41111111111111114444", "•••• 4444"),
        ("12", "•••• 12"),
        (None, "••••"),
        ("<b>9</b>", "•••• 9"),
    ],
)
def test_it_never_shows_more_than_four_card_digits(last_four, shown):
    display = p.card_display(_card(last_four))
    assert display.number == shown
    assert display.expiry == "03/2027"


def test_an_empty_card_is_not_shown():
    assert p.card_display(CreditCard(None, None, None, None, None, None)) is None
    assert p.card_display(None) is None


def test_address_lines_drop_blanks_and_join_the_locality():
    address = Address("Acme", "", None, "  ", None, "Austin", "TX", "78701", "US", None)
    assert p.address_lines(address) == ["Acme", "Austin, TX 78701", "US"]
    assert p.address_lines(Address(*[None] * 10)) == []


def test_the_marked_alternate_address_is_the_default(example_customer):
    cards = p.address_cards(parse_customer(example_customer))
    assert [c.title for c in cards] == ["Billing address", "Shipping address", "Alternate shipping address"]
    assert [c.is_default for c in cards] == [False, False, True]


def test_without_a_marked_alternate_the_shipping_address_is_the_default(example_customer):
    example_customer["alternateShippingAddresses"][0]["isDefaultShippingAddress"] = False
    cards = p.address_cards(parse_customer(example_customer))
    assert [c.is_default for c in cards] == [False, True, False]


def test_empty_addresses_are_left_out(example_customer):
    example_customer["billingAddress"] = dict.fromkeys(example_customer["billingAddress"])
    example_customer["shippingAddress"] = None
    example_customer["alternateShippingAddresses"] = []
    assert p.address_cards(parse_customer(example_customer)) == []


def test_rows_leave_out_null_and_blank_values():
    rows = p.rows(("A", None), ("B", ""), ("C", "  "), ("D", "x"), ("E", []))
    assert rows == [p.Row("D", "x")]


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        ("email", "customer@example.com", "email"),
        ("email", "javascript:alert(1)//@x.com", "text"),
        ("email", "<script>@x.com", "text"),
        ("email", "not an email", "text"),
        ("phone", "+1-555-123-4567", "phone"),
        ("phone", "javascript:alert(1)", "text"),
        ("phone", "ask reception", "text"),
    ],
)
def test_only_real_addresses_and_numbers_become_links(kind, value, expected):
    assert p.link_kind(kind, value) == expected


def test_the_sections_hold_every_field_the_header_does_not_say(example_customer):
    customer = parse_customer(example_customer)
    s = p.customer_sections(customer)
    labels = {section: [r.label for r in rows] for section, rows in s.items()}
    assert labels["identity"] == ["Company", "Customer type", "Class", "Account number"]
    # The header says the contact (Jane Smith), the phone, the email and the terms.
    header = p.customer_header(customer)
    assert (header.contact, header.phone.value, header.email.value, header.terms) == (
        "Jane Smith",
        "+1-555-123-4567",
        "customer@example.com",
        "Net 30",
    )
    assert labels["contact"] == [
        "Name",
        "Job title",
        "Alternate phone",
        "Fax",
        "CC email",
        "Alternate contact",
        "Main Phone",
    ]
    assert labels["terms"] == [
        "Credit limit",
        "Currency",
        "Sales rep",
        "Price level",
        "Preferred payment",
        "Preferred delivery",
        "Name on card",
        "Card billing address",
        "Card postal code",
    ]
    assert s["terms"][0] == p.Row("Credit limit", p.Money("5,000.00", False), "money")
    assert labels["sales_tax"] == ["Tax code", "Tax item", "Tax country", "Resale number", "Tax registration number"]
    # A job's status is a badge in the header; its other facts are here.
    assert labels["job"] == ["Job type", "Start date", "Projected end", "End date", "Description"]


def test_what_the_header_cannot_read_is_said_in_its_section(example_customer):
    example_customer["phone"] = 5551234  # not text: unreadable, so the header has no phone
    example_customer["terms"] = None
    example_customer["creditLimit"] = None
    customer = parse_customer(example_customer)
    assert p.customer_header(customer).phone is None
    s = p.customer_sections(customer)
    assert p.Row("Phone", p.UNREADABLE, "unreadable") in s["contact"]
    assert "Terms" not in [r.label for r in s["terms"]]  # no terms: the header's dash says it
    assert p.Row("Credit limit", "No limit", "text") in s["terms"]


def test_a_customer_that_is_not_a_job_keeps_its_job_status_line(example_customer):
    example_customer.update(sublevel=0, parent=None, fullName=example_customer["name"])
    job = p.customer_sections(parse_customer(example_customer))["job"]
    assert job[0] == p.Row("Job status", "In progress")


def test_a_customer_that_is_not_a_job_has_no_job_status_line(example_customer):
    example_customer["jobStatus"] = "none"
    job = p.customer_sections(parse_customer(example_customer))["job"]
    assert "Job status" not in [r.label for r in job]


def test_a_contact_is_headed_by_its_name_with_the_full_name_beside(example_customer):
    [card] = p.contact_cards(parse_customer(example_customer))
    assert card.name == "Jane Smith"
    assert card.rows[0] == p.Row("Full name", "Dr. John A. Doe")


def test_a_contact_without_a_name_falls_back_to_the_persons_name(example_customer):
    example_customer["additionalContacts"][0].update(name=None, salutation=None, middleName=None)
    [card] = p.contact_cards(parse_customer(example_customer))
    assert card.name == "John Doe" and card.rows[0].label == "Job title"


# --- the walk-through: say each thing once, link every number and address -------------


def test_an_address_identical_to_an_earlier_one_says_same_as(example_customer):
    example_customer["shippingAddress"] = dict(example_customer["billingAddress"])
    cards = p.address_cards(parse_customer(example_customer))
    assert cards[1].title == "Shipping address" and cards[1].same_as == "Billing address"
    assert cards[0].same_as is None
    example_customer["alternateShippingAddresses"][0]["line2"] = "Dock 4"
    cards = p.address_cards(parse_customer(example_customer))
    assert [c.same_as for c in cards] == [None, "Billing address", None]


def test_name_and_contact_that_are_one_person_are_shown_once_the_fuller_in_the_header(example_customer):
    example_customer["contact"] = "John Doe"  # the name is "Dr. John A. Doe"
    customer = parse_customer(example_customer)
    assert p.customer_header(customer).contact == "Dr. John A. Doe"
    labels = [r.label for r in p.customer_sections(customer)["contact"]]
    assert "Contact" not in labels and "Name" not in labels


def test_a_contact_who_is_another_person_is_kept(example_customer):
    customer = parse_customer(example_customer)
    assert p.customer_header(customer).contact == "Jane Smith"
    values = {r.label: r.value for r in p.customer_sections(customer)["contact"]}
    assert values["Name"] == "Dr. John A. Doe" and "Contact" not in values


@pytest.mark.parametrize(
    "a,b,same",
    [
        ("Mr. Felix J. Haddad", "Felix Haddad", True),
        ("Felix Haddad", "felix  haddad", True),
        ("Felix Haddad", "Amara Nguyen", False),
        ("Felix Haddad", "Felix Nguyen", False),
    ],
)
def test_same_person(a, b, same):
    assert p.same_person(a, b) is same


def test_the_company_line_is_left_out_when_it_is_the_customers_own_name(example_customer):
    example_customer["companyName"] = example_customer["name"].upper()
    identity = p.customer_sections(parse_customer(example_customer))["identity"]
    assert "Company" not in [r.label for r in identity]


@pytest.mark.parametrize(
    "name,value,kind",
    [
        ("Main Phone", "555-123-4567", "phone"),
        ("Mobile", "555-6082", "phone"),
        ("Alt. Mobile", "+1 (555) 222-0101", "phone"),
        ("Main Email", "ops@example.com", "email"),
        ("Website", "www.example.com", "text"),
        ("Mobile", "ask reception", "text"),
        ("Direct line", "555-2643", "phone"),
        ("Front desk", "+1 (555) 222-0101", "phone"),
        ("Member number", "12345678", "text"),
        ("Gate code", "4711", "text"),
    ],
)
def test_every_phone_number_and_email_among_the_contact_fields_is_a_link(example_customer, name, value, kind):
    example_customer["customContactFields"] = [{"name": name, "value": value}]
    contact = p.customer_sections(parse_customer(example_customer))["contact"]
    [row] = [r for r in contact if r.label == name]
    assert row.kind == kind


def test_a_time_in_another_zone_keeps_quickbooks_own_clock(settings):
    from datetime import datetime

    settings.TIME_ZONE = "UTC"
    moment = p.timestamp(datetime.fromisoformat("2026-11-20T08:44:00-05:00"))
    assert moment.local.isoformat() == "2026-11-20T13:44:00+00:00"
    assert moment.source_clock == "Nov 20, 08:44 UTC−05:00"
    assert p.timestamp(datetime.fromisoformat("2026-11-20T13:44:00+00:00")).source_clock is None
    assert p.timestamp(None) is None


@dataclass(frozen=True)
class _Listed:
    """A row as a list shows it (presentation.Listed), from its full name alone."""

    full_name: str
    company_name: str | None = None
    phone: str | None = None
    email: str | None = None
    balance: Decimal | None = None
    total_balance: Decimal | None = None
    is_active: bool | None = True
    job_status: str | None = None

    @property
    def id(self) -> str:
        return f"id-{self.full_name}"

    @property
    def name(self) -> str:
        return self.full_name.rsplit(":", 1)[-1]

    @property
    def sublevel(self) -> int:
        return self.full_name.count(":")


def _layout(rows):
    return [(r.name, r.depth, r.parent_path) for r in rows]


def test_a_job_sits_under_its_parent_only_when_the_parent_is_the_row_above():
    rows = p.result_rows(
        [
            _Listed("Acme"),
            _Listed("Acme:Roof"),
            _Listed("Acme:Roof:Phase 2"),
            _Listed("Acme:Yard"),
            _Listed("Bolt"),
            # the parent "Cedar" is inactive, so not in a list of active customers
            _Listed("Cedar:Kitchen"),
            _Listed("Cedar:Kitchen:Tiles"),
            _Listed("Dune"),
        ]
    )
    assert _layout(rows) == [
        ("Acme", 0, None),
        ("Roof", 1, None),
        ("Phase 2", 2, None),
        ("Yard", 1, None),
        ("Bolt", 0, None),
        ("Kitchen", 0, "Cedar"),  # never an orphan indent under "Bolt"
        ("Tiles", 1, None),
        ("Dune", 0, None),
    ]


def test_a_job_under_its_parent_row_does_not_repeat_the_parents_company():
    rows = p.result_rows(
        [
            _Listed("ABC Corp", company_name="Acme Holdings"),
            _Listed("ABC Corp:Website", company_name="Acme Holdings"),
            _Listed("ABC Corp:Roof", company_name="Roofers Inc"),
        ]
    )
    assert [r.company_name for r in rows] == ["Acme Holdings", None, "Roofers Inc"]
    jobs = p.result_rows([_Listed("ABC Corp:Website", company_name="Acme Holdings")], "ABC Corp", "Acme Holdings")
    assert jobs[0].company_name is None


def test_a_customers_own_jobs_start_at_the_left_without_repeating_its_name():
    rows = p.result_rows([_Listed("Acme:Roof"), _Listed("Acme:Roof:Phase 2"), _Listed("Acme:Yard")], within="Acme")
    assert _layout(rows) == [("Roof", 0, None), ("Phase 2", 1, None), ("Yard", 0, None)]


def test_a_result_row_shows_only_what_is_not_the_usual():
    same = p.result_row(_Listed("Acme Corp", company_name="ACME corp", phone="+1-555-123-4567", email="a@b.co"))
    assert same.company_name is None and same.status is None
    assert (same.phone_kind, same.email_kind) == ("phone", "email")
    other = p.result_row(_Listed("Acme Corp", company_name="Acme Holdings", is_active=False, email="<b>@x"))
    assert other.company_name == "Acme Holdings" and other.status.label == "Inactive"
    assert other.email_kind == "text"
    assert p.result_row(_Listed("Acme Corp", is_active=None)).status.label == "Status unreadable"
    assert p.result_row(_Listed("Acme Corp:Roof", company_name="Acme Corp")).company_name is None  # its customer's
    assert p.result_row(_Listed("Acme:Roof", job_status="none")).job_status is None
    assert p.result_row(_Listed("Acme:Roof", job_status="in_progress")).job_status == "In progress"


def test_an_email_wraps_only_at_its_at_sign_and_dots():
    from dashboard.templatetags.display import email_breaks

    assert email_breaks("customer@example.com") == "customer@<wbr>example<wbr>.com"
    assert email_breaks("<b>@x.com") == "&lt;b&gt;@<wbr>x<wbr>.com"
