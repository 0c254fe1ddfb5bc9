"""One log line per request: request id, user, status, duration, Conductor request ids.

The request id comes from a trusted proxy's X-Request-ID when it looks like one, else it
is made here; it is sent back in the response's X-Request-ID so staff can quote it.
The Conductor client notes each Conductor request id in the current request's context
(`note_conductor_request`), including calls made side by side in worker threads that run
inside a copy of that context.
"""

import contextvars
import logging
import re
import time
import uuid

logger = logging.getLogger("dashboard.requests")

_conductor_ids: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("conductor_ids", default=None)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}", re.ASCII)


def note_conductor_request(request_id: str | None) -> None:
    ids = _conductor_ids.get()
    if ids is not None and request_id:
        ids.append(request_id)


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        offered = request.headers.get("X-Request-ID", "")
        request.request_id = offered if _REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex[:16]
        ids: list[str] = []
        token = _conductor_ids.set(ids)
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request.request_id
            return response
        finally:
            _conductor_ids.reset(token)
            user = getattr(request, "user", None)
            username = user.get_username() if user is not None and user.is_authenticated else "-"
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            logger.info(
                "%s %s status=%s duration_ms=%.0f user=%s request_id=%s conductor_request_ids=%s",
                request.method,
                request.path,
                status,
                duration_ms,
                username,
                request.request_id,
                ",".join(ids) or "-",
                extra={
                    "request_id": request.request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": duration_ms,
                    "user": username,
                    "conductor_request_ids": list(ids),
                },
            )
