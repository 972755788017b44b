"""python manage.py insight_rollup [--rebuild]: bring the dashboards' cells up to date and print how."""

import json

from django.core.management.base import BaseCommand

from liuguan.insight.rollup import rollup_rebuild, rollup_refresh


class Command(BaseCommand):
    help = "Refresh the macro-decision cells from the audit chain (or --rebuild them from the live tables)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="count every cell again from the live tables")

    def handle(self, *args, rebuild: bool = False, **options):
        result = rollup_rebuild() if rebuild else rollup_refresh()
        self.stdout.write(json.dumps(result, ensure_ascii=False))
