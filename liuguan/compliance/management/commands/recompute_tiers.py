"""python manage.py recompute_tiers [--as-of YYYY-MM-DD] [--person ID ...] [--enqueue]: classify people again.

Without --person, everyone with an open stay (days of stay grow every day, so run it daily).
"""

import datetime as dt

from django.core.management.base import BaseCommand

from liuguan.registry.models import Stay


def people_to_classify() -> list[int]:
    """Everyone with an open stay somewhere."""
    return list(Stay.objects.filter(departed_on__isnull=True).values_list("person_id", flat=True).order_by().distinct())


class Command(BaseCommand):
    help = "Recompute the classified-management tier of people from their current facts."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--person", type=int, action="append", default=[], help="only this person (repeatable)")
        parser.add_argument("--enqueue", action="store_true", help="hand the run to the job runner (db_worker)")

    def handle(self, *args, as_of=None, person=(), enqueue=False, **options):
        if enqueue:
            from liuguan.compliance.tasks import recompute_tiers_task

            result = recompute_tiers_task.enqueue(as_of.isoformat() if as_of else None)
            self.stdout.write(f"enqueued {result.id}")
            return
        from liuguan.compliance.classification import tiers_recompute

        ids = list(person) or people_to_classify()
        written = tiers_recompute(ids, as_of=as_of)
        self.stdout.write(f"people={len(ids)} written={written}")
