"""A company's sync state in words, for admin and the home page."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.timesince import timesince

from dashboard.customer_index.models import CompanySync, CopiedTransaction, SyncWorker
from dashboard.customer_index.transaction_sync import ALL_KINDS, kinds_not_read

# Why a page was read live while the person waited, when the copy cannot serve it yet.
FIRST_READ_UNDER_WAY = "the local copy’s first read of this company is still under way"


@dataclass(frozen=True)
class CopyStatus:
    """The home page's line on a company's local copy."""

    label: str  # In step | First read under way | Not synced yet
    as_of: datetime | None
    counts: str  # "52 customers · 259 transactions"
    pending: str  # what a first read has not read yet, in words ("" when nothing)
    error: str


def _kinds(kinds: Sequence[str]) -> str:
    names = {k.value: k.label.lower() + "s" for k in CopiedTransaction.Kind}
    return ", ".join(names[k] for k in kinds)


def ago(moment: datetime, now: datetime | None = None) -> str:
    """ "just now" under a minute ("0 minutes ago" reads like a fault), else "5 minutes ago"."""
    now = now or timezone.now()
    return "just now" if (now - moment).total_seconds() < 60 else f"{timesince(moment, now)} ago"


def copy_status(state: CompanySync | None) -> CopyStatus:
    if state is None or (state.in_step_at is None and state.full_read_started_at is None and not state.last_error):
        return CopyStatus("Not synced yet", None, "", "", "")
    pending = kinds_not_read(state.transaction_kinds_read)
    if not state.ready:
        # A read that failed keeps its place (to resume), but it is not under way: it
        # stopped, and the error below says why, until a sync holds the company again.
        syncing = bool(state.lease_owner) and state.lease_until is not None and state.lease_until > timezone.now()
        label = "First read under way" if syncing or not state.last_error else "First read stopped"
    else:
        label = "In step"
    counts = f"{state.customers:,} customers · {state.transactions:,} transactions" if state.ready else ""
    return CopyStatus(
        label=label,
        as_of=state.in_step_at,
        counts=counts,
        pending=f"not read yet: {_kinds(pending)}" if pending else "",
        error=state.last_error,
    )


def sync_summary(state: CompanySync | None) -> str:
    if state is None:
        return "Never synced: pages and searches ask QuickBooks live until the first sync finishes."
    parts = []
    if state.in_step_at:
        parts.append(f"In step {ago(state.in_step_at)}, {state.customers:,} customers")
    if state.full_read_started_at:
        parts.append(f"a full read is under way (at “{state.full_read_after or 'the start'}”)")
    elif not state.ready:
        parts.append("first sync not finished: pages and searches ask QuickBooks live")
    if state.last_full_sync_at:
        parts.append(f"last full read {ago(state.last_full_sync_at)}")
    kinds_read = [k for k in ALL_KINDS if k in state.transaction_kinds_read]
    if kinds_read:
        parts.append(f"{state.transactions:,} transactions copied ({_kinds(kinds_read)} read in full)")
    pending = kinds_not_read(state.transaction_kinds_read)
    if pending:
        parts.append(f"transactions not read yet: {_kinds(pending)}")
    if state.in_step_at:
        parts.append(
            f"last sync: {state.last_pages} requests, stored {state.last_changed} customers, "
            f"removed {state.last_deleted}"
        )
    if state.last_error:
        parts.append(f"last error: {state.last_error}")
    return "; ".join(parts) + "."


def worker_summary() -> str:
    """Whether a sync worker is running, in words: the index stays in step only while one is."""
    now = timezone.now()
    worker = SyncWorker.objects.last_seen()
    if worker is None:
        return "No sync worker has run yet: start `manage.py sync_worker`."
    seen = ago(worker.last_seen_at, now)
    if worker.is_alive(now):
        return f"Sync worker running on {worker.host}, last seen {seen}."
    stopped = " (stopped)" if worker.stopped_at else ""
    return f"No sync worker is running: the last one was seen {seen}{stopped}. Start `manage.py sync_worker`."
