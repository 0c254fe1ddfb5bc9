import copy
import logging
from datetime import date
from decimal import Decimal

import pytest

from dashboard import identifiers
from dashboard.conductor import records
from dashboard.conductor.records import MalformedRecord, parse_customer
from tests.conftest import EXAMPLE_ID, nullable_customer_keys

NULLABLE = nullable_customer_keys()


def test_the_contract_lets_43_of_the_customers_keys_be_null():
    assert len(NULLABLE) == 43 and "creditCard" in NULLABLE and "id" not in NULLABLE


def test_it_parses_the_contract_example(example_customer):
    c = parse_customer(example_customer)
    assert c.id == "80000001-1234567890"
    assert c.full_name == "ABC Corporation:Website Redesign Project"
    assert c.is_job and c.sublevel == 1
    assert c.parent.full_name == "ABC Corporation"
    assert c.balance == Decimal("1000.00") and c.total_balance == Decimal("5000.00")
    assert c.credit_limit == Decimal("5000.00")
    assert c.job_start_date == date(2024, 1, 15)
    assert c.created_at.isoformat() == "2025-01-01T12:34:56+00:00"
    assert c.alternate_shipping_addresses[0].is_default_shipping is True
    assert c.additional_contacts[0].custom_contact_fields[0].value == "555-123-4567"
    assert c.additional_notes[0].date == date(2024, 1, 1)
    assert c.custom_fields[0].name == "Customer Rating"


def test_the_contract_lists_43_nullable_keys(example_customer):
    assert len(NULLABLE) == 43 and set(NULLABLE) <= set(example_customer)
    assert len(example_customer) == 56


def test_it_accepts_every_nullable_key_as_null(example_customer):
    for key in NULLABLE:
        example_customer[key] = None
    c = parse_customer(example_customer)
    assert c.credit_card is None and c.balance is None and c.alternate_shipping_addresses == ()


def test_it_reads_missing_nullable_keys_as_null_and_ignores_unknown_ones(example_customer):
    for key in NULLABLE:
        del example_customer[key]
    example_customer["aFieldFromTheFuture"] = {"x": 1}
    assert parse_customer(example_customer).email is None


@pytest.mark.parametrize("key", ["id", "name", "fullName"])
def test_it_rejects_a_record_without_its_id_or_names(example_customer, key):
    del example_customer[key]
    with pytest.raises(MalformedRecord, match=key):
        parse_customer(example_customer)


@pytest.mark.parametrize("key,value", [("id", 42), ("name", 42), ("fullName", ["a"])])
def test_it_rejects_an_id_or_a_name_of_the_wrong_type(example_customer, key, value):
    example_customer[key] = value
    with pytest.raises(MalformedRecord, match=key):
        parse_customer(example_customer)


@pytest.mark.parametrize(
    "key,value,unreadable",
    [
        ("isActive", "yes", "isActive"),
        ("sublevel", "1", "sublevel"),
        ("sublevel", 1.5, "sublevel"),
        ("balance", 12.5, "balance"),
        ("balance", "12,50", "balance"),
        ("balance", "1,000.00", "balance"),
        ("balance", "NaN", "balance"),
        ("balance", "1E+30", "balance"),
        ("balance", "0.000000001", "balance"),
        ("jobStartDate", "15/01/2024", "jobStartDate"),
        ("billingAddress", "540 Market St.", "billingAddress"),
        ("additionalNotes", {"id": 1}, "additionalNotes"),
        ("customFields", [None], "customFields[0]"),
        ("creditCard", {"number": 4111111111111111}, "creditCard.number"),
        ("createdAt", "yesterday", "createdAt"),
        ("class", ["x"], "class"),
        ("additionalContacts", [{"id": None, "name": "x"}], "additionalContacts[0]"),
    ],
)
def test_one_unreadable_field_leaves_the_rest_of_the_record_readable(example_customer, caplog, key, value, unreadable):
    example_customer[key] = value
    with caplog.at_level(logging.WARNING, logger="dashboard.conductor.records"):
        c = parse_customer(example_customer)
    assert c.unreadable == (unreadable,)
    # everything else is still there
    assert c.id == EXAMPLE_ID and c.email == example_customer["email"]
    assert (c.balance is None) == (key == "balance")
    # the log names the field, never its value
    assert unreadable in caplog.text
    assert "4111111111111111" not in caplog.text and "1,000.00" not in caplog.text and "yesterday" not in caplog.text


