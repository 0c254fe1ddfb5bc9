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


def test_the_sections_hold_every_field_of_the_example(example_customer):
    s = p.customer_sections(parse_customer(example_customer))
    labels = {section: [r.label for r in rows] for section, rows in s.items()}
    assert labels["identity"] == ["Company", "Customer type", "Class", "Account number"]
    assert "Email" in labels["contact"] and "Main Phone" in labels["contact"]
    assert labels["terms"] == ["Terms", "Sales rep", "Price level", "Preferred payment", "Preferred delivery"]
    assert labels["sales_tax"] == ["Tax code", "Tax item", "Tax country", "Resale number", "Tax registration number"]
    assert labels["job"] == ["Job status", "Job type", "Start date", "Projected end", "End date", "Description"]
    assert s["job"][0].value == "In progress"


def test_a_contact_is_headed_by_its_name_with_the_full_name_beside(example_customer):
    [card] = p.contact_cards(parse_customer(example_customer))
    assert card.name == "Jane Smith"
    assert card.rows[0] == p.Row("Full name", "Dr. John A. Doe")


def test_a_contact_without_a_name_falls_back_to_the_persons_name(example_customer):
    example_customer["additionalContacts"][0].update(name=None, salutation=None, middleName=None)
    [card] = p.contact_cards(parse_customer(example_customer))
    assert card.name == "John Doe" and card.rows[0].label == "Job title"
