"""Keys for the lookup API (dashboard/api.py): issued and revoked in admin, each acting as
its user. Only a key's SHA-256 is stored: a key is long and random, so a slow password
hash would add nothing, and a fast one lets every call be checked by one indexed query."""

import hashlib
import secrets

from django.contrib.auth.models import User
from django.utils import timezone

from dashboard.models import ApiToken

PREFIX = "dsh_"
# A token's last use is written at most this often (not a database write per call).
LAST_USED_EVERY_SECONDS = 60


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def give_key(token: ApiToken) -> str:
    """A new key for a token not saved yet: its hash and hint are set on the token, the
    key itself is returned, to be shown once and never stored."""
    key = PREFIX + secrets.token_urlsafe(32)
    token.key_hash, token.key_hint = _digest(key), key[:8] + "…"
    return key


def issue(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its key."""
    token = ApiToken(name=name, user=user)
    key = give_key(token)
    token.save()
    return token, key


def verify(key: str) -> ApiToken | None:
    """The usable token with this key, or None (unknown, revoked, or its user inactive)."""
    if not key.startswith(PREFIX) or len(key) > 100:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=_digest(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > LAST_USED_EVERY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
