"""Property tests: whatever JSON arrives shaped roughly like a customer, parsing and
presentation either work or raise our one "malformed" error, never anything else."""

import contextlib
import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import presentation
from dashboard.conductor.records import MalformedRecord, parse_customer, parse_customer_page
from tests.conftest import contract_file

EXAMPLE = json.loads(contract_file("customer-example.json").read_text())

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50)
    | st.text(alphabet="0123456789-.,xXeE+ ", max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)


def mutated(draw_value):
    """The example customer with some keys removed, nulled or replaced by anything."""
    return st.builds(
        lambda changes, removed: {
            **{k: v for k, v in EXAMPLE.items() if k not in removed},
            **changes,
        },
        st.dictionaries(st.sampled_from(sorted(EXAMPLE)), draw_value, max_size=8),
        st.sets(st.sampled_from(sorted(EXAMPLE)), max_size=8),
    )


def present_everything(customer) -> None:
    presentation.customer_sections(customer)
    presentation.address_cards(customer)
    presentation.card_display(customer.credit_card)
    presentation.contact_cards(customer)
    presentation.result_row(customer)
    for amount in (customer.balance, customer.total_balance, customer.credit_limit):
        presentation.money(amount)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(json_values))
def test_any_customer_shaped_json_parses_or_is_malformed(data):
    try:
        customer = parse_customer(data)
    except MalformedRecord:
        return
    present_everything(customer)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_at_all_parses_or_is_malformed(data):
    for parser in (parse_customer, parse_customer_page):
        with contextlib.suppress(MalformedRecord):
            parser(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(alphabet="0123456789 -x", max_size=40))
def test_a_card_never_shows_more_than_four_digits(name, number):
    data = {**EXAMPLE, "creditCard": {**EXAMPLE["creditCard"], "number": number, "name": name}}
    card = presentation.card_display(parse_customer(data).credit_card)
    assert sum(ch.isdigit() for ch in card.number) <= 4


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.text(max_size=5000))
def test_huge_lists_and_strings_are_fine(count, text):
    data = {
        **EXAMPLE,
        "note": text,
        "customFields": [{"ownerId": "0", "name": text[:10], "type": "string_255_type", "value": text}] * count,
        "additionalNotes": [{"id": 1, "date": None, "note": text}] * min(count, 200),
    }
    customer = parse_customer(data)
    assert len(customer.custom_fields) == count
    present_everything(customer)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["1E+30", "-1E+400", "1e-40", "-123456789012345678901234567890.12"]).map(Decimal)
)
def test_money_is_exact(amount):
    shown = presentation.money(amount)

    assert Decimal(shown.text.replace(",", "")) == amount.copy_abs()
    assert shown.is_credit == (amount < 0)


# --- key scrubbing ---------------------------------------------------------------------------

key_bodies = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=24, max_size=40
)


def _percent(text: str, data) -> str:
    return "".join(f"%{ord(c):02X}" if data.draw(st.booleans()) else c for c in text)


@given(body=key_bodies, before=st.text(max_size=40), after=st.text(max_size=40), data=st.data())
@settings(max_examples=300, deadline=None)
def test_no_run_of_twelve_key_characters_survives_scrubbing_in_any_encoding(body, before, after, data):
    from urllib.parse import unquote

    from dashboard.identifiers import SCRUB_RUN, scrub_secret

    secret = "sk_conductor_" + body
    start = data.draw(st.integers(0, len(secret) - SCRUB_RUN))
    part = secret[start : data.draw(st.integers(start + SCRUB_RUN, len(secret)))]
    encode = data.draw(st.sampled_from(["verbatim", "upper", "lower", "percent", "json", "bearer"]))
    echo = {
        "verbatim": part,
        "upper": part.upper(),
        "lower": part.lower(),
        "percent": _percent(part, data),
        "json": json.dumps(part, ensure_ascii=True).strip('"').replace("_", "\\u005f"),
        "bearer": f"Bearer {part}",
    }[encode]
    scrubbed = scrub_secret(before + echo + after, secret)
    readable = unquote(scrubbed.replace("\\u005f", "_")).casefold()
    key = secret.casefold()
    # every run that reaches past the public prefix (sk_conductor_, which the mask shows)
    for i in range(len("sk_conductor_") - SCRUB_RUN + 1, len(key) - SCRUB_RUN + 1):
        assert key[i : i + SCRUB_RUN] not in readable


@given(text=st.text(max_size=200), body=key_bodies)
@settings(max_examples=200, deadline=None)
def test_text_without_the_key_comes_back_unchanged(text, body):
    from dashboard.identifiers import SCRUB_RUN, scrub_secret

    secret = "sk_conductor_" + body
    key = secret.casefold()
    if any(key[i : i + SCRUB_RUN] in text.casefold() for i in range(2, len(key) - SCRUB_RUN + 1)):
        return
    if "%" in text or "\\u" in text:
        return  # an escape could spell part of the key; the first test covers those
    assert scrub_secret(text, secret) == text


@given(body=key_bodies, text=st.text(max_size=120), data=st.data())
@settings(max_examples=300, deadline=None)
def test_the_quick_check_never_passes_a_text_the_full_scrub_would_change(body, text, data):
    from dashboard.identifiers import _KEY_PREFIXES, _may_hold_a_run, scrub_secret

    secret = "sk_conductor_" + body
    start = data.draw(st.integers(0, len(secret) - 1))
    part = secret[start : data.draw(st.integers(start, len(secret)))]
    encode = data.draw(st.sampled_from(["verbatim", "upper", "percent", "json", "json-in-json"]))
    escaped = "".join(f"\\u{ord(c):04x}" for c in part)
    echo = {
        "verbatim": part,
        "upper": part.upper(),
        "percent": _percent(part, data),
        "json": escaped,
        "json-in-json": escaped.replace("\\", "\\\\"),  # a text holding escapes, as JSON carries it
    }[encode]
    cut = data.draw(st.integers(0, len(text)))
    whole = text[:cut] + echo + text[cut:]
    public = next(len(p) for p in _KEY_PREFIXES if secret.startswith(p))
    if scrub_secret(whole, secret) != whole:
        assert _may_hold_a_run(whole, secret.casefold(), public)
