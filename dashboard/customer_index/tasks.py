"""The sync as Django tasks (django.tasks, stored and run by django-tasks-db).

`sync_due_companies` runs every SYNC_ATTENTION_INTERVAL_SECONDS: it enqueues a sync of
every active company that is due and schedules itself again. A company is due every
SYNC_ATTENTION_INTERVAL_SECONDS while people look at it (a page of it opened within the
last SYNC_INTERVAL_SECONDS), every SYNC_INTERVAL_SECONDS otherwise. `manage.py sync_worker` makes
sure it is scheduled and runs the worker. Several workers, on several machines, may run:
each company is synced by one at a time (the lease in sync.py).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from dashboard.caching.freshness import cache_key
from dashboard.customer_index import sync
from dashboard.customer_index.models import CompanySync
from dashboard.models import Company

QUEUE = "sync"


@task(queue_name=QUEUE)
def sync_company_task(conductor_id: str, full: bool = False) -> dict[str, object]:
    company = Company.objects.active().filter(conductor_id=conductor_id).first()
    if company is None:
        return {"company": conductor_id, "kind": "gone"}
    report = sync.sync_company(company, full=full)
    return {
        "company": conductor_id,
        "kind": report.kind,
        "pages": report.pages,
        "changed": report.changed,
        "deleted": report.deleted,
        "error": report.error,
    }


def interval(state: CompanySync | None, now: datetime) -> timedelta:
    """How often the company is brought in step now: often while people look at it."""
    idle = timedelta(seconds=settings.SYNC_INTERVAL_SECONDS)
    if state is not None and state.looked_at is not None and now - state.looked_at < idle:
        return timedelta(seconds=settings.SYNC_ATTENTION_INTERVAL_SECONDS)
    return idle


def note_attention(company: Company) -> None:
    """A person opened a page of the company: its copy is kept in step more often for a
    while. Written at most once a minute per company (a mark in the shared cache says
    it was)."""
    if not cache.add(cache_key("attention", company.conductor_id), True, timeout=60):
        return
    CompanySync.objects.filter(company=company).update(looked_at=timezone.now())


@task(queue_name=QUEUE)
def sync_due_companies() -> list[str]:
    """Enqueue every company whose copy is due, then come back in the short interval."""
    now = timezone.now()
    enqueued = []
    queued = _queued_syncs()
    for company in Company.objects.active():
        state = CompanySync.objects.filter(company=company).first()
        due = (
            state is None
            or state.in_step_at is None
            or state.full_read_started_at is not None
            or state.in_step_at <= now - interval(state, now)
        )
        # A slow sync outlasts the short interval: one already queued is not queued again.
        if due and company.conductor_id not in queued:
            sync_company_task.enqueue(company.conductor_id)
            enqueued.append(company.conductor_id)
    shortest = min(settings.SYNC_INTERVAL_SECONDS, settings.SYNC_ATTENTION_INTERVAL_SECONDS)
    _schedule(now + timedelta(seconds=shortest))
    return enqueued


def _queued_syncs() -> set[str]:
    """The companies whose sync is queued and not started yet."""
    queued = DBTaskResult.objects.filter(task_path=sync_company_task.module_path, status="READY")
    return {
        args[0]
        for args in (args_kwargs.get("args") or [None] for args_kwargs in queued.values_list("args_kwargs", flat=True))
        if args and isinstance(args[0], str)
    }


def _pending(task_path: str) -> bool:
    return DBTaskResult.objects.filter(task_path=task_path, status="READY").exists()


def _schedule(when: datetime) -> None:
    if not _pending(sync_due_companies.module_path):
        sync_due_companies.using(run_after=when).enqueue()


def ensure_scheduled() -> None:
    """The periodic sync is scheduled (now, if it was not)."""
    _schedule(timezone.now())


def sync_soon(company: Company, *, full: bool = False) -> None:
    """Ask the workers to sync one company now (admin's "Sync now")."""
    sync_company_task.enqueue(company.conductor_id, full)
