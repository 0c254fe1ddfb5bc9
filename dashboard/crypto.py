"""Encryption of stored secrets (Conductor keys) with rotatable Fernet keys.

MultiFernet encrypts with the first key of settings.ENCRYPTION_KEYS and decrypts
with any of them, so an operator can rotate by putting a new key in front and
re-encrypting. A stored value that no configured key opens raises
UnreadableSecret, which admin and views turn into a plain message.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UnreadableSecret(Exception):
    """A stored secret could not be decrypted with any configured key."""

    def __init__(self) -> None:
        super().__init__(
            "This stored secret cannot be decrypted with the configured ENCRYPTION_KEYS. "
            "Restore the key it was saved with, or enter the secret again."
        )


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise UnreadableSecret() from None


def reencrypt(token: str) -> str:
    """The same secret under the current first key (for key rotation)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        raise UnreadableSecret() from None
