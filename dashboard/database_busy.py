"""A database that cannot take a write right now (SQLite's file locked by another writer
for longer than its busy timeout, PostgreSQL's lock or statement timeout) gets its own
page: 503, "the dashboard's database is busy", with Retry-After. Every page writes its
audit entry, and a page whose view could not be recorded is not shown."""

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("dashboard.views")

# What SQLite and PostgreSQL say when a lock was not had in time.
_BUSY = ("database is locked", "database table is locked", "lock timeout", "canceling statement due to")
RETRY_AFTER_SECONDS = 5


def is_busy(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) and any(words in str(exc).lower() for words in _BUSY)


class DatabaseBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not is_busy(exc):
            return None  # Django's own handling
        logger.warning("database busy: %s %s", request.method, request.path)
        response = render(request, "errors/database_busy.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
