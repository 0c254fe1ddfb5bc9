"""One time budget per request: whatever a request does (calls one after another, retries,
waiting for another request's call to the same record), it is answered within
CONDUCTOR_TOTAL_BUDGET of its start, below gunicorn's worker timeout (checks.py keeps the
two apart). The Conductor client and request coalescing read what is left here; lookups
started beside a page run in a copy of its context, so they share its budget. Outside a
request (the sync worker, commands) there is no request budget: each call has its own.
"""

import contextvars
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)


def clock() -> float:  # a seam for tests
    return time.monotonic()


def remaining() -> float | None:
    """Seconds left of this request's budget (0 when spent); None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - clock())


class RequestBudgetMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _deadline.set(clock() + settings.CONDUCTOR_TOTAL_BUDGET)
        try:
            return self.get_response(request)
        finally:
            _deadline.reset(token)
