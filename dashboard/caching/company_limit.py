"""How many QuickBooks calls each company gets at once: a limit that adapts, and a queue
that admits a page only while it can still be answered within its time budget.

QuickBooks Desktop answers one request at a time per company file and Conductor queues
the rest, so sending more at once only makes every answer later. A stand-in (or a
future Conductor) may answer in parallel, and then holding calls back only makes pages
wait. The limit learns which it is from latency, as Netflix's concurrency-limits and
Envoy's adaptive concurrency do: after each window of `limit` answered calls it compares
each call's latency with the best recent one of its kind (a list of invoices is slower
than a customer record without anything queueing; a kind not seen before is evidence of
nothing until a second call of it is measured). Flat latency while pages were waiting
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

The state lives in each process (`AdaptiveLimit`, the arithmetic with every time given);
what a process has learned is also written to the cache (`Learned`), so other workers,
and this one after a restart, start from it.
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

# A window is "flat" when its calls' typical (median) growth over the best recent latency
# of their kind is within FLAT_RATIO and its largest within SLOWEST_RATIO. Not tighter:
# under load our own process and the network add latency that has nothing to do with
# QuickBooks queueing. Not looser: two calls at once on a serial QuickBooks already take
# 1 and 2 times as long.
FLAT_RATIO = 1.5
SLOWEST_RATIO = 1.75
FLAT_SLACK = 0.01  # seconds: timer noise on fast answers
# How many windows the best recent latency is remembered for: long enough to keep a
# baseline through a busy spell, short enough to follow an upstream that got slower.
BASELINE_WINDOWS = 8
# A call running this many times longer than calls of its kind usually take is hung.
HUNG_FACTOR = 4.0
HUNG_AT_LEAST = 2.0  # seconds
# Waiters look again this often, so a call that turns hung frees its place.
RECHECK_SECONDS = 0.25
# A person's page asked QuickBooks for a company this recently: background work (the
# index's sync, in another process) holds back. Told through the shared cache.
PAGES_BUSY_SECONDS = 1.0
LEARNED_TTL = 24 * 3600


def _smoothed(before: float | None, seconds: float) -> float:
    return seconds if before is None else 0.5 * before + 0.5 * seconds


@dataclass
class Waiter:
    """A page waiting for a place: admitted (the event set) or refused."""

    deadline: float  # monotonic
    admitted: threading.Event = field(default_factory=threading.Event)
    refused: bool = False


@dataclass
class Learned:
    """What one process learned of a company, shared through the cache so that other
    workers, and this one after a restart, start from it."""

    limit: float
    latency: float
    baselines: dict[str, float]


@dataclass
class AdaptiveLimit:
    """One company's limit and queue: the arithmetic alone, with every time given
    (monotonic seconds), so it is exercised directly, without threads or clocks.

    Latency is learned per kind of call (a customer record, a list of invoices...): a
    kind that is merely slow (activity lists take seconds where a record takes a
    fraction of one) is not mistaken for QuickBooks queueing, which shows as every kind
    growing slower than its own best."""

    limit: float
    maximum: float
    # Smoothed latency of answered calls of any kind, in seconds: it prices a round of
    # the queue, so it follows the limit's changes quickly.
    latency: float | None = None
    latency_by_kind: dict[str, float] = field(default_factory=dict)
    # Per kind, each window's fastest call: the best of them is the kind's baseline.
    window_minimums: dict[str, deque[float]] = field(default_factory=dict)
    window: list[tuple[str, float]] = field(default_factory=list)
    window_saturated: bool = False  # pages waited while this window's calls ran
    calls: dict[int, tuple[str, float]] = field(default_factory=dict)  # call id -> (kind, start)
    waiting: deque[Waiter] = field(default_factory=deque)

    @property
    def slots(self) -> int:
        return max(1, int(self.limit))

    def baseline(self, kind: str) -> float | None:
        minimums = self.window_minimums.get(kind)
        return min(minimums) if minimums else None

    def typical(self, kind: str) -> float | None:
        """How long a call of this kind usually takes; any call's, for a kind not yet seen."""
        return self.latency_by_kind.get(kind, self.latency)

    def running(self, now: float) -> int:
        """Calls still holding a place: those not yet hung."""
        return sum(1 for kind, started in self.calls.values() if now - started < self._hung_after(kind))

    def _hung_after(self, kind: str) -> float:
        typical = self.typical(kind)
        return float("inf") if typical is None else max(HUNG_FACTOR * typical, HUNG_AT_LEAST)

    def has_room(self, now: float) -> bool:
        return not self.waiting and self.running(now) < self.slots

    def expected_finish(self, now: float, position: int, kind: str = "") -> float | None:
        """When a page at `position` in the queue (0: next) would have its answer; None
        while nothing has been measured yet."""
        own = self.typical(kind)
        if self.latency is None or own is None:
            return None
        if self.running(now) < self.slots and position == 0:
            return now + own
        rounds = (self.running(now) + position) // self.slots
        return now + rounds * self.latency + own

    def arrive(self, waiter: Waiter, now: float, kind: str = "") -> bool:
        """A page asks for a place: admitted at once, queued, or refused (False) when its
        answer would come after its deadline."""
        if self.has_room(now):
            waiter.admitted.set()
            return True
        finish = self.expected_finish(now, len(self.waiting), kind)
        if finish is not None and finish > waiter.deadline:
            return False
        self.waiting.append(waiter)
        self.window_saturated = True
        return True

    def admit_waiters(self, now: float) -> None:
        """Let waiting pages in, in arrival order, while places are free; refuse those whose
        answer would now come after their deadline."""
        while self.waiting and self.running(now) < self.slots:
            waiter = self.waiting.popleft()
            waiter.admitted.set()
            # Counted as running from now: the woken page registers its call at once.
            self.calls[-id(waiter)] = ("", now)
        for position, waiter in enumerate(list(self.waiting)):
            finish = self.expected_finish(now, position)
            if finish is not None and finish > waiter.deadline:
                self.waiting.remove(waiter)
                waiter.refused = True
                waiter.admitted.set()

    def record(self, kind: str, seconds: float) -> bool:
        """One answered call's latency; at the end of a window, adapt the limit. True
        when a window ended (what was learned is worth sharing)."""
        self.latency = _smoothed(self.latency, seconds)
        self.latency_by_kind[kind] = _smoothed(self.latency_by_kind.get(kind), seconds)
        self.window.append((kind, seconds))
        if self.waiting:
            self.window_saturated = True
        if len(self.window) < self.slots:
            return False
        growth: list[float] = []
        for kind in {k for k, _ in self.window}:
            latencies = sorted(s for k, s in self.window if k == kind)
            fastest, baseline = latencies[0], self.baseline(kind)
            if baseline is None:
                # A kind not seen before is measured against its own fastest call in this
                # window, which says nothing itself: alone it would look flat however long
                # it queued (a page's first calls are each of a kind not seen yet).
                baseline, latencies = fastest, latencies[1:]
            growth += [max(s - FLAT_SLACK, 0.0) / max(baseline, 1e-6) for s in latencies]
            self.window_minimums.setdefault(kind, deque(maxlen=BASELINE_WINDOWS)).append(fastest)
        if not growth:  # nothing to compare with yet: the limit stays
            self.window, self.window_saturated = [], False
            return True
        typical = statistics.median(growth)
        if typical <= FLAT_RATIO and max(growth) <= SLOWEST_RATIO:
            if self.window_saturated:  # flat while pages waited: room for more
                # Twice the places in use, not twice a fraction left by shrinking: 1.6
                # places is one call at a time, and flat at one is no evidence for three.
                self.limit = min(self.maximum, float(self.slots * 2))
        else:  # calls queue upstream: fewer at once, by how much latency grew
            before = self.limit
            self.limit = max(1.0, before * max(0.5, 1 / max(typical, 1.0)))
            # Queued upstream, latency shrinks with the calls in flight: price the queue at
            # the new limit now rather than after a window of samples.
            self.latency *= self.limit / before
        self.window, self.window_saturated = [], False
        return True

    def learned(self) -> Learned:
        baselines = {kind: b for kind in self.window_minimums if (b := self.baseline(kind)) is not None}
        return Learned(self.limit, self.latency or 0.0, baselines)

    def start_from(self, learned: Learned) -> None:
        self.limit, self.latency = learned.limit, learned.latency or None
        for kind, baseline in learned.baselines.items():
            self.window_minimums.setdefault(kind, deque(maxlen=BASELINE_WINDOWS)).append(baseline)
            self.latency_by_kind[kind] = baseline


