"""A customer with odd data still opens: unknown enum values read humanised, one bad
field reads "unreadable" with the rest of the page intact; only a record without its id
or name is a malformed answer. Ids typed in lower case are put right before any call."""

import re

import pytest

from tests.conftest import BAKERY, EXAMPLE_ID

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"
RETRIEVE = "GET /quickbooks-desktop/customers/{id}"


def text_of(response) -> str:
    """The page's words as a reader sees them (a <wbr> is a place to wrap, not a space)."""
    html = response.content.decode().replace("<wbr>", "")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def example(fake) -> dict:
    customer = fake.state.companies[BAKERY].customers[1]
    assert customer["id"] == EXAMPLE_ID
    return customer


@pytest.mark.parametrize(
    "key,value,shown",
    [("jobStatus", "on_hold", "On hold"), ("preferredDeliveryMethod", "carrier_pigeon", "Carrier pigeon")],
)
def test_an_enum_value_added_later_is_shown_humanised(support_client, company, fake, key, value, shown):
    example(fake)[key] = value
    response = support_client.get(URL)
    assert response.status_code == 200
    assert shown in text_of(response)


def test_a_malformed_amount_reads_unreadable_and_the_rest_of_the_page_stays(support_client, company, fake, caplog):
    example(fake)["balance"] = "1,000.00"
    response = support_client.get(URL)
    assert response.status_code == 200
    text = text_of(response)
    assert "this job alone unreadable" in text  # the figure, in place
    assert "they show as “unreadable”: Balance" in text  # and the notice naming it
    assert example(fake)["email"] in text and "Balance incl. jobs 1,000.00" in text
    assert "1,000.00" not in caplog.text and "balance" in caplog.text


def test_a_bad_field_deep_in_an_address_is_named_in_words(support_client, company, fake):
    example(fake)["billingAddress"] = {**example(fake)["billingAddress"], "postalCode": 94107}
    text = text_of(support_client.get(URL))
    assert "Billing address: postal code" in text
    assert "San Francisco" in text or example(fake)["billingAddress"]["city"] in text


def test_a_status_that_cannot_be_read_says_so(support_client, company, fake):
    example(fake)["isActive"] = "yes"
    text = text_of(support_client.get(URL))
    assert "Status unreadable" in text


# (without an id the fake could not find it; the parser's own tests cover that case)
@pytest.mark.parametrize("key", ["name", "fullName"])
def test_a_record_without_its_names_is_a_malformed_answer(support_client, company, fake, key):
    example(fake)[key] = None
    response = support_client.get(URL)
    assert response.status_code == 502
    assert "unreadable answer" in text_of(response)


def test_a_lower_case_id_is_put_right_before_any_call(support_client, company, fake):
    typed = EXAMPLE_ID.lower().replace("80000001", "8000000a")
    response = support_client.get(f"/end-users/{BAKERY}/customers/{typed}/?refresh=1")
    assert response.status_code == 301
    assert response["Location"] == f"/end-users/{BAKERY}/customers/{typed.upper()}/?refresh=1"
    assert fake.stats == {}


def test_the_jump_box_puts_a_lower_case_id_right_too(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "8000000a-1234567890"})
    assert response["Location"] == f"/end-users/{BAKERY}/customers/8000000A-1234567890/"
    assert fake.stats == {}
