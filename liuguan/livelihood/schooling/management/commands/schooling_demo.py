"""python manage.py schooling_demo [--seed 1] [--reset]: the demo province's schools, children and applications."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from liuguan.livelihood.schooling.demo import schooling_demo, schooling_demo_reset
from liuguan.livelihood.schooling.figures import figures_from_rows, record_rows


class Command(BaseCommand):
    help = "Schools, guardianships, school records with transfers and applications for the demo province."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reset", action="store_true", help="remove the rows a previous run wrote, and stop")

    def handle(self, *args, seed, reset, **options):
        if reset:
            removed = schooling_demo_reset()
            self.stdout.write(", ".join(f"{n} {what}" for what, n in removed.items()) or "nothing to remove")
            return
        try:
            result = schooling_demo(seed=seed)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        c = result.counts
        self.stdout.write(
            f"{c['schools']} schools, {c['guardianships']} guardianships, {c['records']} school records "
            f"({c['transfers']} transfers), {c['applications']} applications in {result.seconds}s"
        )
        province = settings.LIUGUAN_PROVINCE_CODE
        rows = record_rows(area=province)
        years = sorted({r.started_on.year for r in rows})
        for year in years[-3:]:
            f = figures_from_rows(rows, year=year, length=len(province)).get(province)
            if f and f.enrolled:
                self.stdout.write(
                    f"{year}: {f.enrolled} children enrolled, public {f.public_share:.1%}, "
                    f"private {f.private_share:.1%}, transfer rate {f.transfer_rate:.1%}"
                )
