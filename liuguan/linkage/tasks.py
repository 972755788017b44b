"""Batch linkage on the database worker (db_worker): runs queued from the page or API, and the nightly run.

The nightly run is settings.LIUGUAN_SCHEDULE["linkage_nightly"], which enqueues `linkage_nightly_task`.
"""

from django_tasks import task


@task()
def linkage_run_task(run_id: int) -> dict:
    """Do one queued run (requested on the page, through the API or by the schedule)."""
    from .runs import run_execute

    run = run_execute(run_id)
    return {"run": run.pk, "status": run.status, "pairs": run.pairs, "queued": run.queued, "tasks": run.tasks}


@task()
def linkage_nightly_task() -> dict:
    """The scheduled run: queued and done in one go; skipped when a run is already queued or running."""
    from liuguan.core.audit import SYSTEM
    from liuguan.core.errors import Conflict

    from .models import LinkageRun
    from .runs import run_execute, run_request

    try:
        run = run_request(actor=SYSTEM, trigger=LinkageRun.Trigger.SCHEDULE, source="schedule")
    except Conflict:
        return {"skipped": "a run is already queued or running"}
    run = run_execute(run.pk)
    return {"run": run.pk, "status": run.status, "pairs": run.pairs, "queued": run.queued, "tasks": run.tasks}
