"""A company's sync state in words, for admin and the home page."""

from django.utils import timezone
from django.utils.timesince import timesince

from dashboard.customer_index.models import CompanySync, SyncWorker


def sync_summary(state: CompanySync | None) -> str:
    if state is None:
        return "Never synced: searches ask QuickBooks live until the first sync finishes."
    parts = []
    if state.in_step_at:
        parts.append(f"In step {timesince(state.in_step_at, timezone.now())} ago, {state.customers:,} customers")
    if state.full_read_started_at:
        parts.append(f"a full read is under way (at “{state.full_read_after or 'the start'}”)")
    elif not state.ready:
        parts.append("first sync not finished: searches ask QuickBooks live")
    if state.last_full_sync_at:
        parts.append(f"last full read {timesince(state.last_full_sync_at, timezone.now())} ago")
    if state.in_step_at:
        parts.append(
            f"last sync read {state.last_pages} pages, stored {state.last_changed}, removed {state.last_deleted}"
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
    seen = f"{timesince(worker.last_seen_at, now)} ago"
    if worker.is_alive(now):
        return f"Sync worker running on {worker.host}, last seen {seen}."
    stopped = " (stopped)" if worker.stopped_at else ""
    return f"No sync worker is running: the last one was seen {seen}{stopped}. Start `manage.py sync_worker`."