_lock = threading.Lock()
# The deadline of the page being answered (monotonic), when one is set (page_budget).
_page_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("page_deadline", default=None)
_companies: dict[str, AdaptiveLimit] = {}
_call_ids = iter(range(1, 2**62))


def _learned_key(conductor_id: str) -> str:
    return cache_key("limit", conductor_id)


def _company(conductor_id: str) -> AdaptiveLimit:
    """This process's state for the company (call with _lock held)."""
    state = _companies.get(conductor_id)
    if state is None:
        state = AdaptiveLimit(limit=float(settings.CONDUCTOR_LIMIT_START), maximum=float(settings.CONDUCTOR_LIMIT_MAX))
        learned = cache.get(_learned_key(conductor_id))
        if isinstance(learned, Learned):
            state.start_from(learned)
        _companies[conductor_id] = state
    return state


def _busy(state: AdaptiveLimit) -> CompanyBusyError:
    return CompanyBusyError(
        f"QuickBooks could not answer in time: {len(state.waiting)} lookups are waiting for {state.slots} place(s)."
    )


@contextmanager
def company_slot(conductor_id: str, kind: str = "") -> Iterator[None]:
    """Hold one of the company's places for one call of `kind` (the client function's
    name, say), waiting in arrival order.

    Raises CompanyBusyError at once, or as soon as the estimate says so, when the call
    would not be answered within CONDUCTOR_WAIT_BUDGET."""
    arrived = time.monotonic()
    signal_pages_busy(conductor_id)
    waiter = Waiter(deadline=_page_deadline.get() or arrived + settings.CONDUCTOR_WAIT_BUDGET)
    with _lock:
        state = _company(conductor_id)
        if not state.arrive(waiter, arrived, kind):
            raise _busy(state)
    while not waiter.admitted.wait(min(RECHECK_SECONDS, max(0.0, waiter.deadline - time.monotonic()))):
        with _lock:
            now = time.monotonic()
            if now >= waiter.deadline and waiter in state.waiting:
                state.waiting.remove(waiter)
                raise _busy(state)
            state.admit_waiters(now)
    if waiter.refused:
        raise _busy(state)
    call_id = next(_call_ids)
    with _lock:
        state.calls.pop(-id(waiter), None)
        started = time.monotonic()
        state.calls[call_id] = (kind, started)
    answered = False
    try:
        yield
        answered = True
    finally:
        with _lock:
            now = time.monotonic()
            state.calls.pop(call_id, None)
            if answered and state.record(kind, now - started):
                cache.set(_learned_key(conductor_id), state.learned(), timeout=LEARNED_TTL)
            state.admit_waiters(now)
        signal_pages_busy(conductor_id)


