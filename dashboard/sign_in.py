"""Sign-in throttling around django-axes: the real client address, and a limit per address
across usernames.

- Behind the load balancer every request comes from the balancer's address. The client's
  own address is read from X-Forwarded-For only when TRUSTED_PROXY_COUNT says how many
  proxies of ours append to it (the address that many entries from the right); a client
  can put anything at the left of that header, so without the setting it is ignored.
- django-axes locks a username *from one address* after LOGIN_FAILURE_LIMIT failures: the
  attacker's address is slowed, and the person signs in from their own address as usual.
- One address trying many usernames (password spraying) is stopped here: more than
  LOGIN_ADDRESS_FAILURE_LIMIT failures from an address, whatever the usernames, locks the
  address for LOGIN_LOCKOUT_MINUTES.
"""

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from dashboard.caching.counters import count_up
from dashboard.caching.freshness import cache_key


def client_address(request: HttpRequest) -> str:
    """The address of the person's computer, as far as our own proxies vouch for it."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if hops <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    if len(entries) < hops:
        return remote
    candidate = entries[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def _failures_key(address: str) -> str:
    return cache_key("sign-in-failures", address)


def _failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any) -> None:
    if request is None:
        return
    count_up(_failures_key(client_address(request)), timeout=settings.LOGIN_LOCKOUT_MINUTES * 60)


class AddressThrottleBackend:
    """Refuses every sign-in from an address over its failure limit, before any password
    is checked (and tells django-axes, whose middleware shows the lockout page).

    Only `authenticate`: no `get_user` or permission methods, so it never stands for a
    signed-in user (Django's test client and sessions pick the first backend with them)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        failures = cache.get(_failures_key(client_address(request)), 0)
        if failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            raise PermissionDenied("Too many failed sign-ins from this address.")
        return None


def connect_signals() -> None:
    user_login_failed.connect(_failed, dispatch_uid="sign-in-failures-per-address")
