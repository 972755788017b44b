"""python manage.py detect_breaches [--as-of YYYY-MM-DD] [--enqueue]: record late and missing reports.

Safe to run every day (a breach already recorded is not recorded again); schedule it daily with cron or a
systemd timer, as the platform has no periodic scheduler of its own yet.
"""

import datetime as dt

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Record missing and late reports of landlords, employers and hotels as reporting breaches."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="the day to judge (today)")
        parser.add_argument("--enqueue", action="store_true", help="hand the run to the job runner (db_worker)")

    def handle(self, *args, as_of=None, enqueue=False, **options):
        if enqueue:
            from liuguan.compliance.tasks import detect_breaches_task

            result = detect_breaches_task.enqueue(as_of.isoformat() if as_of else None)
            self.stdout.write(f"enqueued {result.id}")
            return
        from liuguan.compliance.detection import detect_breaches

        counts = detect_breaches(as_of=as_of)
        self.stdout.write(" ".join(f"{kind}={n}" for kind, n in counts.items()))
