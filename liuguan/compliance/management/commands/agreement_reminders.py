"""python manage.py agreement_reminders [--today YYYY-MM-DD] [--enqueue]: renewal reminders, once a day.

Raises a reminder for every agreement ending within 30 days that is neither renewed nor terminated (shown on
the officers' agreements page) and closes the reminders of agreements settled since. Idempotent.
"""

import datetime as dt

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Raise renewal reminders for responsibility agreements ending within 30 days."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--enqueue", action="store_true", help="hand the run to the job runner (db_worker)")

    def handle(self, *args, today=None, enqueue=False, **options):
        if enqueue:
            from liuguan.compliance.tasks import agreement_reminders_task

            result = agreement_reminders_task.enqueue(today.isoformat() if today else None)
            self.stdout.write(f"enqueued {result.id}")
            return
        from liuguan.compliance.services.agreements import agreement_reminders_raise

        counts = agreement_reminders_raise(today=today)
        self.stdout.write(f"raised={counts['raised']} closed={counts['closed']}")