def places(conductor_id: str) -> int:
    """How many calls the company is given at once, as this process has learned it."""
    with _lock:
        return _company(conductor_id).slots


def asking(conductor_id: str) -> int:
    """How many calls of this process hold or wait for one of the company's places."""
    with _lock:
        state = _company(conductor_id)
        return len(state.calls) + len(state.waiting)


def _pages_busy_key(conductor_id: str) -> str:
    return cache_key("pages-busy", conductor_id)


def signal_pages_busy(conductor_id: str) -> None:
    cache.set(_pages_busy_key(conductor_id), time.time(), timeout=int(PAGES_BUSY_SECONDS) + 1)


def pages_waiting(conductor_id: str) -> bool:
    """Whether a person's page asked QuickBooks for this company within the last
    PAGES_BUSY_SECONDS, in any process sharing the cache (the sync's people-first check)."""
    last = cache.get(_pages_busy_key(conductor_id))
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


def has_room(conductor_id: str) -> bool:
    """Whether a call for the company would start now, without waiting: a lookup that only
    saves time (the job tree started beside the record) is worth starting only then."""
    with _lock:
        return _company(conductor_id).has_room(time.monotonic())


def forget() -> None:
    """Drop what this process has learned (tests start from nothing)."""
    with _lock:
        _companies.clear()
