"""python manage.py load_schooling_rules: load new versions of the shipped schooling eligibility rules."""

from django.core.management.base import BaseCommand

from liuguan.livelihood.schooling.services import schooling_rules_load


class Command(BaseCommand):
    help = "Load the shipped schooling eligibility rules (a version already loaded is kept as it is)."

    def handle(self, *args, **options):
        loaded = schooling_rules_load(source="command")
        self.stdout.write(", ".join(str(row) for row in loaded) or "no new versions")
