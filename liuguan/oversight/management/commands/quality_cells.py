"""python manage.py quality_cells [--rebuild]: bring the timeliness and staleness cells up to date.

Without --rebuild, only the areas written to since the last run are recomputed (what the scheduled task and
the scorecard page do); --rebuild recomputes every cell from every stay, for a new or bulk-loaded database.
"""

from django.core.management.base import BaseCommand

from liuguan.oversight.cells import cells_rebuild, cells_refresh


class Command(BaseCommand):
    help = "Refresh (or with --rebuild, rebuild) the summary cells behind the scorecards."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every cell from every stay")

    def handle(self, *args, rebuild=False, **options):
        result = cells_rebuild() if rebuild else cells_refresh()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