def test_a_level_that_cannot_be_read_is_taken_from_the_full_name(example_customer):
    example_customer["sublevel"] = "one"
    assert parse_customer(example_customer).sublevel == example_customer["fullName"].count(":")


@pytest.mark.parametrize("key,value", [("jobStatus", "on_hold"), ("preferredDeliveryMethod", "fax")])
def test_an_enum_value_the_contract_does_not_list_is_kept_as_it_came(example_customer, key, value):
    example_customer[key] = value
    c = parse_customer(example_customer)
    assert c.unreadable == ()
    assert getattr(c, {"jobStatus": "job_status", "preferredDeliveryMethod": "preferred_delivery_method"}[key]) == value


@pytest.mark.parametrize("body", [None, [], "customer", 3, {"objectType": "qbd_invoice"}])
def test_it_rejects_what_is_not_a_customer(body):
    with pytest.raises(MalformedRecord):
        parse_customer(body)


@pytest.mark.parametrize(
    "number,expected",
    [
        ("xxxxxxxxxxxx1234", "1234"),
        ("4111111111111111", "1111"),
        ("4111 1111 1111 2222", "2222"),
        ("4111-1111-1111-3333", "3333"),
        ("XXXX-XXXX-XXXX-98", "98"),
        ("card on file", None),
        ("", None),
        (None, None),
        ("１２３４５６７８", None),  # full-width digits are not card digits
    ],
)
def test_it_keeps_only_the_last_four_digits_of_a_card(example_customer, number, expected):
    example_customer["creditCard"]["number"] = number
    card = parse_customer(example_customer).credit_card
    assert card.last_four == expected
    assert not hasattr(card, "number")


@pytest.mark.parametrize(
    "value,ok",
    [
        ("80000001-1234567890", True),
        ("8000000A-1234567890", True),
        ("1-2", True),
        ("", False),
        ("80000001", False),
        ("80000001-12345678901234567890", False),
        ("../80000001-1", False),
        ("80000001-1/..", False),
        ("80000001-1%2F", False),
        ("80000001-１２３", False),
        ("80000001-123\n", False),
        ("G0000001-123", False),
        ("8" * 16 + "-" + "1" * 19 + "1", False),
    ],
)
def test_it_validates_customer_ids(value, ok):
    assert identifiers.is_valid_customer_id(value) is ok


@pytest.mark.parametrize(
    "value,ok",
    [
        ("end_usr_1234567abcdefg", True),
        ("end_usr_", False),
        ("end_usr_abc/../x", False),
        ("usr_123", False),
        ("end_usr_abc\n", False),
        ("end_usr_" + "a" * 65, False),
    ],
)
def test_it_validates_conductor_ids(value, ok):
    assert identifiers.is_valid_conductor_id(value) is ok


def test_it_masks_secret_keys():
    assert identifiers.mask_secret_key("sk_conductor_0123456789abcdef1234") == "sk_conductor_…1234"
    assert identifiers.mask_secret_key("sk_conductor_short") == "sk_conductor_…"


def test_it_parses_end_users_and_health_checks():
    body = {
        "objectType": "list",
        "url": "/v1/end-users",
        "data": [
            {
                "id": "end_usr_1",
                "objectType": "end_user",
                "createdAt": "2024-01-01T12:34:56.789Z",
                "companyName": "Acme",
                "sourceId": "s1",
                "email": "a@b.c",
                "integrationConnections": [
                    {
                        "id": "int_conn_1",
                        "objectType": "integration_connection",
                        "createdAt": "2024-01-01T12:34:56.789Z",
                        "integrationSlug": "quickbooks_desktop",
                        "lastRequestAt": None,
                        "lastSuccessfulRequestAt": None,
                    }
                ],
            }
        ],
    }
    [end_user] = records.parse_end_user_list(body)
    assert end_user.company_name == "Acme"
    assert end_user.integration_connections[0].last_successful_request_at is None
    assert records.parse_health_check({"duration": 100, "status": "ok"}).duration_ms == 100
    with pytest.raises(MalformedRecord):
        records.parse_end_user_list({"data": [{"id": "not-an-end-user"}]})
    with pytest.raises(MalformedRecord):
        records.parse_health_check({"status": "ok"})


def test_it_does_not_mutate_its_input(example_customer):
    before = copy.deepcopy(example_customer)
    parse_customer(example_customer)
    assert example_customer == before
