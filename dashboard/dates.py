"""One way to write a date and a moment wherever a person reads one: the pages, the
admin's lists and forms, and its messages. "Dec 2, 2026" and "Dec 2, 2026 17:05 UTC"."""

from datetime import date, datetime

from django.utils import dateformat, timezone

DATE = "M j, Y"
MOMENT = "M j, Y H:i T"  # the deployment's zone named: QuickBooks' own clock may be another


def date_text(value: date) -> str:
    return dateformat.format(value, DATE)


def moment_text(value: datetime) -> str:
    return dateformat.format(timezone.localtime(value) if timezone.is_aware(value) else value, MOMENT)
