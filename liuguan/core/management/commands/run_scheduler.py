"""python manage.py run_scheduler: enqueue the periodic tasks at their cron times (run one, beside db_worker)."""

import contextlib
import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liuguan.core.schedule import enqueue, jobs

log = logging.getLogger("liuguan.schedule")


class Command(BaseCommand):
    help = "Keep the schedule of periodic work (settings.LIUGUAN_SCHEDULE): enqueue each task when it is due."

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="print the jobs and their next run, then stop")
        parser.add_argument("--now", metavar="JOB", help="enqueue one job at once, then stop")

    def handle(self, *args, **options):
        configured = jobs()
        if options["list"]:
            now = timezone.localtime()
            for job in configured:
                due = job.trigger().get_next_fire_time(None, now)
                self.stdout.write(f"{job.name:24} {job.cron:16} next {due:%Y-%m-%d %H:%M %Z}  {job.task}")
            return
        if options["now"]:
            chosen = [job for job in configured if job.name == options["now"]]
            if not chosen:
                raise CommandError(f"no job {options['now']!r}; jobs: {', '.join(j.name for j in configured)}")
            result = enqueue(chosen[0])
            self.stdout.write(f"enqueued {chosen[0].name} as {result.id}")
            return
        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        for job in configured:
            # A job missed while the scheduler was down runs once when it comes back, within a day.
            scheduler.add_job(
                self._run, job.trigger(), args=[job], id=job.name, coalesce=True, misfire_grace_time=86400
            )
        self.stdout.write(f"scheduler: {len(configured)} jobs; enqueueing into the database worker's queue")
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()

    @staticmethod
    def _run(job) -> None:
        result = enqueue(job)
        log.info("enqueued %s as %s", job.name, result.id)
