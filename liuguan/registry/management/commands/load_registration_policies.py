"""Load or update the registration deadlines per area from the shipped data file (or a city's own)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from liuguan.core.audit import SYSTEM
from liuguan.registry.timeliness import POLICY_FILE, registration_policies_load


class Command(BaseCommand):
    help = "Load registration deadlines per area (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=POLICY_FILE)

    def handle(self, *args, file, **options):
        changed = registration_policies_load(actor=SYSTEM, path=file)
        self.stdout.write(f"registration policies: {len(changed)} changed")
