"""How many QuickBooks calls each company gets at once: a limit that adapts, and a queue
that admits a page only while it can still be answered within its time budget.

QuickBooks Desktop answers one request at a time per company file and Conductor queues
the rest, so sending more at once only makes every answer later. A stand-in (or a
future Conductor) may answer in parallel, and then holding calls back only makes pages
wait. The limit learns which it is from latency, as Netflix's concurrency-limits and
Envoy's adaptive concurrency do: after each window of `limit` answered calls it compares
their typical (median) latency with the best recent one. Flat latency while pages were waiting
means the company can take more: the limit doubles. Latency that grew with concurrency
means calls are queueing upstream: the limit shrinks by the same ratio (never below 1).
On a serial QuickBooks it settles between one and two; on a parallel upstream it climbs
to CONDUCTOR_LIMIT_MAX.

Pages beyond the limit wait in arrival order. A page is refused at once, and any page
already waiting is refused as soon as the estimate says so, when its turn and its call
would end after its budget (CONDUCTOR_WAIT_BUDGET): the person gets the "busy" page, or
a saved copy, within moments instead of after waiting out the budget. A call that has
run far longer than calls usually take is hung, and stops holding its place, so a
QuickBooks that recovers is used again at once.

The state lives in each process; what a process has learned is also written to the
cache, so other workers, and this one after a restart, start from it.
"""

import contextvars
import statistics
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from dashboard.caching.freshness import cache_key
from dashboard.failures import CompanyBusyError

# A window is "flat" when its median latency is within FLAT_RATIO of the best recent
# latency and its slowest call within SLOWEST_RATIO. Not tighter: under load our own
# process and the network add latency that has nothing to do with QuickBooks queueing.
# Not looser: two calls at once on a serial QuickBooks already take 1 and 2 times as long.
FLAT_RATIO = 1.5
SLOWEST_RATIO = 1.75
FLAT_SLACK = 0.01  # seconds: timer noise on fast answers
# How many windows the best recent latency is remembered for: long enough to keep a
# baseline through a busy spell, short enough to follow an upstream that got slower.
BASELINE_WINDOWS = 8
# A call running this many times longer than calls usually take is hung.
HUNG_FACTOR = 4.0
HUNG_AT_LEAST = 2.0  # seconds
# Waiters look again this often, so a call that turns hung frees its place.
RECHECK_SECONDS = 0.25
# A person's page asked QuickBooks for a company this recently: background work (the
# index's sync, in another process) holds back. Told through the shared cache.
PAGES_BUSY_SECONDS = 1.0
LEARNED_TTL = 24 * 3600


@dataclass
class _Waiter:
    deadline: float  # monotonic
    admitted: threading.Event = field(default_factory=threading.Event)
    refused: bool = False


@dataclass
class _Company:
    limit: float
    # Smoothed latency of answered calls, in seconds: quick to follow the limit's changes,
    # since it prices a place in the queue.
    latency: float | None = None
    window_minimums: deque[float] = field(default_factory=lambda: deque(maxlen=BASELINE_WINDOWS))
    window: list[float] = field(default_factory=list)
    window_saturated: bool = False  # pages waited while this window's calls ran
    calls: dict[int, float] = field(default_factory=dict)  # call id -> start time
    waiting: deque[_Waiter] = field(default_factory=deque)

    @property
    def slots(self) -> int:
        return max(1, int(self.limit))

    @property
    def baseline(self) -> float | None:
        return min(self.window_minimums) if self.window_minimums else None

    def running(self, now: float) -> int:
        """Calls still holding a place: those not yet hung."""
        if self.latency is None:
            return len(self.calls)
        hung_after = max(HUNG_FACTOR * self.latency, HUNG_AT_LEAST)
        return sum(1 for started in self.calls.values() if now - started < hung_after)

    def expected_finish(self, now: float, position: int) -> float | None:
        """When a page at `position` in the queue (0: next) would have its answer; None
        while nothing has been measured yet."""
        if self.latency is None:
            return None
        if self.running(now) < self.slots and position == 0:
            return now + self.latency
        rounds = (self.running(now) + position) // self.slots
        return now + (rounds + 1) * self.latency


_lock = threading.Lock()
# The deadline of the page being answered (monotonic), when one is set (page_budget).
_page_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("page_deadline", default=None)
_companies: dict[str, _Company] = {}
_call_ids = iter(range(1, 2**62))


def _learned_key(company_id: str) -> str:
    return cache_key("limit", company_id)


def _company(company_id: str) -> _Company:
    """This process's state for the company (call with _lock held)."""
    state = _companies.get(company_id)
    if state is None:
        learned = cache.get(_learned_key(company_id))
        state = _Company(limit=float(settings.CONDUCTOR_LIMIT_START))
        if isinstance(learned, tuple) and len(learned) == 3:
            state.limit, state.latency, baseline = learned
            state.window_minimums.append(baseline)
        _companies[company_id] = state
    return state


