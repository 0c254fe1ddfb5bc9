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
  address for LOGIN_LOCKOUT_MINUTES. The failures are counted from django-axes' own
  access attempts in the database, not kept apart: what admin lists as lockouts is what
  locks, and clearing attempts there (or `manage.py axes_reset`, `axes_reset_ip ADDRESS`)
  unlocks the address too. (It also holds while the cache is away.)
"""

import ipaddress
from datetime import timedelta
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


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


def address_failures(address: str) -> int:
    """Failed sign-ins from `address` within the lockout window, whatever the usernames
    (django-axes keeps one access attempt per username, address and browser)."""
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    attempts = AccessAttempt.objects.filter(ip_address=address or None, attempt_time__gte=since)
    return int(attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0)


class AddressThrottleBackend:
    """Refuses every sign-in from an address over its failure limit, before any password
    is checked (and tells django-axes, whose middleware shows the lockout page).

    Only `authenticate`: no `get_user` or permission methods, so it never stands for a
    signed-in user (Django's test client and sessions pick the first backend with them)."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> None:
        if request is None:
            return None
        if address_failures(client_address(request)) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            raise PermissionDenied("Too many failed sign-ins from this address.")
        return None
