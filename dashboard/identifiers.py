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
CONDUCTOR_ID_PATTERN = r"\Aend_usr_[A-Za-z0-9]{1,64}\Z"
CONDUCTOR_ID_HELP = "Enter a Conductor end-user id: end_usr_ followed by letters and digits."
_CONDUCTOR_ID = re.compile(CONDUCTOR_ID_PATTERN, re.ASCII)


def is_valid_customer_id(value: str) -> bool:
    return len(value) <= CUSTOMER_ID_MAX_LENGTH and _CUSTOMER_ID.fullmatch(value) is not None


def is_valid_transaction_id(value: str) -> bool:
    """A QuickBooks TxnID has the same shape as a ListID ("123ABC-1234567890")."""
    return is_valid_customer_id(value)


# QuickBooks allows at most 11 characters in an invoice (ref) number.
REF_NUMBER_MAX_LENGTH = 11


def ref_number_problem(value: str) -> str | None:
    """Why `value` cannot be an invoice number, in words; None if it can be one."""
    if not value:
        return "Enter an invoice number."
    if len(value) > REF_NUMBER_MAX_LENGTH:
        return f"QuickBooks invoice numbers are at most {REF_NUMBER_MAX_LENGTH} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "Invoice numbers cannot hold control characters."
    return None


# Conductor's request ids: `req_` and a run of letters and digits. Anything else in that
# header or field (a proxy's garbage, an echoed key) is not shown as a request id.
_REQUEST_ID = re.compile(r"req_[A-Za-z0-9]{1,64}", re.ASCII)


def conductor_request_id(value: object) -> str | None:
    """`value` when it looks like a Conductor request id, else None."""
    return value if isinstance(value, str) and _REQUEST_ID.fullmatch(value) else None


def canonical_customer_id(value: str) -> str:
    """The id as QuickBooks writes it: hex digits in upper case. QuickBooks matches ids
    exactly, so "8000000a-…" typed by hand would find nothing; callers check the id is
    valid first."""
    return value.upper()


def is_valid_conductor_id(value: str) -> bool:
    return _CONDUCTOR_ID.fullmatch(value) is not None


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


# A run this long of a stored key's characters is scrubbed wherever it turns up: shorter
# runs are too common in ordinary text to mean the key, longer ones are too much of it.
SCRUB_RUN = 12
# Percent-escapes (URL-encoded) and JSON's \uXXXX escapes are read through, so an echo of
# the key in either encoding is found too; so is \\uXXXX, which is how a JSON answer
# carries a text that itself holds \uXXXX escapes (answers are scrubbed before decoding).
_ESCAPED = re.compile(r"%([0-9A-Fa-f]{2})|\\?\\u([0-9A-Fa-f]{4})")


def scrub_secret(text: str, secret: str) -> str:
    """`text` with every run of SCRUB_RUN or more of the secret's characters that reaches
    past its public prefix replaced by `sk_conductor_…[hidden]`: verbatim, in another
    case, URL-encoded, JSON-escaped, or only part of it (its last 20 characters, say)."""
    if len(secret) < SCRUB_RUN or not text:
        return text
    key = secret.casefold()
    # The kind's prefix (sk_conductor_) is public: only runs reaching past it are the key.
    public = next((len(p) for p in _KEY_PREFIXES if secret.startswith(p)), 0)
    if not _may_hold_a_run(text, key, public):
        return text  # the usual case, found at C speed: whole answers pass through here
    # The text as read through escapes: one decoded character per span of the original.
    decoded: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _ESCAPED.finditer(text):
        for i in range(position, match.start()):
            decoded.append(text[i])
            spans.append((i, i + 1))
        decoded.append(chr(int(match.group(1) or match.group(2), 16)))
        spans.append(match.span())
        position = match.end()
    for i in range(position, len(text)):
        decoded.append(text[i])
        spans.append((i, i + 1))
    # Case folded one character at a time, so each still lines up with its span.
    folded = "".join(f if len(f := c.casefold()) == 1 else c for c in decoded)
    grams = {key[i : i + SCRUB_RUN] for i in range(max(0, public - SCRUB_RUN + 1), len(key) - SCRUB_RUN + 1)}
    hidden: list[tuple[int, int]] = []  # decoded index ranges to replace
    i = 0
    while i <= len(folded) - SCRUB_RUN:
        if folded[i : i + SCRUB_RUN] in grams:
            start, end = i, i + SCRUB_RUN
            while start > (hidden[-1][1] if hidden else 0) and folded[start - 1 : end] in key:
                start -= 1
            while end < len(folded) and folded[start : end + 1] in key:
                end += 1
            hidden.append((start, end))
            i = end
        else:
            i += 1
    if not hidden:
        return text
    # The kind only: the last four a display shows could, beside other text, rebuild a run.
    mask = secret[:public] + "…[hidden]"
    pieces, cursor = [], 0
    for start, end in hidden:
        first, last = spans[start][0], spans[end - 1][1]
        pieces += [text[cursor:first], mask]
        cursor = last
    pieces.append(text[cursor:])
    return "".join(pieces)


def _unescaped(match: re.Match[str]) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


# The fast check's own escapes, one kind at a time: a pattern that starts with a literal
# is searched for at C speed, an alternation is tried at every position.
_PERCENT_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_JSON_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


def _ascii_char(match: re.Match[str]) -> str:
    """The escaped character if it is ASCII; a space for any other, which no key holds
    (so the text stays ASCII, and quick to search)."""
    char = chr(int(match.group(1), 16))
    return char if char.isascii() else " "


def _may_hold_a_run(text: str, key: str, public: int) -> bool:
    """Whether `text` may hold a run that scrub_secret hides; False only when it cannot.

    Every run of SCRUB_RUN key characters starting at or after `first` wholly contains one
    of the key's pieces of half that length taken every half-run from `first`, so finding
    no piece (plain substring search, read through escapes) rules every run out. Reading
    through escapes here may find more than scrub_secret does (backslashes are dropped:
    no key holds one), never less. Keys are ASCII; any other is always scanned in full."""
    if not key.isascii():
        return True
    readable = text
    if "%" in readable:
        readable = _PERCENT_ESCAPE.sub(_ascii_char, readable)
    if "\\" in readable:
        readable = _JSON_ESCAPE.sub(_ascii_char, readable).replace("\\", "")
    folded = readable.casefold()
    half = SCRUB_RUN // 2
    first = max(0, public - SCRUB_RUN + 1)
    return any(key[i : i + half] in folded for i in range(first, len(key) - half + 1, half))
