"""python manage.py jobs_requeue --worker-id ID: put back in the queue the jobs a killed job runner left "running".

django-tasks' database worker marks a job RUNNING when it takes it and SUCCESSFUL or FAILED when it ends; a
worker killed in between (SIGKILL, the machine lost, the out-of-memory killer) leaves the job RUNNING for ever,
and no worker takes a RUNNING job again. The periodic jobs come back at their next time anyway; a one-off job (an
uploaded import, a linkage run, a month's report) would be lost. The worker's unit runs this command before it
starts, with the worker id it is about to use: that worker is not running, so any job still RUNNING under its id
was cut off, and is made READY again (every job is idempotent; an import resumes after its last chunk).
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liuguan.core.audit import SYSTEM, audit_record


def jobs_requeue(*, worker_id: str, source: str = "cli") -> list[str]:
    """Make READY again the RUNNING jobs whose last claim was by this (stopped) worker; returns their ids."""
    with transaction.atomic():
        cut_off = [
            job
            for job in DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING)
            if job.worker_ids and job.worker_ids[-1] == worker_id
        ]
        for job in cut_off:
            DBTaskResult.objects.filter(pk=job.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY
            )
            audit_record(
                actor=SYSTEM,
                action="job.requeue",
                object_type="django_tasks_db.dbtaskresult",
                object_id=str(job.pk),
                source=source,
                changes={
                    "task": job.task_path,
                    "worker": worker_id,
                    "started_at": job.started_at.isoformat() if job.started_at else None,
                    "status": [TaskResultStatus.RUNNING, TaskResultStatus.READY],
                },
            )
    return [str(job.pk) for job in cut_off]


class Command(BaseCommand):
    help = "Before a job runner starts: make READY again the jobs it left RUNNING when it was killed."
    # It runs before every start of the worker, which checks the project itself.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", required=True, help="the id the worker runs with (db_worker --worker-id)")

    def handle(self, *args, worker_id: str, **options):
        ids = jobs_requeue(worker_id=worker_id)
        self.stdout.write(f"requeued {len(ids)} job(s) left running by {worker_id}" + "".join(f"\n  {i}" for i in ids))