def _admit_waiters(state: _Company, now: float) -> None:
    """Let waiting pages in, in arrival order, while places are free; refuse those whose
    answer would now come after their budget (call with _lock held)."""
    while state.waiting and state.running(now) < state.slots:
        waiter = state.waiting.popleft()
        waiter.admitted.set()
        # Counted as running from now: the woken page registers its call at once.
        state.calls[-id(waiter)] = now
    for position, waiter in enumerate(list(state.waiting)):
        finish = state.expected_finish(now, position)
        if finish is not None and finish > waiter.deadline:
            state.waiting.remove(waiter)
            waiter.refused = True
            waiter.admitted.set()


def _record(company_id: str, state: _Company, seconds: float) -> None:
    """One answered call's latency; at the end of a window, adapt the limit."""
    state.latency = seconds if state.latency is None else 0.5 * state.latency + 0.5 * seconds
    state.window.append(seconds)
    if state.waiting:
        state.window_saturated = True
    if len(state.window) < state.slots:
        return
    typical = statistics.median(state.window)
    state.window_minimums.append(min(state.window))
    baseline = state.baseline or typical
    if typical <= baseline * FLAT_RATIO + FLAT_SLACK and max(state.window) <= baseline * SLOWEST_RATIO + FLAT_SLACK:
        if state.window_saturated:  # flat while pages waited: room for more
            state.limit = min(float(settings.CONDUCTOR_LIMIT_MAX), state.limit * 2)
    else:  # calls queue upstream: fewer at once, by how much latency grew
        before = state.limit
        state.limit = max(1.0, before * max(0.5, baseline / typical))
        # Queued upstream, latency shrinks with the calls in flight: price the queue at
        # the new limit now rather than after a window of samples.
        state.latency = max(baseline, typical * state.limit / before)
    state.window, state.window_saturated = [], False
    cache.set(_learned_key(company_id), (state.limit, state.latency, baseline), timeout=LEARNED_TTL)


def _busy(state: _Company) -> CompanyBusyError:
    return CompanyBusyError(
        f"QuickBooks could not answer in time: {len(state.waiting)} lookups are waiting for {state.slots} place(s)."
    )


@contextmanager
def company_slot(company_id: str) -> Iterator[None]:
    """Hold one of the company's places for one call, waiting in arrival order.

    Raises CompanyBusyError at once, or as soon as the estimate says so, when the call
    would not be answered within CONDUCTOR_WAIT_BUDGET."""
    arrived = time.monotonic()
    _signal_pages_busy(company_id)
    waiter = _Waiter(deadline=_page_deadline.get() or arrived + settings.CONDUCTOR_WAIT_BUDGET)
    with _lock:
        state = _company(company_id)
        if not state.waiting and state.running(arrived) < state.slots:
            waiter.admitted.set()
        else:
            finish = state.expected_finish(arrived, len(state.waiting))
            if finish is not None and finish > waiter.deadline:
                raise _busy(state)
            state.waiting.append(waiter)
            state.window_saturated = True
    while not waiter.admitted.wait(min(RECHECK_SECONDS, max(0.0, waiter.deadline - time.monotonic()))):
        with _lock:
            now = time.monotonic()
            if now >= waiter.deadline and waiter in state.waiting:
                state.waiting.remove(waiter)
                raise _busy(state)
            _admit_waiters(state, now)
    if waiter.refused:
        raise _busy(state)
    call_id = next(_call_ids)
    with _lock:
        state.calls.pop(-id(waiter), None)
        started = time.monotonic()
        state.calls[call_id] = started
    answered = False
    try:
        yield
        answered = True
    finally:
        with _lock:
            now = time.monotonic()
            state.calls.pop(call_id, None)
            if answered:
                _record(company_id, state, now - started)
            _admit_waiters(state, now)
        _signal_pages_busy(company_id)


def _pages_busy_key(company_id: str) -> str:
    return cache_key("pages-busy", company_id)


def _signal_pages_busy(company_id: str) -> None:
    cache.set(_pages_busy_key(company_id), time.time(), timeout=int(PAGES_BUSY_SECONDS) + 1)


def pages_waiting(company_id: str) -> bool:
    """Whether a person's page asked QuickBooks for this company within the last
    PAGES_BUSY_SECONDS, in any process sharing the cache (the sync's people-first check)."""
    last = cache.get(_pages_busy_key(company_id))
    return isinstance(last, float) and time.time() - last < PAGES_BUSY_SECONDS


@contextmanager
def page_budget() -> Iterator[None]:
    """Every call made for one page, and any lookup it starts beside, shares one budget:
    CONDUCTOR_WAIT_BUDGET from now, not from each call's own start."""
    token = _page_deadline.set(_page_deadline.get() or time.monotonic() + settings.CONDUCTOR_WAIT_BUDGET)
    try:
        yield
    finally:
        _page_deadline.reset(token)


def has_room(company_id: str) -> bool:
    """Whether a call for the company would start now, without waiting: a lookup that only
    saves time (the job tree started beside the record) is worth starting only then."""
    with _lock:
        state = _company(company_id)
        return not state.waiting and state.running(time.monotonic()) < state.slots


def forget() -> None:
    """Drop what this process has learned (tests start from nothing)."""
    with _lock:
        _companies.clear()
