"""python manage.py load_permit_policies: store the versions of permits/data/policies.json not yet loaded."""

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.errors import Conflict
from liuguan.permits.services.policies import permit_policies_load


class Command(BaseCommand):
    help = "Load the residence-permit policies (national regulations, city profiles) as versioned rows."

    def handle(self, *args, **options):
        try:
            counts = permit_policies_load(source="cli")
        except Conflict as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"{counts['loaded']} permit policy versions loaded, {counts['unchanged']} unchanged")
