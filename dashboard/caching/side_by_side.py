"""Lookups side by side: one shared pool for the calls a page makes beside each other
(the job tree's ancestors beside its jobs, companies beside each other, a live check's
record beside its transactions).

A lookup reaches a company's QuickBooks through `company.conductor()`, a client bound to
the company's key and end user that takes one of the company's places for each call.
"""

import contextvars
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings

# Lookups started beside another (ancestors beside jobs, companies beside each other),
# shared by every request of the process. Sized to the web threads, so a full worker
# never queues here; the bound keeps a burst from opening unbounded threads.
_executor = ThreadPoolExecutor(max_workers=settings.CONDUCTOR_FANOUT_THREADS, thread_name_prefix="conductor")


_running: "weakref.WeakSet[Future]" = weakref.WeakSet()


def start_lookup[T](lookup: Callable[..., T], *args: object) -> Future[T]:
    """Start `lookup` on the shared pool, in a copy of this request's context (its log
    notes); the caller collects the result from the Future, or leaves it to finish on
    its own (a page's background lookups)."""
    context = contextvars.copy_context()
    future = _executor.submit(context.run, lookup, *args)
    _running.add(future)
    return future


def settle(timeout: float = 30.0) -> None:
    """Wait until every lookup started so far has finished (a worker shutting down, or
    a test that must not see the last one's background calls)."""
    wait(list(_running), timeout=timeout)
