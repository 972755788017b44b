"""Periodic work on a real schedule: cron expressions (Asia/Shanghai) in settings.LIUGUAN_SCHEDULE name the
django-tasks tasks to enqueue; the database worker (db_worker) runs them. `manage.py run_scheduler` is the one
process that keeps the clock; its jobs only enqueue, so a second scheduler by mistake costs a duplicate run of
idempotent work, never a lost one.
"""

from dataclasses import dataclass
from importlib import import_module

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django-tasks task
    cron: str  # minute hour day month day-of-week

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=settings.TIME_ZONE)

    def load_task(self):
        module, _, name = self.task.rpartition(".")
        return getattr(import_module(module), name)


def jobs() -> list[Job]:
    """The configured jobs; a wrong task path or cron expression fails here, at start, not at 2 a.m."""
    found = [Job(name, entry["task"], entry["cron"]) for name, entry in settings.LIUGUAN_SCHEDULE.items()]
    for job in found:
        job.trigger()
        job.load_task()
    return found


def enqueue(job: Job):
    """Hand the job's task to the worker; returns the django-tasks result (its id is in the worker's table)."""
    return job.load_task().enqueue()
