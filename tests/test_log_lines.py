"""One request, one log line: whatever a client puts in a path or query (CR, LF, ESC,
NUL), and whatever Conductor puts in a message, cannot forge a line or reach a terminal
raw, in either log format."""

import json
import logging
from typing import cast
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from dashboard.logs import JsonFormatter
from fake_conductor import faults
from fake_conductor.server import Fault
from tests.conftest import BAKERY, EXAMPLE_ID

FORGED = "2026-11-30 04:40:00,000 INFO dashboard.requests GET /admin/auth/user/ status=200 user=admin"
HOSTILE = ["%0a", "%0d", "%0d%0a", "%1b[31m", "%00"]


def configured_formatters() -> list[logging.Formatter]:
    plain = cast(dict, settings.LOGGING)["formatters"]["plain"]
    return [import_string(plain["()"])(plain["format"]), JsonFormatter()]


def assert_one_clean_line(record: logging.LogRecord) -> None:
    for formatter in configured_formatters():
        line = formatter.format(record)
        assert "\n" not in line and "\r" not in line
        assert "\x1b" not in line and "\x00" not in line
        if isinstance(formatter, JsonFormatter):
            json.loads(line)


@pytest.mark.parametrize("control", HOSTILE)
def test_a_hostile_path_and_query_stay_on_one_line(client, caplog, control):
    with caplog.at_level(logging.INFO, logger="dashboard.requests"):
        client.get(f"/x{control}{FORGED.replace(' ', '%20')}?q=a{control}b")
    [record] = [r for r in caplog.records if r.name == "dashboard.requests"]
    assert unquote(control) in record.getMessage()  # the raw character did reach the log call
    assert_one_clean_line(record)
    plain = configured_formatters()[0].format(record)
    assert FORGED in plain  # still there to read, but inside the one line, escaped before it


def test_conductors_own_words_stay_on_one_line(support_client, company, fake, caplog):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, error="qbd_offline"))
    with caplog.at_level(logging.WARNING, logger="dashboard.views"):
        original = faults.ERRORS["qbd_offline"]
        faults.ERRORS["qbd_offline"] = (*original[:4], "offline\n" + FORGED + "\x1b[2J", original[5])
        try:
            support_client.get(f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/")
        finally:
            faults.ERRORS["qbd_offline"] = original
    [record] = [r for r in caplog.records if r.name == "dashboard.views"]
    assert "\n" in record.getMessage()
    assert_one_clean_line(record)


def test_a_traceback_keeps_its_lines_marked_as_one_events(caplog):
    logger = logging.getLogger("dashboard.test")
    try:
        raise ValueError("bad\n" + FORGED)
    except ValueError:
        with caplog.at_level(logging.ERROR, logger="dashboard.test"):
            logger.exception("failed")
    text = configured_formatters()[0].format(caplog.records[-1])
    first, *rest = text.split("\n")
    assert first.endswith("failed") and rest
    assert all(line.startswith("  | ") for line in rest)
