"""The probes of load balancers and container engines: `/healthz` (the process lives) and
`/readyz` (the database takes a write and the cache answers), answered before host
validation.

A health check comes from the orchestrator with whatever Host header it likes (an IP,
"localhost"); it must not be turned away as a disallowed host, nor redirected to HTTPS.
HealthProbeMiddleware sits before everything that looks at the host and answers the two
probe paths itself.
"""

import logging
import uuid

from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from dashboard.caching.fail_soft import FailSoft

logger = logging.getLogger("dashboard.health")


@never_cache
def healthz(request):
    """Process liveness for load balancers: touches no database and no Conductor."""
    return HttpResponse("ok", content_type="text/plain")


def database_takes_writes() -> bool:
    """Whether a page's audit entry could be written now: every page needs one. SQLite:
    take the write lock and let it go (waiting at most its busy timeout); PostgreSQL:
    the server is not read-only (a standby)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if connection.in_atomic_block:  # inside a test's transaction: it holds the lock
                cursor.execute("SELECT 1")
                return True
            cursor.execute("BEGIN IMMEDIATE")
            cursor.execute("ROLLBACK")
            return True
        if connection.vendor == "postgresql":
            cursor.execute("SHOW transaction_read_only")
            return bool(cursor.fetchone()[0] == "off")
        cursor.execute("SELECT 1")
        return True


@never_cache
def readyz(request):
    """Readiness: the database takes a write and the cache answers, every part of it (within
    their short timeouts, set in settings). Conductor is not asked: one company's
    QuickBooks being down must not take the dashboard out of a load balancer. Anyone may
    ask, so the answer names the component only; the detail goes to the log."""
    problems = {}
    try:
        if not database_takes_writes():
            problems["database"] = "cannot take a write (read-only)"
    except Exception as exc:  # any failure at all means not ready
        problems["database"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    problem = cache_readiness_problem()
    if problem:
        problems["cache"] = problem
    if problems:
        for component, detail in problems.items():
            logger.warning("not ready: %s: %s", component, detail)
        return HttpResponse("not ready: " + ", ".join(problems), content_type="text/plain", status=503)
    return HttpResponse("ready", content_type="text/plain")


def cache_readiness_problem() -> str | None:
    """What keeps the cache from answering, in words for the log; None when it answers."""
    backend = caches["default"]
    if isinstance(backend, FailSoft):
        return backend.readiness_problem()  # it fails soft: ask it directly, every shard
    try:
        probe = f"dash:readyz:{uuid.uuid4().hex}"
        backend.set(probe, "1", timeout=5)
        if backend.get(probe) != "1":
            return "a value was not read back"
        backend.delete(probe)
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


_PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = _PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
