"""The sync as Django tasks (django.tasks, stored and run by django-tasks-db).

`sync_due_companies` runs every SYNC_INTERVAL_SECONDS: it enqueues a sync of every
active company that is due and schedules itself again. `manage.py sync_worker` makes
sure it is scheduled and runs the worker. Several workers, on several machines, may run:
each company is synced by one at a time (the lease in sync.py).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

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


@task(queue_name=QUEUE)
def sync_due_companies() -> list[str]:
    """Enqueue every company whose index is due, then come back in one interval."""
    due_before = timezone.now() - timedelta(seconds=settings.SYNC_INTERVAL_SECONDS)
    enqueued = []
    for company in Company.objects.active():
        state = CompanySync.objects.filter(company=company).first()
        if state is None or state.in_step_at is None or state.in_step_at < due_before or state.full_read_started_at:
            sync_company_task.enqueue(company.conductor_id)
            enqueued.append(company.conductor_id)
    _schedule(timezone.now() + timedelta(seconds=settings.SYNC_INTERVAL_SECONDS))
    return enqueued


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
