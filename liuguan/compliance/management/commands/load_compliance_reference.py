"""python manage.py load_compliance_reference: load the edited deadline, rule and agreement files again."""

from django.core.management.base import BaseCommand
from django.db import transaction

from liuguan.compliance.reference import load_reference


class Command(BaseCommand):
    help = "Load reporting deadlines, classification rules and agreement templates from compliance/data/*.json."

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load_reference()
        self.stdout.write(
            f"{counts['policies']} reporting deadlines, {counts['rules']} classification rules, "
            f"{counts['templates']} agreement templates loaded"
        )
