"""Load the departments that share data through the exchange (the shipped list of 35, or a city's own file)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput
from liuguan.exchange.loading import DEPARTMENTS_FILE, departments_load


class Command(BaseCommand):
    help = (
        "Load departments from a JSON list of {code, name, name_en, kind} (default: the shipped list). "
        "Safe to re-run: changed names are updated, and no department is deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", default=None, help=f"a departments JSON file (default {DEPARTMENTS_FILE.name})")

    def handle(self, *args, file=None, **options):
        try:
            result = departments_load(actor=SYSTEM, path=file)
        except InvalidInput as error:
            lines = [f"{problem.field}: {problem.message}" for problem in error.problems]
            raise CommandError(_("Nothing was loaded:") + "\n" + "\n".join(lines))
        self.stdout.write(
            _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, missing from source %(missing)d")
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "missing": result.missing_from_source,
            }
        )
