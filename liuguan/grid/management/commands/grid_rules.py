"""python manage.py grid_rules: the system's rules raise their grid events now (the nightly job does the same)."""

from django.core.management.base import BaseCommand

from liuguan.grid.services.rules import events_from_rules


class Command(BaseCommand):
    help = "Raise grid events for unreported tenants and overdue permit endorsements; print how many per rule."

    def handle(self, *args, **options):
        raised = events_from_rules()
        for rule, count in raised.items():
            self.stdout.write(f"{rule}: {count}")
