"""What ids and keys look like: checked before any call, masked for display. The only
place these formats are written down.

A malformed id never reaches Conductor (nor a cache key, nor a log line as a path).
"""

import re

# A QuickBooks ListID: hex, a dash, digits ("80000001-1234567890"); at most 36
# characters. ASCII only, so unicode digits and lookalikes never pass.
_CUSTOMER_ID = re.compile(r"[0-9A-Fa-f]{1,16}-[0-9]{1,19}", re.ASCII)
CUSTOMER_ID_MAX_LENGTH = 36
# A company's id is its Conductor end-user id.
COMPANY_ID_PATTERN = r"\Aend_usr_[A-Za-z0-9]{1,64}\Z"
COMPANY_ID_HELP = "Enter a Conductor end-user id: end_usr_ followed by letters and digits."
_COMPANY_ID = re.compile(COMPANY_ID_PATTERN, re.ASCII)


def is_valid_customer_id(value: str) -> bool:
    return len(value) <= CUSTOMER_ID_MAX_LENGTH and _CUSTOMER_ID.fullmatch(value) is not None


def canonical_customer_id(value: str) -> str:
    """The id as QuickBooks writes it: hex digits in upper case. QuickBooks matches ids
    exactly, so "8000000a-…" typed by hand would find nothing; callers check the id is
    valid first."""
    return value.upper()


def is_valid_company_id(value: str) -> bool:
    return _COMPANY_ID.fullmatch(value) is not None


# Current secret keys start sk_conductor_ (older ones sk_test_/sk_live_); publishable
# keys, used only to create setup links, start pk_.
SECRET_KEY_PREFIXES = ("sk_conductor_", "sk_test_", "sk_live_")
PUBLISHABLE_KEY_PREFIXES = ("pk_conductor_", "pk_test_", "pk_live_")
_KEY_PREFIXES = SECRET_KEY_PREFIXES + PUBLISHABLE_KEY_PREFIXES


def secret_key_problem(value: str) -> str | None:
    """Why `value` is not a Conductor secret key, in words that do not echo it; None if it is one."""
    if value.startswith("pk_"):
        return "That is a publishable key (pk_…). Enter the secret key, which starts with sk_conductor_."
    if not value.startswith(SECRET_KEY_PREFIXES) or len(value) < 20 or any(c.isspace() for c in value):
        return "Enter a Conductor secret key: it starts with sk_conductor_."
    return None


def publishable_key_problem(value: str) -> str | None:
    """Why `value` is not a Conductor publishable key; None if it is one."""
    if not value.startswith(PUBLISHABLE_KEY_PREFIXES) or len(value) < 20 or any(c.isspace() for c in value):
        return "Enter a Conductor publishable key: it starts with pk_conductor_."
    return None


def mask_secret_key(secret_key: str) -> str:
    """`sk_conductor_…1234`: the key's kind and last four characters, nothing more."""
    prefix = next((p for p in _KEY_PREFIXES if secret_key.startswith(p)), "")
    # A short or odd value shows no characters at all: four of eight would be half a key.
    last_four = secret_key[-4:] if len(secret_key) - len(prefix) >= 16 else ""
    return f"{prefix}…{last_four}"
