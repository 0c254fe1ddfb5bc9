"""Sign-in throttling: a username is locked from the attacker's address, not everywhere;
one address trying many usernames is stopped; behind our proxies the client's own address
is what counts, and only when we say how many proxies to trust."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from django.urls import reverse

from dashboard.sign_in import client_address

RIGHT = "right-password-123"


def sign_in(client: Client, username: str, password: str, **headers: Any):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


@pytest.fixture
def sam(db):
    return User.objects.create_user("sam", password=RIGHT)


def test_a_username_locked_from_one_address_still_signs_in_from_another(sam, settings):
    settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        sign_in(attacker, "sam", "guess")
    assert sign_in(attacker, "sam", RIGHT).status_code == 429  # the attacker's address is slowed
    victim = Client(REMOTE_ADDR="198.51.100.7")
    response = sign_in(victim, "sam", RIGHT)
    assert response.status_code == 302 and victim.session["_auth_user_id"] == str(sam.pk)


def test_one_address_trying_many_usernames_is_stopped(sam, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for username in ("ann", "bob", "cat"):
        for _ in range(3):  # under the per-username limit every time
            sign_in(sprayer, username, "Winter2026!")
    response = sign_in(sprayer, "sam", RIGHT)  # even the right password, from that address
    assert response.status_code == 429
    assert "_auth_user_id" not in sprayer.session
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), "sam", RIGHT).status_code == 302


def test_behind_the_balancer_each_person_is_their_own_address(sam, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    balancer = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(3):
        sign_in(attacker, "sam", "guess")
    assert sign_in(attacker, "sam", RIGHT).status_code == 429
    victim = Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert sign_in(victim, "sam", RIGHT).status_code == 302


def test_without_trusting_the_proxy_everyone_behind_it_shares_one_address(sam, settings):
    settings.AXES_FAILURE_LIMIT = 3
    balancer = "10.0.0.2"
    for _ in range(3):
        sign_in(Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR="203.0.113.9"), "sam", "guess")
    victim = Client(REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert sign_in(victim, "sam", RIGHT).status_code == 429  # why TRUSTED_PROXY_COUNT exists


@pytest.mark.parametrize(
    "forwarded,count,expected",
    [
        ("198.51.100.7", 1, "198.51.100.7"),
        ("1.2.3.4, 198.51.100.7", 1, "198.51.100.7"),  # what the client wrote itself is ignored
        ("1.2.3.4, 198.51.100.7, 10.0.0.5", 2, "198.51.100.7"),
        ("198.51.100.7", 0, "10.0.0.2"),  # not trusted: the connecting address
        ("not-an-address", 1, "10.0.0.2"),
        ("198.51.100.7", 2, "10.0.0.2"),  # fewer entries than proxies: not from our proxies
    ],
)
def test_the_client_address(settings, forwarded, count, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def spray(settings) -> Client:
    """An address that tried many usernames until it was locked."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    sprayer = Client(REMOTE_ADDR="203.0.113.9")
    for username in ("ann", "bob", "cat"):
        for _ in range(3):
            sign_in(sprayer, username, "Winter2026!")
    assert sign_in(sprayer, "sam", RIGHT).status_code == 429
    return sprayer


def test_an_admin_clears_an_address_lock_by_deleting_its_attempts(sam, settings, admin_client):
    from axes.models import AccessAttempt

    sprayer = spray(settings)
    listed = admin_client.get(reverse("admin:axes_accessattempt_changelist"), {"ip_address": "203.0.113.9"})
    assert all(name in listed.content.decode() for name in ("ann", "bob", "cat"))  # the lock, as admin sees it
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    assert sign_in(sprayer, "sam", RIGHT).status_code == 302


@pytest.mark.parametrize("command", [["axes_reset"], ["axes_reset_ip", "203.0.113.9"]])
def test_axes_reset_clears_an_address_lock(sam, settings, command):
    from django.core.management import call_command

    sprayer = spray(settings)
    call_command(*command, stdout=StringIO())
    assert sign_in(sprayer, "sam", RIGHT).status_code == 302


def test_an_address_lock_ends_with_the_lockout_window(sam, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    sprayer = spray(settings)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1))
    assert sign_in(sprayer, "sam", RIGHT).status_code == 302
