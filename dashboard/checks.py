"""Settings that must agree, checked when the dashboard starts (`manage.py check` too)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# What a page needs beside its Conductor calls (its database writes, rendering), within
# the worker timeout.
PAGE_SECONDS = 5


@register("dashboard")
def budget_below_worker_timeout(app_configs: Any, **kwargs: Any) -> list[Error]:
    """A request that outlived gunicorn's worker timeout would be killed mid-page, without
    the page that explains the timeout: the Conductor budget stays below it."""
    if settings.CONDUCTOR_TOTAL_BUDGET + PAGE_SECONDS <= settings.GUNICORN_TIMEOUT:
        return []
    return [
        Error(
            f"CONDUCTOR_TOTAL_BUDGET ({settings.CONDUCTOR_TOTAL_BUDGET:g} s) leaves less than "
            f"{PAGE_SECONDS} s of gunicorn's worker timeout (GUNICORN_TIMEOUT, {settings.GUNICORN_TIMEOUT} s) "
            "for the page itself.",
            hint=f"Lower CONDUCTOR_TOTAL_BUDGET or raise GUNICORN_TIMEOUT to at least "
            f"{settings.CONDUCTOR_TOTAL_BUDGET + PAGE_SECONDS:g}.",
            id="dashboard.E001",
        )
    ]
