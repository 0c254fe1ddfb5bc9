"""What Conductor's ids and keys look like: checked before any call, masked for display.

A malformed id never reaches Conductor (nor a cache key, nor a log line as a path).
"""

import re

# A QuickBooks ListID: hex, a dash, digits ("80000001-1234567890"); at most 36
# characters. ASCII only, so unicode digits and lookalikes never pass.
_CUSTOMER_ID = re.compile(r"[0-9A-Fa-f]{1,16}-[0-9]{1,19}", re.ASCII)
CUSTOMER_ID_MAX_LENGTH = 36
_END_USER_ID = re.compile(r"end_usr_[A-Za-z0-9]{1,64}", re.ASCII)


def is_valid_customer_id(value: str) -> bool:
    return len(value) <= CUSTOMER_ID_MAX_LENGTH and _CUSTOMER_ID.fullmatch(value) is not None


def is_valid_end_user_id(value: str) -> bool:
    return _END_USER_ID.fullmatch(value) is not None


# Current secret keys start sk_conductor_ (older ones sk_test_/sk_live_); publishable
# keys, used only to create setup links, start pk_.
SECRET_KEY_PREFIXES = ("sk_conductor_", "sk_test_", "sk_live_")
PUBLISHABLE_KEY_PREFIXES = ("pk_conductor_", "pk_test_", "pk_live_")
_KEY_PREFIXES = SECRET_KEY_PREFIXES + PUBLISHABLE_KEY_PREFIXES


def mask_secret_key(secret_key: str) -> str:
    """`sk_conductor_…1234`: the key's kind and last four characters, nothing more."""
    prefix = next((p for p in _KEY_PREFIXES if secret_key.startswith(p)), "")
    # A short or odd value shows no characters at all: four of eight would be half a key.
    last_four = secret_key[-4:] if len(secret_key) - len(prefix) >= 16 else ""
    return f"{prefix}…{last_four}"
