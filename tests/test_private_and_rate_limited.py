"""Every response that names a company or a customer is private, whatever its status; and
Conductor limiting us is its own page with Retry-After, not "change the search"."""

import pytest

from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID, clock_moved_on

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"


@pytest.mark.parametrize(
    "path,fault,status",
    [
        (URL, Fault(customer_id=EXAMPLE_ID, error="not_found"), 404),
        (URL, Fault(customer_id=EXAMPLE_ID, error="qbd_offline"), 503),
        (URL, Fault(customer_id=EXAMPLE_ID, error="authentication"), 502),
        (f"/end-users/{BAKERY}/jump/?to=Nobody+Such", None, 404),
        (f"/end-users/{BAKERY}/customers/?balance=min&min_balance=lots", None, 400),
        (f"/end-users/{BAKERY}/customers/not-an-id/", None, 404),
        (f"/end-users/{BAKERY}/customers/{EXAMPLE_ID.lower().replace('8', 'a', 1)}/", None, 301),
        ("/end-users/end_usr_nobody/customers/", None, 404),
        ("/?q=" + "x" * 500, None, 400),
    ],
)
def test_every_staff_response_is_private_whatever_its_status(support_client, company, fake, path, fault, status):
    if fault:
        fake.faults.add(fault)
    response = support_client.get(path)
    assert response.status_code == status
    assert response["Cache-Control"] == "private, no-store"


def test_a_rate_limit_gets_its_own_page_with_retry_after(support_client, company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="rate_limited", retry_after=7))
    response = support_client.get(URL)
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    body = response.content.decode()
    assert "Conductor is limiting requests" in body and "try again in 7 s" in body
    assert "Change the search" not in body


def test_a_rate_limit_without_retry_after_says_a_minute(support_client, company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="rate_limited"))
    response = support_client.get(URL)
    assert response.status_code == 503 and response["Retry-After"] == "60"


def test_a_rate_limit_shows_a_saved_copy_when_there_is_one(support_client, company, fake):
    assert support_client.get(URL).status_code == 200
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="rate_limited", retry_after=5))
    with clock_moved_on(600):
        response = support_client.get(URL)
    assert response.status_code == 200
    assert "Conductor is limiting requests right now." in response.content.decode()


def test_a_refusal_and_the_way_to_sign_in_are_private_too(client, db, company):
    from django.contrib.auth.models import User

    anonymous = client.get(URL)  # its next= names the company and the customer
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    assert anonymous["Cache-Control"] == "private, no-store"
    client.force_login(User.objects.create_user("visitor", password="pw-for-tests-only"))
    refused = client.get(URL)  # signed in, without the dashboard's permission
    assert refused.status_code == 403 and refused["Cache-Control"] == "private, no-store"
    assert client.get("/accounts/login/")["Cache-Control"].count("no-store") == 1


def test_static_files_keep_their_own_caching(client, settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # served without collectstatic
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("method", ["options", "trace", "post", "put", "delete"])
def test_staff_pages_answer_only_the_methods_they_serve(support_client, company, fake, method):
    response = getattr(support_client, method)(URL)
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"
    assert fake.stats == {}
