"""How every lookup reaches a company's QuickBooks: with the company's decrypted key,
inside the company's limit, and (when two are needed) side by side on a shared pool.

Views and admin never handle a plaintext key: lookups ask `secret_for` here.
"""

import contextvars
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings

from dashboard.caching.company_limit import company_slot
from dashboard.crypto import UnreadableSecret
from dashboard.failures import KeyUnreadableError
from dashboard.models import ApiKey, Company


def api_key_secret(api_key: ApiKey) -> str:
    """The plaintext key; KeyUnreadableError if it cannot be decrypted."""
    try:
        return api_key.get_secret()
    except UnreadableSecret as exc:
        raise KeyUnreadableError(str(exc)) from None


def secret_for(company: Company) -> str:
    """The plaintext key that reaches this company."""
    return api_key_secret(company.api_key)


def call_company[T](company_id: str, call: Callable[..., T], *args: object, **kwargs: object) -> T:
    """One call to the company's QuickBooks, counted against the company's limit; the
    limit learns each kind of call's latency apart (the client function names it)."""
    with company_slot(company_id, kind=getattr(call, "__name__", "")):
        return call(*args, **kwargs)


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
